#!/usr/bin/env bash
# Loopback vs two hosts on this machine: the same spec (experiments/
# hosts-veth.json) run on loopback and with its server in network namespace
# A and its client in B, reached over ssh and joined by a veth pair
# (tests/hosts/namespace_hosts.sh builds them). Runs alternate, one
# repetition each (loopback, veth, loopback, veth, ...), so drift spreads
# over both; prints medians, p25-p75, the veth/loopback ratio and a
# Mann-Whitney p. Needs root, iproute2, openssh-server.
#
# usage: experiments/hosts-veth.sh [REPS] [OUT_DIR]      (make hosts-veth)
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${1:-5}
OUT=${2:-results/hosts-veth}
BIN=$(readlink -f build/echolab)
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
. tests/hosts/namespace_hosts.sh
veth_spec_across_namespace_hosts hosts-veth experiments/hosts-veth.json
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT/$stamp"

for rep in $(seq "$REPS"); do
  for path in loopback veth; do
    spec=experiments/hosts-veth.json
    [ $path = veth ] && spec="$veth_spec"
    "$BIN" run "$spec" --out "$OUT/$stamp/$path-$rep" >"$OUT/$stamp/$path-$rep.log" 2>&1 ||
      echo "hosts-veth: $path repetition $rep failed (see $OUT/$stamp/$path-$rep.log)" >&2
    echo "repetition $rep: $path done" >&2
  done
done
PYTHONPATH=. "$PY" - "$OUT/$stamp" <<'PYEOF'
import glob, json, os, statistics, sys
from plot.mannwhitney import mann_whitney_u
root = sys.argv[1]
values = {}  # (workload, path, metric) -> [values]
for path in ("loopback", "veth"):
    for trials in glob.glob("%s/%s-*/*/trials.jsonl" % (root, path)):
        if os.path.islink(os.path.dirname(trials)):
            continue  # results/NAME/latest points at a run counted already
        for line in open(trials):
            t = json.loads(line)
            if t["status"] != "ok":
                continue
            workload = t["config"]["load"]["workload"]
            for metric in ("throughput_mb_s", "requests_per_s", "latency_us_p50", "latency_us_p99", "server_cpu_per_gb"):
                if t["metrics"].get(metric) is not None:
                    values.setdefault((workload, path, metric), []).append(t["metrics"][metric])
def quartiles(v):
    return statistics.quantiles(v, n=4) if len(v) > 1 else [v[0], v[0], v[0]]
print("%-8s %-18s %22s %22s %7s %7s" % ("workload", "metric", "loopback med (p25-p75)", "veth med (p25-p75)", "ratio", "p"))
for workload in ("stream", "rr"):
    for metric in ("throughput_mb_s", "requests_per_s", "latency_us_p50", "latency_us_p99", "server_cpu_per_gb"):
        lo, ve = values.get((workload, "loopback", metric)), values.get((workload, "veth", metric))
        if not lo or not ve:
            continue
        ql, qv = quartiles(lo), quartiles(ve)
        p = mann_whitney_u(lo, ve).p_value
        print("%-8s %-18s %8.1f (%6.1f-%6.1f) %8.1f (%6.1f-%6.1f) %7.2f %7.3f  n=%d/%d" % (
            workload, metric, statistics.median(lo), ql[0], ql[2], statistics.median(ve), qv[0], qv[2],
            statistics.median(ve) / statistics.median(lo), p, len(lo), len(ve)))
print("\nruns in " + root)
PYEOF
