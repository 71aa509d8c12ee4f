#!/usr/bin/env bash
# The mio-forum peer (peers/mio-forum): builds it offline from Debian's
# packages, then checks through `echolab trial` that every variant echoes
# byte-exact (the rr workload checks each echo's length, sequence number and
# pattern; a wrong byte fails the trial) and that stream moves bytes.
#
# usage: mio_forum_test.sh ECHOLAB_BINARY TARGET_DIR   (exit 77: skipped, and why)
set -euo pipefail
BIN=${1:?usage: $0 ECHOLAB_BINARY TARGET_DIR}
TARGET=${2:?usage: $0 ECHOLAB_BINARY TARGET_DIR}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
command -v cargo >/dev/null || [ -x /usr/bin/cargo ] ||
  { echo "SKIP: cargo is not installed (Debian: apt-get install cargo rustc librust-mio-0.6-dev)"; exit 77; }
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
peer=$("$ROOT/peers/mio-forum/build.sh" "$TARGET") || { echo "FAIL: the peer did not build"; exit 1; }

check() { # WORKLOAD PEER_FLAGS...
  local workload=$1
  shift
  "$BIN" trial --model external --server.command "$peer $* {port}" --workload "$workload" --connections 4 \
    --warmup 0.2 --duration 0.5 --json >"$TARGET/trial.json" 2>&1 || true
  "$PY" - "$TARGET/trial.json" "$workload" "$*" <<'PYEOF'
import json, sys
path, workload, flags = sys.argv[1:]
text = open(path).read()
try:
    result = json.loads(text)
except ValueError:
    sys.exit("FAIL: %s %s: no result: %s" % (workload, flags, text[-300:]))
m = result["metrics"]
assert result["status"] == "ok", "FAIL: %s %s: %s" % (workload, flags, result["error"])
assert m["bytes_echoed"] > 0, "FAIL: %s %s: nothing echoed" % (workload, flags)
if workload == "rr":
    assert m["requests_per_s"] > 0, "FAIL: %s %s: no request answered" % (workload, flags)
print("ok: %-6s %-50s %8.1f MB/s" % (workload, flags, m["throughput_mb_s"]))
PYEOF
}

for flags in "--threads 1" "--threads 4" "--threads 4 --sockets edge --read drain" \
  "--threads 2 --accept drain --write-interest on_demand" "--threads 1 --listener level --buffer 65536"; do
  check rr $flags
  check stream $flags
done
# Token(1) as posted: every connection under one token, so of two
# connections (both accepted: accept drain) one is served and the other
# never read; the peer stays up.
"$BIN" trial --model external --server.command "$peer --threads 1 --accept drain --tokens one {port}" \
  --workload stream --connections 2 --load.connect_gap_ms 50 --warmup 0.2 --duration 0.5 --json \
  >"$TARGET/tokens.json" 2>&1 || true
"$PY" - "$TARGET/tokens.json" <<'PYEOF'
import json, sys
result = json.loads(open(sys.argv[1]).read())
assert result["status"] == "ok", "FAIL: --tokens one: %s" % result["error"]
served = result["metrics"]["connections_served"]
assert served == 1, "FAIL: --tokens one served %s of 2 connections, expected 1" % served
print("ok: --tokens one serves 1 of 2 connections")
PYEOF
# The build record beside the binary names the binary it describes.
"$PY" - "$peer" <<'PYEOF'
import hashlib, json, sys
peer = sys.argv[1]
record = json.load(open(peer + ".build.json"))
digest = hashlib.sha256(open(peer, "rb").read()).hexdigest()
assert record["sha256"] == digest, "FAIL: build record sha256 %s, binary %s" % (record["sha256"], digest)
assert record["rustc"].startswith("rustc ") and any(c["name"] == "mio" for c in record["crates"]), record
print("ok: build record matches the binary")
PYEOF
# A bad flag is one line and exit 2.
set +e
"$peer" --threads many >"$TARGET/bad.txt" 2>&1
code=$?
set -e
[ $code = 2 ] && grep -q "threads: 'many'" "$TARGET/bad.txt" || { echo "FAIL: a bad flag gave exit $code: $(cat "$TARGET/bad.txt")"; exit 1; }
echo PASS
