#!/usr/bin/env bash
# What checking every echoed byte costs the stream workload: the same trial
# with the check (the default) and without it (ECHOLAB_STREAM_UNCHECKED=1,
# an environment switch that exists only for this measurement), interleaved
# A B A B, on the canonical set-up (server pinned to pu:1, client to pu:0).
# Prints each pair and the median ratio checked / unchecked with its
# p25-p75 and a Mann-Whitney p (python3-scipy).
#
# usage: experiments/stream-check-cost.sh [ROUNDS] [ECHOLAB]   (default 9, build/echolab)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-9}
bin=${2:-build/echolab}
py=$(command -v /usr/bin/python3 || command -v python3)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for size in 4096 65536; do
  for ((r = 1; r <= rounds; ++r)); do
    for arm in checked unchecked; do
      unchecked=$([ $arm = unchecked ] && echo 1 || echo 0)
      ECHOLAB_STREAM_UNCHECKED=$unchecked "$bin" trial --model single_thread --server-cpus pu:1 --client-cpus pu:0 \
        --workload stream --connections 2 --message-bytes $size --warmup 0.5 --duration 3 --json \
        >"$out/$size-$arm-$r.json"
    done
  done
done
"$py" - "$out" "$rounds" <<'PYEOF'
import json, sys, statistics
from scipy.stats import mannwhitneyu
out, rounds = sys.argv[1], int(sys.argv[2])
for size in (4096, 65536):
    def mbs(arm):
        return [json.load(open(f"{out}/{size}-{arm}-{r}.json"))["metrics"]["throughput_mb_s"] for r in range(1, rounds + 1)]
    checked, unchecked = mbs("checked"), mbs("unchecked")
    ratios = sorted(c / u for c, u in zip(checked, unchecked))
    q = statistics.quantiles(ratios, n=4)
    p = mannwhitneyu(checked, unchecked, alternative="two-sided").pvalue
    print(f"{size} B messages: checked {statistics.median(checked):.0f} MB/s, unchecked {statistics.median(unchecked):.0f} MB/s; "
          f"checked/unchecked per pair: median {statistics.median(ratios):.3f} (p25-p75 {q[0]:.3f}-{q[2]:.3f}), "
          f"Mann-Whitney p = {p:.2g} over {rounds} + {rounds}")
PYEOF
