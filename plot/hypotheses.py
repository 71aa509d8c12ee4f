"""REPORT.md sections for a spec written as a table of hypotheses.

A spec case may carry, besides its label and config keys, the annotations
`hypothesis` (one line), `baseline` (the label of the like-for-like
single-thread case), `mechanism` (a catalogue metric that shows the
mechanism) and `expect` ({metric: value} or {metric: {"min", "max"}}). The
runner copies them into every trial of the point and marks each ok trial
`expect_met` with its `expect_failures`; summary.csv counts `n_expect_met`.

Numbers: medians and p25/p75 are summary.csv's; the throughput ratio divides
them; the p-value is a Mann-Whitney U test of the two points' per-repetition
throughput (trials.jsonl); expectation counts are summary.csv's
n_expect_met, counted from the trials' expect_met flags only when summary.csv
has no such column (an echolab older than the annotations).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from plot.chartkit import format_number
from plot.mannwhitney import mann_whitney_u, smallest_possible_p

MAIN_METRIC = "throughput_mb_s"
THREADS_ACTIVE = "server_threads_active"
# Below this share of ok trials meeting the expectation, the cell is flagged.
EXPECT_FLAG_BELOW = 0.8
FLAG = "⚠"
SIGNIFICANCE = 0.05


def _case_annotations(run: Any) -> "Dict[str, Dict[str, Any]]":
    """label -> annotations of the spec's cases, in spec order."""
    found: Dict[str, Dict[str, Any]] = {}
    for case in run.spec.get("cases") or []:
        if isinstance(case, dict) and isinstance(case.get("label"), str):
            found.setdefault(case["label"], {
                k: case[k] for k in ("hypothesis", "baseline", "mechanism",
                                     "expect") if k in case})
    return found


def annotation(run: Any, point: Any, name: str) -> Any:
    """The point's annotation as its trials carry it, else its spec case's."""
    value = point.annotation(name)
    if value:
        return value
    value = _case_annotations(run).get(point.label, {}).get(name)
    if name == "expect":
        return value if isinstance(value, dict) else {}
    return " ".join(value.split()) if isinstance(value, str) else ""


def point_by_label(run: Any, label: str) -> Optional[Any]:
    """The first point with this case label, or None."""
    return next((p for p in run.points if label and p.label == label), None)


def hypothesis_points(run: Any) -> List[Any]:
    """Points whose case states a hypothesis: spec case order, then any
    other point whose trials carry one."""
    ordered: List[Any] = []
    for label, notes in _case_annotations(run).items():
        point = point_by_label(run, label)
        if point is not None and notes.get("hypothesis"):
            ordered.append(point)
    for point in run.points:
        if point not in ordered and point.annotation("hypothesis"):
            ordered.append(point)
    return ordered


def _metric_name(run: Any, metric: str) -> str:
    """The catalogue title of a metric; its bare name when unknown."""
    entry = run.catalogue.metrics.get(metric)
    return entry.title if entry else metric


@dataclass
class Ratio:
    """Case median / baseline median; the case's p25 and p75 likewise."""
    median: Optional[float]
    low: Optional[float]
    high: Optional[float]

    def text(self) -> str:
        if self.median is None:
            return "-"
        spread = ""
        if self.low is not None and self.high is not None:
            spread = f" ({self.low:.2f}–{self.high:.2f})"
        return f"{self.median:.2f}×{spread}"


def throughput_ratio(point: Any, baseline: Any) -> Ratio:
    """summary.csv's medians divided; p25/p75 over the baseline median."""
    base = baseline.stat(MAIN_METRIC, "median")
    if not base:
        return Ratio(None, None, None)

    def over(stat: str) -> Optional[float]:
        value = point.stat(MAIN_METRIC, stat)
        return None if value is None else value / base
    return Ratio(over("median"), over("p25"), over("p75"))


def p_value_text(point: Any, baseline: Any) -> str:
    """Two-sided Mann-Whitney p of per-repetition throughput, case vs
    baseline; says so when the repetitions cannot reach p < 0.05."""
    a = point.repetition_values(MAIN_METRIC)
    b = baseline.repetition_values(MAIN_METRIC)
    if not a or not b:
        return "-"
    result = mann_whitney_u(a, b)
    text = f"{result.p_value:.2g}"
    if smallest_possible_p(len(a), len(b)) >= SIGNIFICANCE:
        text += f" (too few repetitions: {len(a)} + {len(b)})"
    return text


def per_trial_values(point: Any, metric: str) -> str:
    """`2, 2, 1`: the metric of each ok repetition, in order; "-" if none."""
    values = point.repetition_values(metric)
    return ", ".join(format_number(v) for v in values) if values else "-"


def mechanism_median(point: Any, metric: str, spread: bool = True) -> str:
    """`2 (1–2)` from summary.csv; the per-trial values when summary.csv has
    no statistics for the metric (not a summary metric, older echolab)."""
    median = point.stat(metric, "median")
    if median is None:
        values = per_trial_values(point, metric)
        return "-" if values == "-" else f"per trial: {values}"
    text = format_number(median)
    low, high = point.stat(metric, "p25"), point.stat(metric, "p75")
    if spread and low is not None and high is not None:
        text += f" ({format_number(low)}–{format_number(high)})"
    return text


def expectation_count(point: Any) -> Tuple[Optional[int], int, bool]:
    """(ok trials that met the expectation, ok trials, counted from
    trials.jsonl). None met when the point has no expectation."""
    n_ok = len(point.ok_trials)
    if point.summary.n_expect_met is not None:
        return point.summary.n_expect_met, n_ok, False
    flags = [t.expect_met for t in point.ok_trials if t.expect_met is not None]
    if not flags and not point.has_expectation:
        return None, n_ok, False
    return sum(1 for f in flags if f), n_ok, True


def expectation_text(point: Any) -> str:
    """`7/7`, `⚠ 3/7` below 80 %, "-" without an expectation."""
    met, n_ok, _ = expectation_count(point)
    if met is None:
        return "-"
    text = f"{met}/{n_ok}"
    if n_ok == 0 or met < EXPECT_FLAG_BELOW * n_ok:
        text = f"{FLAG} {text}"
    return text


def expect_text(expect: Dict[str, Any]) -> str:
    """{"m": 2, "n": {"min": 0, "max": 0.1}} -> `m = 2; n in 0..0.1`."""
    parts = []
    for metric, want in expect.items():
        if isinstance(want, dict):
            low, high = want.get("min"), want.get("max")
            if low is not None and high is not None:
                parts.append(f"{metric} in {low}..{high}")
            elif low is not None:
                parts.append(f"{metric} ≥ {low}")
            elif high is not None:
                parts.append(f"{metric} ≤ {high}")
        else:
            parts.append(f"{metric} = {want}")
    return "; ".join(parts)


def hypothesis_rows(run: Any) -> List[List[str]]:
    """The cells of the hypothesis table, one row per hypothesis."""
    rows = []
    for point in hypothesis_points(run):
        baseline_label = annotation(run, point, "baseline")
        baseline = point_by_label(run, baseline_label)
        mechanism = annotation(run, point, "mechanism")
        if baseline is None:
            ratio, p_text = "-", "-"
            base_name = (f"{baseline_label} (no such case)" if baseline_label
                         else "-")
        else:
            ratio = throughput_ratio(point, baseline).text()
            p_text = p_value_text(point, baseline)
            base_name = baseline.name
        if mechanism:
            case_mech = (f"{_metric_name(run, mechanism)}: "
                         f"{mechanism_median(point, mechanism)}")
            base_mech = ("-" if baseline is None else
                         mechanism_median(baseline, mechanism, spread=False))
        else:
            case_mech = base_mech = "-"
        rows.append([annotation(run, point, "hypothesis"), point.name,
                     base_name, ratio, p_text, case_mech, base_mech,
                     expectation_text(point)])
    return rows


HYPOTHESIS_HEADER = ["Hypothesis", "Case", "Baseline",
                     "Throughput / baseline, median (p25–p75)",
                     "Mann-Whitney p", "Mechanism: median (p25–p75)",
                     "Mechanism: baseline median", "Expectation met"]


def hypothesis_section(run: Any, table: Any) -> List[str]:
    """The hypothesis table, or nothing when no case states a hypothesis."""
    rows = hypothesis_rows(run)
    if not rows:
        return []
    counted = any(expectation_count(p)[2] for p in hypothesis_points(run))
    lines = ["## Hypotheses", "",
             "Each case against its baseline (the like-for-like single "
             "thread): ratio of median throughputs (the case's p25–p75 over "
             "the baseline median in brackets), two-sided Mann-Whitney p of "
             "the repetitions' throughput, the mechanism metric, and how many "
             f"ok trials met the case's expectation ({FLAG}: under "
             f"{EXPECT_FLAG_BELOW:.0%}).", ""]
    lines += table(HYPOTHESIS_HEADER, rows, left_columns=3)
    if counted:
        lines += ["", "summary.csv has no n_expect_met column (older "
                  "echolab): expectation counts are the trials' expect_met "
                  "flags in trials.jsonl."]
    return lines + [""]


def threads_active_text(point: Any) -> str:
    """`1 thread: 5, 2 threads: 2` over the ok trials; "-" without data."""
    values = [t.metric(THREADS_ACTIVE) for t in point.ok_trials]
    counts = Counter(int(v) if float(v).is_integer() else v
                     for v in values if v is not None)
    if not counts:
        return "-"
    parts = [f"{format_number(n)} thread{'' if n == 1 else 's'}: {c}"
             for n, c in sorted(counts.items())]
    missing = sum(1 for v in values if v is None)
    if missing:
        parts.append(f"unknown: {missing}")
    return ", ".join(parts)


def failed_expectations(run: Any) -> List[Tuple[Any, Any]]:
    """(point, trial) of every ok trial whose expectation failed."""
    return [(point, trial) for point in run.points
            for trial in point.ok_trials if trial.expect_met is False]


def mechanism_section(run: Any, table: Any) -> List[str]:
    """Per point: how many server threads moved bytes in each ok trial,
    the expectation and how often it held; then every failed expectation."""
    if not any(p.has_expectation or threads_active_text(p) != "-"
               for p in run.points):
        return []
    rows = [[point.name, threads_active_text(point),
             expect_text(annotation(run, point, "expect")) or "-",
             expectation_text(point)] for point in run.points]
    lines = ["## Server threads active and expectations", "",
             "How many server threads moved bytes in the measured window, "
             "over the ok trials of each point (\"1 thread: 5\" = five "
             "trials had one active thread), and the case's expectation.",
             ""]
    lines += table(["Point", "Server threads active (ok trials)",
                    "Expectation", "Met"], rows, left_columns=3)
    failed = failed_expectations(run)
    if failed:
        lines += ["", f"{FLAG} Trials that missed their expectation:", ""]
        for point, trial in failed:
            reasons = "; ".join(trial.expect_failures) or \
                "(no reason recorded)"
            item = (f"- {point.name}, repetition {trial.repetition}: "
                    f"{reasons}")
            lines.append(" ".join(item.split()).replace("<", "&lt;"))
    return lines + [""]
