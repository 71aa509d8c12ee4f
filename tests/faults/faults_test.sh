#!/usr/bin/env bash
# Faults in the middle of a run:
#   1. an external server that dies mid-trial fails that trial with the
#      reason, and the sweep goes on;
#   2. a server stopped (SIGSTOP) for one second shows in the interval
#      series and the latency, and the load ends on time;
#   3. `echolab run` killed with SIGKILL mid-trial leaves no trial process
#      or server behind, and --resume finishes exactly the missing trials;
#   4. a results directory on a full disk (ENOSPC) gives a clear error and
#      no torn line in trials.jsonl (skipped where tmpfs can't be mounted).
#
# usage: faults_test.sh ECHOLAB_BINARY     (exit 77: skipped, and why)
set -euo pipefail
BIN=$(readlink -f "${1:?usage: $0 ECHOLAB_BINARY}")
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
command -v socat >/dev/null || { echo "SKIP: socat is not installed (apt-get install socat)"; exit 77; }
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
tmp=$(mktemp -d /tmp/echolab-faults-XXXXXX)
mounted=""
cleanup() {
  [ -n "$mounted" ] && umount "$mounted" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
wait_for() { # SECONDS COMMAND...: until COMMAND succeeds
  local limit=$1
  shift
  for _ in $(seq $((limit * 20))); do "$@" && return 0; sleep 0.05; done # poll interval
  return 1
}

echo "== 1. an external server dies mid-trial"
cat >"$tmp/dies.json" <<EOF
{
  "name": "dies",
  "defaults": {"load": {"connections": 2}, "timing": {"warmup_s": 0.3, "duration_s": 2, "interval_ms": 100}},
  "cases": [
    {"label": "socat killed at 1.2 s", "server.model": "external", "server.threads": 1,
     "server.command": ["timeout", "1.2", "socat", "TCP-LISTEN:{port},reuseaddr,fork", "EXEC:cat"]},
    {"label": "single thread", "server.model": "single_thread"}
  ]
}
EOF
code=0
"$BIN" run "$tmp/dies.json" --out "$tmp/dies" --order spec >"$tmp/dies.log" 2>&1 || code=$?
[ $code = 1 ] || fail "a sweep with a failed trial exited $code, expected 1: $(cat "$tmp/dies.log")"
"$PY" - "$tmp/dies/latest/trials.jsonl" <<'EOF' || fail "dying server: $(cat "$tmp/dies.log")"
import json, sys
trials = [json.loads(line) for line in open(sys.argv[1])]
assert [t["status"] for t in trials] == ["failed", "ok"], [(t["status"], t["error"]) for t in trials]
error = trials[0]["error"]
assert "the server's process ended during the trial: 'timeout' exited with code 124" in error, error
print("ok: " + error[:160])
EOF

echo "== 2. a server stopped for 1 s shows in the series and the latency"
"$BIN" serve --model single_thread --port 0 >"$tmp/serve.out" 2>&1 &
serve=$!
wait_for 10 grep -q '^listening on ' "$tmp/serve.out" || fail "serve did not start: $(cat "$tmp/serve.out")"
target=$(sed -n 's/^listening on //p' "$tmp/serve.out")
established() { [ "$(ss -Htn state established "( dport = :${target##*:} )" | wc -l)" -ge 2 ]; }
# The fault, from the side: once the load is connected, 1 s into the run
# (0.5 s into its 4 s window) the server is stopped for one second.
(
  wait_for 10 established || exit 1
  sleep 1 # the stop's place in the load
  kill -STOP "$serve"
  sleep 1 # the fault itself: the server stopped for one second
  kill -CONT "$serve"
) &
stopper=$!
code=0
timeout 20 "$BIN" load --target "$target" --workload open --load.rate 2000 --connections 2 --message-bytes 64 \
  --warmup 0.5 --duration 4 --json >"$tmp/stall.json" 2>&1 || code=$?
[ $code = 0 ] || fail "the load $([ $code = 124 ] && echo hung || echo "exited $code"): $(head -c 600 "$tmp/stall.json")"
wait "$stopper" || fail "the load never connected, so the server was not stopped"
kill -TERM "$serve"
wait "$serve" || true
"$PY" - "$tmp/stall.json" <<'EOF' || fail "the stall is not in the figures: $(head -c 600 "$tmp/stall.json")"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["status"] == "ok", r["error"]
m, series = r["metrics"], r["series"]["requests_per_s"]
assert m["latency_us_max"] >= 900000, m["latency_us_max"]  # a request waited through the stop
assert m["requests_behind_schedule"] > 0, m
assert min(series) < 0.2 * 2000, series  # an interval in which (almost) nothing was answered
assert max(series) > 0.5 * 2000, series  # ... and intervals that ran at the offered rate
print("ok: max latency %.0f ms, slowest interval %.0f req/s" % (m["latency_us_max"] / 1000, min(series)))
EOF

echo "== 3. SIGKILL mid-trial leaves nothing behind; --resume finishes exactly"
# This test's socat carries its own name (-lp, the name socat logs under), so
# the count below sees only its own and other tests may run beside it.
socat_tag="echolab-faults-$$"
cat >"$tmp/killed.json" <<EOF
{
  "name": "killed",
  "defaults": {"load": {"connections": 2}, "timing": {"warmup_s": 0.2, "duration_s": 1, "interval_ms": 100},
               "repetitions": 2},
  "cases": [
    {"label": "socat", "server.model": "external", "server.threads": 1,
     "server.command": ["socat", "-lp", "$socat_tag", "TCP-LISTEN:{port},reuseaddr,fork", "EXEC:cat"]},
    {"label": "single thread", "server.model": "single_thread"},
    {"label": "reuseport x2", "server.model": "reuseport", "server.threads": 2}
  ]
}
EOF
# This test's socat processes that are alive (a zombie nobody reaps in a
# container is not one)
socats() { ps -eo stat=,args= | awk -v tag="$socat_tag" '$1 !~ /^Z/ && $2 == "socat" && index($0, tag)' | wc -l; }
socats_before=$(socats)
"$BIN" run "$tmp/killed.json" --out "$tmp/killed" --order spec >"$tmp/killed.log" 2>&1 &
run=$!
lines() { cat "$tmp/killed/latest/trials.jsonl" 2>/dev/null | wc -l; }
after_three() { [ "$(lines)" -ge 3 ]; }
wait_for 30 after_three || fail "the sweep did not get to its fourth trial: $(cat "$tmp/killed.log")"
# The fourth trial (spec order) is the socat case's second repetition: a server outside echolab is up.
socat_running() { [ "$(socats)" -gt "$socats_before" ]; }
wait_for 10 socat_running || fail "the socat trial did not start"
kill -KILL "$run"
wait "$run" 2>/dev/null || true
nothing_left() {
  ! pgrep -f -- "--out $tmp/killed" >/dev/null && [ "$(socats)" -le "$socats_before" ]
}
wait_for 10 nothing_left || fail "left behind: $(pgrep -a -f -- "--out $tmp/killed"; pgrep -a -f -- "$socat_tag")"
done_before=$(lines)
"$BIN" run "$tmp/killed.json" --resume "$tmp/killed/latest" >"$tmp/resume.log" 2>&1 || fail "resume failed: $(cat "$tmp/resume.log")"
"$PY" - "$tmp/killed/latest/trials.jsonl" "$done_before" <<'EOF' || fail "resume: $(cat "$tmp/resume.log")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
trials = [json.loads(line) for line in lines]  # every line whole
keys = sorted((t["config_id"], t["repetition"]) for t in trials)
assert len(keys) == 6 and len(set(keys)) == 6, keys  # 3 points x 2 repetitions, each once
assert all(t["status"] == "ok" for t in trials), [(t["label"], t["status"], t["error"]) for t in trials]
print("ok: killed after %s trials, resumed to exactly 6" % sys.argv[2])
EOF

echo "== 4. a full disk (ENOSPC): a clear error and no torn line"
mkdir -p "$tmp/full"
if mount -t tmpfs -o size=64k tmpfs "$tmp/full" 2>"$tmp/mount.err"; then
  mounted="$tmp/full"
  cat >"$tmp/many.json" <<EOF
{
  "name": "many",
  "defaults": {"server": {"model": "single_thread"}, "load": {"connections": 2},
               "timing": {"warmup_s": 0.1, "duration_s": 0.3, "interval_ms": 10}, "repetitions": 30}
}
EOF
  code=0
  "$BIN" run "$tmp/many.json" --out "$tmp/full" >"$tmp/full.log" 2>&1 || code=$?
  [ $code = 1 ] || fail "a full disk: exit $code, expected 1: $(tail -3 "$tmp/full.log")"
  grep -q "No space left on device" "$tmp/full.log" || fail "the error does not say the disk is full: $(tail -3 "$tmp/full.log")"
  "$PY" - "$tmp/full/latest/trials.jsonl" <<'EOF' || fail "trials.jsonl on the full disk is torn"
import json, sys
text = open(sys.argv[1]).read()
assert text == "" or text.endswith("\n"), "a torn last line"
lines = text.splitlines()
for line in lines:
    json.loads(line)
assert 0 < len(lines) < 30, len(lines)
print("ok: stopped after %d whole lines" % len(lines))
EOF
  echo "ok: $(grep -m1 'No space left' "$tmp/full.log")"
else
  echo "skipped: cannot mount a small tmpfs here: $(cat "$tmp/mount.err")"
fi
echo PASS
