#!/usr/bin/env bash
# Two echolab builds, A and B, on the same trials, interleaved: for every
# built-in model both A and B serve `stream` (2 connections, 4 KiB) and `rr`
# (depth 1, 16 connections, 64 B) on the canonical set-up (server PU 1,
# client PU 0), REPS times, the order of A and B alternating per repetition.
# Prints per model and workload the medians of A and B, B/A, the range of
# the per-repetition ratios and a Wilcoxon signed-rank p (scipy).
#
# For a change that must not move today's figures (e.g. work per request at
# 0): build the commit before it into one directory and the change into
# another, then
#   experiments/ab-builds.sh OLD/echolab NEW/echolab [REPS] [SECONDS]
# MODELS="single_thread io_uring" limits it to those models.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 A_ECHOLAB B_ECHOLAB [REPS] [SECONDS]" >&2
  exit 2
fi
A=$1 B=$2 REPS=${3:-5} SECS=${4:-1}
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
# The models both builds have (B's list may be longer); external needs a command.
models=${MODELS:-$(comm -12 <("$A" models | sed -n 's/^\([a-z_]*\)$/\1/p' | sort) \
  <("$B" models | sed -n 's/^\([a-z_]*\)$/\1/p' | sort) | grep -v '^external$')}
common=(--server-cpus pu:1 --client-cpus pu:0 --warmup 0.5 --duration "$SECS" --json)
# A model's thread count: blocking_pool needs one per connection.
threads_for() { case $1 in single_thread) echo 1 ;; blocking_pool) echo 16 ;; *) echo 2 ;; esac; }
trial() {  # BIN MODEL WORKLOAD -> "metric_value"
  local bin=$1 model=$2 workload=$3 args
  if [ "$workload" = stream ]; then
    args=(--workload stream --connections 2 --message-bytes 4096)
  else
    args=(--workload rr --load.depth 1 --connections 16 --message-bytes 64)
  fi
  "$bin" trial --model "$model" --threads "$(threads_for "$model")" "${args[@]}" "${common[@]}" |
    "$PY" -c '
import json, sys
r = json.load(sys.stdin)
m = r.get("metrics", {})
key = "throughput_mb_s" if sys.argv[1] == "stream" else "requests_per_s"
print(m.get(key) if r.get("status") == "ok" else "nan")' "$workload"
}
rows=""
for rep in $(seq "$REPS"); do
  for model in $models; do
    for workload in stream rr; do
      if [ $((rep % 2)) = 1 ]; then
        a=$(trial "$A" "$model" "$workload"); b=$(trial "$B" "$model" "$workload")
      else
        b=$(trial "$B" "$model" "$workload"); a=$(trial "$A" "$model" "$workload")
      fi
      rows+="$model $workload $a $b;"
    done
  done
  echo "rep $rep of $REPS done" >&2
done
"$PY" - "$rows" <<'EOF'
import statistics, sys
from collections import defaultdict
try:
    from scipy.stats import wilcoxon
except ImportError:
    wilcoxon = None
pairs = defaultdict(list)
for row in sys.argv[1].split(";"):
    if row.strip():
        model, workload, a, b = row.split()
        if a != "nan" and b != "nan":
            pairs[(model, workload)].append((float(a), float(b)))
print("%-22s %-7s %12s %12s %7s %17s %7s" % ("model", "load", "A median", "B median", "B/A", "B/A range", "p"))
for (model, workload), values in sorted(pairs.items()):
    a = [x for x, _ in values]
    b = [y for _, y in values]
    ratios = [y / x for x, y in values if x > 0]
    p = "n/a"
    if wilcoxon and len(values) >= 5 and any(x != y for x, y in values):
        p = "%.3f" % wilcoxon(a, b).pvalue
    print("%-22s %-7s %12.1f %12.1f %7.3f %8.3f-%-8.3f %7s" % (
        model, workload, statistics.median(a), statistics.median(b),
        statistics.median(b) / statistics.median(a), min(ratios), max(ratios), p))
print("units: stream MB/s, rr requests/s")
EOF
