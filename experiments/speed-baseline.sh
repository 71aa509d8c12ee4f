#!/usr/bin/env bash
# Is echolab's single_thread server (and its load client) as fast as the
# yardsticks on this machine? Canonical set-up: server on PU 1, client on
# PU 0, 2 connections, 4 KiB messages. Measured interleaved (A B C D, A B C
# D, ...) so drift spreads over all of them; medians and ranges printed.
#
#   A  echolab single_thread (edge, drain, 64 KiB) + echolab load
#   B  iperf3 --bidir -l 4K, per-direction MB/s (mean of both directions)
#   C  Node.js net echo (s.pipe(s), one process) + echolab load
#   D  echolab single_thread + a plain blocking client (2 threads/connection)
#
# usage: experiments/speed-baseline.sh [REPS] [SECONDS]   (make speed)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
SECS=${2:-3}
BIN=build/echolab
PLAIN=build/plain_echo_client
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
common=(--server-cpus pu:1 --client-cpus pu:0 --connections 2 --message-bytes 4096 --warmup 1 --duration "$SECS" --json)

metric() { "$PY" -c 'import json,sys; r=json.load(sys.stdin); print("%.1f" % r["metrics"]["throughput_mb_s"] if r["status"]=="ok" else "nan")'; }

run_echolab() { "$BIN" trial --model single_thread --trigger edge --read drain --read-buffer 65536 "${common[@]}" | metric; }

run_iperf() {
  local port=$((20000 + RANDOM % 20000))
  taskset -c 1 iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
  local server=$!
  for _ in $(seq 100); do ss -ltn "sport = :$port" | grep -q LISTEN && break; sleep 0.05; done
  taskset -c 0 iperf3 -c 127.0.0.1 -p "$port" --bidir -l 4K -t "$SECS" -O 1 -J 2>/dev/null |
    "$PY" -c 'import json,sys; e=json.load(sys.stdin)["end"]; a=e["sum_received"]["bits_per_second"]; b=e["sum_received_bidir_reverse"]["bits_per_second"]; print("%.1f" % ((a+b)/2/8/1e6))'
  wait "$server" 2>/dev/null || true
}

run_node() {
  "$BIN" trial --model external --server.command "node tests/peers/node_echo.js {port}" "${common[@]}" | metric
}

run_plain() {
  "$BIN" serve --model single_thread --server-cpus pu:1 --port 0 >/tmp/echolab-speed-serve.$$ 2>/dev/null &
  local server=$!
  for _ in $(seq 100); do grep -q listening /tmp/echolab-speed-serve.$$ 2>/dev/null && break; sleep 0.05; done
  local target
  target=$(sed -n 's/^listening on //p' /tmp/echolab-speed-serve.$$)
  "$PLAIN" "$target" 2 4096 1 "$SECS" 0
  kill -TERM "$server"; wait "$server" 2>/dev/null || true
  rm -f /tmp/echolab-speed-serve.$$
}

declare -A results=([echolab]="" [iperf3]="" [node]="" [plain]="")
for rep in $(seq "$REPS"); do
  results[echolab]+=" $(run_echolab)"
  results[iperf3]+=" $(run_iperf)"
  command -v node >/dev/null && results[node]+=" $(run_node)"
  results[plain]+=" $(run_plain)"
  echo "rep $rep: echolab${results[echolab]##* } iperf3${results[iperf3]##* } node ${results[node]##* } plain ${results[plain]##* }" >&2
done

"$PY" - "${results[echolab]}" "${results[iperf3]}" "${results[node]}" "${results[plain]}" <<'PYEOF'
import statistics, sys
names = ["echolab single_thread + echolab load", "iperf3 --bidir -l 4K (per direction)",
         "node net echo + echolab load", "echolab single_thread + plain blocking client"]
values = [[float(v) for v in arg.split() if v != "nan"] for arg in sys.argv[1:]]
med = [statistics.median(v) if v else float("nan") for v in values]
print("%-48s %10s %10s %10s  %s" % ("MB/s, one direction", "median", "min", "max", "runs"))
for name, v, m in zip(names, values, med):
    if v:
        print("%-48s %10.1f %10.1f %10.1f  %d" % (name, m, min(v), max(v), len(v)))
print()
print("echolab / iperf3          = %.2f  (goal >= 0.90)" % (med[0] / med[1]))
if values[2]:
    print("echolab / node            = %.2f  (goal >= 1.00)" % (med[0] / med[2]))
print("echolab load / plain client = %.2f  (goal >= 1.00: the load client is not the bottleneck)" % (med[0] / med[3]))
PYEOF
