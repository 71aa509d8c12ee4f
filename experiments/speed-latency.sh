#!/usr/bin/env bash
# Are echolab's request workloads fit to measure latency on this machine?
# Canonical set-up: server on PU 1, client on PU 0, 64-byte messages. Every
# case runs once per repetition, interleaved (A B C ..., A B C ...), so drift
# spreads over all of them; medians, ranges and ratios printed at the end.
#
#   rr         echolab single_thread + echolab load --workload rr (1 conn, depth 1)
#   plain      echolab serve single_thread + a plain blocking ping-pong client
#   rrserve    echolab load --workload rr against that same `echolab serve`, in
#              the same repetition (order alternating): the like-for-like yardstick
#   sockperf   sockperf server + sockperf ping-pong --tcp --full-rtt (the machine's floor)
#   untimed    as rr with load.timing false (what timing every request costs)
#   rr100      rr with 100 connections, depth 1 (is the client the bottleneck?)
#   open       open loop, uniform, at the rate rr reached in the same repetition
#   stall      open loop at 5000/s for 5 s against `echolab serve`, which is
#              stopped (SIGSTOP) for 1 s in the middle: p90 must show the stall
#
# usage: experiments/speed-latency.sh [REPS] [SECONDS]   (make speed-latency)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
SECS=${2:-3}
BIN=build/echolab
PLAIN=build/plain_ping_pong
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
for tool in sockperf; do
  command -v $tool >/dev/null || { echo "speed-latency: $tool is missing (apt-get install $tool, or make speed-latency)" >&2; exit 1; }
done
common=(--server-cpus pu:1 --client-cpus pu:0 --message-bytes 64 --warmup 1 --duration "$SECS" --json)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# Prints "requests_per_s p50_us p99_us p90_us server_cpu_s" of a trial's JSON, or "nan ...".
fields() {
  "$PY" -c '
import json, sys
r = json.load(sys.stdin)
m = r.get("metrics", {})
ok = r.get("status") == "ok"
keys = ["requests_per_s", "latency_us_p50", "latency_us_p99", "latency_us_p90", "server_cpu_s"]
print(" ".join(("%.2f" % m[k]) if ok and isinstance(m.get(k), (int, float)) else "nan" for k in keys))'
}

rr() { "$BIN" trial --model single_thread --workload rr --connections "$1" "${@:2}" "${common[@]}" | fields; }

# Starts `echolab serve` on PU 1; sets SERVE_PID and TARGET.
start_serve() {
  "$BIN" serve --model single_thread --server-cpus pu:1 --port 0 >"$OUT/serve" 2>/dev/null &
  SERVE_PID=$!
  for _ in $(seq 200); do grep -q listening "$OUT/serve" 2>/dev/null && break; sleep 0.05; done  # poll for the line
  TARGET=$(sed -n 's/^listening on //p' "$OUT/serve")
}
stop_serve() { kill -CONT "$SERVE_PID" 2>/dev/null || true; kill -TERM "$SERVE_PID"; wait "$SERVE_PID" 2>/dev/null || true; }

# One `echolab serve`, measured by the plain client and by `echolab load`
# (rr, 1 connection, depth 1), in an order that alternates with REP; prints
# "PLAIN_FIELDS|RR_FIELDS".
plain_client() { "$PLAIN" "$TARGET" 64 1 "$SECS" 0; }  # requests/s p50 p99
rr_serve() {
  "$BIN" load --target "$TARGET" --workload rr --connections 1 --client-cpus pu:0 --message-bytes 64 \
    --warmup 1 --duration "$SECS" --json | fields
}
plain_and_rr_serve() {
  start_serve
  local plain rr_line
  if [ $(($1 % 2)) = 1 ]; then
    plain=$(plain_client)
    rr_line=$(rr_serve)
  else
    rr_line=$(rr_serve)
    plain=$(plain_client)
  fi
  stop_serve
  echo "$plain|$rr_line"
}

sockperf_pp() {
  local port=$((20000 + RANDOM % 20000))
  taskset -c 1 sockperf sr --tcp -i 127.0.0.1 -p "$port" >/dev/null 2>&1 &
  local server=$!
  for _ in $(seq 100); do ss -ltn "sport = :$port" | grep -q LISTEN && break; sleep 0.05; done  # poll for the listener
  taskset -c 0 sockperf pp --tcp --full-rtt -i 127.0.0.1 -p "$port" -m 64 -t "$SECS" 2>&1 |
    "$PY" -c '
import re, sys
text = sys.stdin.read()
runtime = float(re.search(r"RunTime=([0-9.]+)", text).group(1))
received = int(re.search(r"ReceivedMessages=([0-9]+)", text).group(1))
p50 = float(re.search(r"percentile 50\.000 =\s*([0-9.]+)", text).group(1))
p99 = float(re.search(r"percentile 99\.000 =\s*([0-9.]+)", text).group(1))
print("%.1f %.2f %.2f" % (received / runtime, p50, p99))'
  kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true
}

stall() {
  start_serve
  "$BIN" load --target "$TARGET" --workload open --load.rate 5000 --connections 4 --client-cpus pu:0 \
    --message-bytes 64 --warmup 0.5 --duration 5 --json >"$OUT/stall.json" &
  local load=$!
  sleep 2.5   # part of the load pattern: the stop falls in the middle of the 5 s window
  kill -STOP "$SERVE_PID"
  sleep 1     # the stall being measured
  kill -CONT "$SERVE_PID"
  wait "$load" || true
  stop_serve
  fields <"$OUT/stall.json"
}

declare -A R
names=(rr plain rrserve sockperf untimed rr100 open stall)
for name in "${names[@]}"; do R[$name]=""; done
for rep in $(seq "$REPS"); do
  line=$(rr 1); R[rr]+="${line};"
  rate=$(echo "$line" | cut -d' ' -f1)
  both=$(plain_and_rr_serve "$rep")
  R[plain]+="${both%%|*};"
  R[rrserve]+="${both#*|};"
  R[sockperf]+="$(sockperf_pp);"
  R[untimed]+="$(rr 1 --load.timing false);"
  R[rr100]+="$(rr 100);"
  if [ "$rate" != nan ]; then
    R[open]+="$("$BIN" trial --model single_thread --workload open --load.rate "$rate" --connections 1 "${common[@]}" | fields);"
  fi
  R[stall]+="$(stall);"
  echo "rep $rep done: rr ${line}" >&2
done

SECS="$SECS" "$PY" - "${R[rr]}" "${R[plain]}" "${R[rrserve]}" "${R[sockperf]}" "${R[untimed]}" "${R[rr100]}" "${R[open]}" "${R[stall]}" <<'PYEOF'
import os, statistics, sys
names = ["rr", "plain", "rrserve", "sockperf", "untimed", "rr100", "open", "stall"]
rows = {}
for name, arg in zip(names, sys.argv[1:]):
    rows[name] = [[float(x) for x in rep.split()] for rep in arg.split(";") if rep.strip()]

def col(name, i):
    return [r[i] for r in rows[name] if len(r) > i and r[i] == r[i]]

def stat(values):
    if not values:
        return "n/a"
    return "%.1f [%.1f-%.1f]" % (statistics.median(values), min(values), max(values))

print("%-52s %-24s %-22s %-22s" % ("median [min-max] over repetitions", "requests/s", "p50 us", "p99 us"))
labels = {
    "rr": "echolab rr, 1 conn, depth 1 (single_thread)",
    "plain": "plain blocking ping-pong (echolab serve)",
    "rrserve": "echolab load rr, same echolab serve",
    "sockperf": "sockperf ping-pong --full-rtt (sockperf server)",
    "untimed": "echolab rr, timing off",
    "rr100": "echolab rr, 100 connections, depth 1",
    "open": "echolab open, uniform, at rr's rate",
    "stall": "open 5000/s, server stopped 1 s of 5 s",
}
for name in names:
    print("%-52s %-24s %-22s %-22s" % (labels[name], stat(col(name, 0)), stat(col(name, 1)), stat(col(name, 2))))

def ratio(a, b):
    return a / b if a == a and b == b and b else float("nan")

def paired(name_a, i_a, name_b, i_b):
    pairs = [ratio(a[i_a], b[i_b]) for a, b in zip(rows[name_a], rows[name_b]) if len(a) > i_a and len(b) > i_b]
    pairs = [p for p in pairs if p == p]
    return "%.3f [%.3f-%.3f]" % (statistics.median(pairs), min(pairs), max(pairs)) if pairs else "n/a"

print()
print("rr (same serve) p50 / plain p50 = %s  (goal <= 1.05: like for like)" % paired("rrserve", 1, "plain", 1))
print("rr p50 / plain p50             = %s  (server in the trial's process against a separate one)" % paired("rr", 1, "plain", 1))
print("rr p50 / sockperf p50          = %s  (the machine's floor)" % paired("rr", 1, "sockperf", 1))
print("rr req/s / untimed req/s       = %s  (goal >= 0.97: timing costs <= 3%%)" % paired("rr", 0, "untimed", 0))
print("open p50 / rr p50              = %s  (goal 0.90-1.10 at the same throughput)" % paired("open", 1, "rr", 1))
seconds = float(os.environ["SECS"])
print("rr100 server CPU share         = %s  (1.0 = the server's core is saturated)" %
      stat([r[4] / seconds for r in rows["rr100"] if len(r) > 4 and r[4] == r[4]]))
print("stall p90 us                   = %s  (goal: hundreds of ms)" % stat(col("stall", 3)))
PYEOF
