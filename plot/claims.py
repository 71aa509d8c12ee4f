"""The measured side of experiments/CLAIMS.md, rebuilt from claim runs.

    python3 plot/claims.py [RESULTS_DIR]      (make claims runs it)

For every claim run found (RESULTS_DIR/claim-*/latest, or the committed
results/reference/claim-* when given that folder), one table: each point
with the median [p25-p75] of the metric its claim is judged on, the
repetitions behind it, and how many of them were client-bound (the load
client, not the server, may have set the pace). The claim, its source and the verdict stay in
CLAIMS.md, written by people; this is the half a new machine re-measures.
"""
from __future__ import annotations

import os
import sys
from typing import List, Optional, Sequence

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from plot.rundir import load_run  # noqa: E402

# The metric each claim is judged on (the spec's comment names it too).
CLAIM_METRICS = {
    "claim-epoll-lifo": "accept_max_share",
    "claim-reuseport-balance": "accept_max_min_ratio",
    "claim-herd": "ctx_switches_per_accept",
    "claim-read-buffer": "throughput_mb_s",
    "claim-io-uring-echo": "requests_per_s",
    "claim-shared-nothing": "requests_per_s",
    "claim-reuseport-tail": "latency_us_p99",
    "claim-zerocopy": "server_cpu_per_gb",
    "claim-zerocopy-veth": "server_cpu_per_gb",
    "claim-incoming-cpu": "accepts_on_client_cpus_share",
}


def _number(value: Optional[float]) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def claim_runs(results_dir: str) -> List[str]:
    """Run directories of the claims under results_dir, in CLAIM_METRICS order."""
    found = []
    for name in CLAIM_METRICS:
        for candidate in (os.path.join(results_dir, name, "latest"), os.path.join(results_dir, name)):
            if os.path.isfile(os.path.join(candidate, "summary.csv")):
                found.append(candidate)
                break
    return found


def run_provenance(meta: dict) -> str:
    """`made 2026-12-05T10:01:31Z at 45b9826c5239, clean tree` from meta.json;
    a run from a dirty tree says so, a run without meta.json too."""
    if not meta:
        return "no meta.json: date and commit unknown"
    tree = {True: "dirty tree", False: "clean tree"}.get(meta.get("git_dirty"), "tree state unknown")
    return (f"made {meta.get('start_time', 'at an unknown time')} at "
            f"{meta.get('git_commit', 'an unknown commit')}, {tree}")


def claim_table(run_dir: str) -> List[str]:
    """Markdown lines: the claim run's points and its metric."""
    run = load_run(run_dir)
    metric = CLAIM_METRICS.get(run.name, "throughput_mb_s")
    lines = [f"## {run.name}", "", f"`{metric}` per point, median [p25-p75] over the ok repetitions "
             f"(run {run_dir}; {run_provenance(run.meta)}).", "",
             "| point | median | p25-p75 | ok / trials | client-bound |", "| --- | --- | --- | --- | --- |"]
    for point in run.points:
        low, high = point.stat(metric, "p25"), point.stat(metric, "p75")
        spread = f"{_number(low)}-{_number(high)}" if low is not None else "-"
        lines.append(f"| {point.name} | {_number(point.stat(metric, 'median'))} | {spread} | "
                     f"{len(point.ok_trials)} / {len(point.trials)} | {client_bound_text(point)} |")
    return lines + [""]


def client_bound_text(point) -> str:
    """`3 / 5` ok trials whose client set the pace (summary.csv's
    n_client_bound); "-" for a run written before trials said so."""
    bound = point.summary.n_client_bound
    return "-" if bound is None else f"{bound} / {len(point.ok_trials)}"


def main(argv: Sequence[str]) -> int:
    results_dir = argv[0] if argv else "results"
    runs = claim_runs(results_dir)
    if not runs:
        print(f"claims: no claim runs under {results_dir} (make claims makes them)", file=sys.stderr)
        return 2
    text = "\n".join(["# Claims measured on this machine", ""] +
                     [line for run_dir in runs for line in claim_table(run_dir)])
    out = os.path.join(results_dir, "claims-measured.md")
    with open(out, "w", encoding="utf-8") as handle:
        handle.write(text)
    print(text)
    print(f"claims: wrote {out}; compare with experiments/CLAIMS.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
