#!/usr/bin/env bash
# Where does a server's PU spend its time? Starts `echolab serve` on PU 1
# with the given server options, loads it from PU 0 (rr, 128 B, CONNECTIONS
# connections, 5 s), samples PU 1 for 2 s in the middle with
# `perf record -e cpu-clock -g -C 1` (software clock: these VMs have no
# hardware counters), and prints the load's result, the top symbols and the
# share of native_queued_spin_lock_slowpath (the io_uring socket-lock
# contention of experiments/implementation-speed.md). Run from the
# repository root after `make`; needs root (or perf_event_paranoid <= 0)
# and perf (Debian: linux-perf).
#
# usage: experiments/profile-server.sh CONNECTIONS [--server.KEY VALUE ...]
#   e.g. experiments/profile-server.sh 50 --server.model io_uring --server.task_run signal
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 CONNECTIONS [--server.KEY VALUE ...]" >&2; exit 2; }
command -v perf >/dev/null || { echo "$0: perf is missing (apt-get install linux-perf)" >&2; exit 2; }
connections=$1
shift
ECHOLAB=${ECHOLAB:-build/echolab}
[ -x "$ECHOLAB" ] || { echo "$0: $ECHOLAB is missing (run make)" >&2; exit 2; }
out=$(mktemp -d /tmp/echolab-profile-XXXXXX)
port=$((40000 + $$ % 20000))
"$ECHOLAB" serve --server.cpus pu:1 --server.port "$port" --server.read_buffer 4096 "$@" >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$out"' EXIT
# Until it listens (at most 5 s).
for _ in $(seq 50); do ss -ltnH "sport = :$port" | grep -q . && break; sleep 0.1; done # poll interval
ss -ltnH "sport = :$port" | grep -q . || { echo "$0: the server did not listen: $(cat "$out/serve.log")" >&2; exit 1; }
"$ECHOLAB" load --target "127.0.0.1:$port" --load.workload rr --load.connections "$connections" \
  --load.message_bytes 128 --load.cpus pu:0 --timing.warmup_s 0.5 --timing.duration_s 5 >"$out/load.log" 2>&1 &
load=$!
sleep 1.5 # into the load's measured window: a pause in the experiment, not synchronisation
perf record -q -e cpu-clock -g -C 1 -o "$out/perf.data" -- sleep 2 2>/dev/null
wait $load
grep -E "requests" "$out/load.log" || true
perf report -i "$out/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null >"$out/report.txt" || true
grep -E "^ +[0-9]" "$out/report.txt" | sed -n 1,15p
share=$(awk '/native_queued_spin_lock_slowpath/ {print $1; found=1} END {if (!found) print "0%"}' "$out/report.txt")
echo "native_queued_spin_lock_slowpath: $share of PU 1's samples"
