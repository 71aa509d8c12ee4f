"""Compare two runs point by point: B/A ratios of medians and p-values.

    python3 plot/compare.py RUN_A RUN_B [--out DIR] [--alpha 0.05]

Points are matched by config_id, then (for the rest) by display name. For
each matched point and each compared metric it prints the medians, the ratio
B/A and a two-sided Mann-Whitney U p-value over the successful repetitions
(scipy.stats.mannwhitneyu through plot/mannwhitney.py). A difference is
called significant only when p < alpha; with too few repetitions to ever
reach alpha it says so instead of guessing. Writes compare.png/.svg and
COMPARE.md into --out (default RUN_B/compare-<A's stamp>/).
In spirit like Google Benchmark's tools/compare.py.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

if __name__ == "__main__" and not __package__:  # run as plot/compare.py
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from plot.cli_support import BadInput, EXIT_OK, guarded_main  # noqa: E402
from plot.compare_output import (render_markdown, render_text,  # noqa: E402
                                 ratio_chart)
from plot.mannwhitney import (MannWhitneyResult, mann_whitney_u,  # noqa: E402
                              smallest_possible_p)
from plot.rundir import Point, Run, load_run  # noqa: E402

# Chart choice: the metrics compared. Which direction is better comes from
# the metric catalogue (plot/catalogue.py).
COMPARED_METRICS = ("throughput_mb_s", "server_cpu_per_gb")
DEFAULT_ALPHA = 0.05


@dataclass
class Comparison:
    """One metric of one point in A and in B."""
    name: str
    matched_by: str
    metric: str
    higher_is_better: Optional[bool]
    median_a: Optional[float]
    median_b: Optional[float]
    n_a: int
    n_b: int
    test: Optional[MannWhitneyResult]
    significant: bool
    verdict: str

    @property
    def ratio(self) -> Optional[float]:
        if self.median_a in (None, 0) or self.median_b is None:
            return None
        return self.median_b / self.median_a


def match_points(run_a: Run, run_b: Run
                 ) -> Tuple[List[Tuple[Point, Point, str]], List[Point],
                            List[Point]]:
    """Pairs (A point, B point, how matched), then unmatched A and B."""
    b_by_id = {p.config_id: p for p in run_b.points}
    pairs, rest_a = [], []
    for point in run_a.points:
        if point.config_id in b_by_id:
            pairs.append((point, b_by_id.pop(point.config_id), "config_id"))
        else:
            rest_a.append(point)
    b_by_name = {p.name: p for p in b_by_id.values()}
    only_a = []
    for point in rest_a:
        if point.name in b_by_name:
            pairs.append((point, b_by_name.pop(point.name), "name"))
        else:
            only_a.append(point)
    return pairs, only_a, list(b_by_name.values())


def _direction(metric: str, b_higher: bool,
               higher_is_better: Optional[bool]) -> str:
    """`B is faster`, `B uses less CPU per GB`, or a generic phrase."""
    if metric == "throughput_mb_s":
        return "B is faster" if b_higher else "B is slower"
    if metric == "server_cpu_per_gb":
        return f"B uses {'more' if b_higher else 'less'} server CPU per GB"
    higher_or_lower = "higher" if b_higher else "lower"
    if higher_is_better is None:
        return f"B is {higher_or_lower}"
    better = "better" if b_higher == higher_is_better else "worse"
    return f"B is {higher_or_lower} ({better})"


def compare_metric(point_a: Point, point_b: Point, matched_by: str,
                   metric: str, higher_is_better: Optional[bool],
                   alpha: float = DEFAULT_ALPHA) -> Comparison:
    """Medians, ratio, test and a plain-words verdict for one metric."""
    values_a = point_a.repetition_values(metric)
    values_b = point_b.repetition_values(metric)
    n_a, n_b = len(values_a), len(values_b)
    test = mann_whitney_u(values_a, values_b) if n_a and n_b else None
    significant = False
    floor = smallest_possible_p(n_a, n_b)
    if n_a < 2 or n_b < 2:
        verdict = (f"no significant difference: too few repetitions "
                   f"({n_a} in A, {n_b} in B; a test needs at least 2 each)")
    elif floor >= alpha:
        verdict = (f"no significant difference: too few repetitions "
                   f"({n_a} in A, {n_b} in B: even perfectly separated "
                   f"samples give p = {floor:.3g} >= {alpha:g})")
    elif test.p_value >= alpha:
        verdict = f"no significant difference (p = {test.p_value:.3g})"
    else:
        significant = True
        b_higher = test.u < n_a * n_b / 2  # A's values rank below B's
        verdict = (f"{_direction(metric, b_higher, higher_is_better)} "
                   f"(significant, p = {test.p_value:.3g})")
    return Comparison(point_b.name, matched_by, metric, higher_is_better,
                      point_a.stat(metric, "median"),
                      point_b.stat(metric, "median"), n_a, n_b, test,
                      significant, verdict)


def compare_runs(run_a: Run, run_b: Run, alpha: float = DEFAULT_ALPHA
                 ) -> Tuple[List[Comparison], List[Point], List[Point]]:
    """Every compared metric of every matched point, plus unmatched points."""
    pairs, only_a, only_b = match_points(run_a, run_b)
    if not pairs:
        raise BadInput(f"no point of {run_a.path} matches a point of "
                       f"{run_b.path} (by config_id or by name)")
    better = {metric: run_b.catalogue.higher_is_better(metric)
              for metric in COMPARED_METRICS}
    comparisons = [compare_metric(a, b, how, metric, better[metric], alpha)
                   for a, b, how in pairs for metric in COMPARED_METRICS]
    return comparisons, only_a, only_b


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="compare.py", description="Compare run B against run A.")
    parser.add_argument("run_a", help="baseline run directory (A)")
    parser.add_argument("run_b", help="contender run directory (B)")
    parser.add_argument("--out", help="where compare.png/.svg and COMPARE.md "
                        "go (default RUN_B/compare-<A stamp>/)")
    parser.add_argument("--alpha", type=float, default=DEFAULT_ALPHA,
                        help="significance level (default 0.05)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    """Command line entry; returns the exit code."""
    args = parse_args(argv)
    run_a, run_b = load_run(args.run_a), load_run(args.run_b)
    comparisons, only_a, only_b = compare_runs(run_a, run_b, args.alpha)
    out_dir = args.out or os.path.join(run_b.path, f"compare-{run_a.stamp}")
    print(render_text(run_a, run_b, comparisons, only_a, only_b, args.alpha))
    try:
        os.makedirs(out_dir, exist_ok=True)
    except OSError as error:
        raise BadInput(f"cannot create {out_dir}: {error.strerror}") from None
    files = ratio_chart(run_a, run_b, comparisons, out_dir)
    markdown = os.path.join(out_dir, "COMPARE.md")
    with open(markdown, "w", encoding="utf-8") as handle:
        handle.write(render_markdown(run_a, run_b, comparisons, only_a,
                                     only_b, args.alpha, files, out_dir))
    print(f"wrote {markdown} and {', '.join(files)}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(guarded_main(main))
