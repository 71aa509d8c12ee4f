"""REPORT.md sections for a spec written as a table of hypotheses.

A spec case may carry, besides its label and config keys, the annotations
`hypothesis`, `baseline`, `mechanism`, `expect` and `predicts`
(plot/annotations.py). The runner copies them into every trial of the point
and marks each ok trial `expect_met` with its `expect_failures`;
summary.csv counts `n_expect_met`.

The verdicts (ratio, interval, p-values, the verdict word, the valid-trial
counts) are plot/verdicts.py's, which holds the rules; this module only
lays them out: the Short answer paragraph and the Hypotheses table. The
mechanism cells are summary.csv's medians; expectation counts are
summary.csv's n_expect_met, counted from the trials' expect_met flags only
when summary.csv has no such column (an echolab older than the annotations).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

from plot.annotations import annotation, is_case
from plot.chartkit import format_number
from plot.verdict_text import (p_text, ratio_text, ratio_with_spread,
                               span_text, valid_text, verdict_text)
from plot.verdicts import ALPHA, Verdict, case_rows, tally

THREADS_ACTIVE = "server_threads_active"
# Below this share of ok trials meeting the expectation, the cell is flagged.
EXPECT_FLAG_BELOW = 0.8
FLAG = "⚠"
CI_TEXT = "95% bootstrap confidence interval"


def _metric_name(run: Any, metric: str) -> str:
    """The catalogue title of a metric; its bare name when unknown."""
    entry = run.catalogue.metrics.get(metric)
    return entry.title if entry else metric


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


def _case_name(row: Verdict) -> str:
    """The case's point name, else its label."""
    return row.point.name if row.point is not None else row.label


def _baseline_name(run: Any, row: Verdict) -> str:
    """The baseline's point name; its label, marked when it names no case."""
    if row.baseline_point is not None:
        return row.baseline_point.name
    if not row.baseline:
        return "-"
    return row.baseline if is_case(run, row.baseline) else \
        f"{row.baseline} (no such case)"


def _mechanism_cells(run: Any, row: Verdict) -> List[str]:
    """The mechanism metric's median (p25–p75) for the case, its median for
    the baseline; "-" without a mechanism or a point."""
    mechanism = annotation(run, row.point, "mechanism", row.label)
    if not mechanism or row.point is None:
        return ["-", "-"]
    base = ("-" if row.baseline_point is None else
            mechanism_median(row.baseline_point, mechanism, spread=False))
    return [f"{_metric_name(run, mechanism)}: "
            f"{mechanism_median(row.point, mechanism)}", base]


def _predicted_cell(run: Any, row: Verdict) -> str:
    """`Throughput: lower`; "-" without a prediction."""
    if not row.metric:
        return "-"
    return f"{_metric_name(run, row.metric)}: {row.predicted}"


def hypothesis_rows(run: Any, rows: Sequence[Verdict]) -> List[List[str]]:
    """The cells of the hypothesis table, one row per verdict row: the
    hypothesis, names and mechanism only on a case's first row."""
    cells = []
    for row in rows:
        names = ([row.hypothesis, _case_name(row), _baseline_name(run, row)]
                 if row.first else ["", "", ""])
        tested = row.tested
        cells.append(names + [
            _predicted_cell(run, row), verdict_text(row), valid_text(row),
            ratio_with_spread(row),
            span_text(row.ci_low, row.ci_high) if tested else "-",
            p_text(row.p), p_text(row.p_holm)]
            + (_mechanism_cells(run, row) if row.first else ["", ""]))
    return cells


HYPOTHESIS_HEADER = ["Hypothesis", "Case", "Baseline", "Predicted",
                     "Verdict", "Valid trials (case vs baseline)",
                     "Ratio of medians (p25–p75)", "95% CI of the ratio",
                     "p", "Holm p", "Mechanism: median (p25–p75)",
                     "Mechanism: baseline median"]


def hypothesis_section(run: Any, rows: Sequence[Verdict],
                       table: Any) -> List[str]:
    """The hypothesis table, or nothing when no case states a hypothesis."""
    if not rows:
        return []
    lines = ["## Hypotheses", "",
             "Each case against its baseline, for each metric its hypothesis "
             "predicts, over the valid trials only (status ok, the case's "
             "expectation met, not client-bound or overloaded): ratio of "
             "medians case/baseline (the case's p25–p75 over the baseline "
             f"median in brackets), its {CI_TEXT}, the two-sided "
             "Mann-Whitney p and the Holm-adjusted p over every test of the "
             f"run; the verdict at Holm p < {ALPHA:g} (rules: plot/README.md, "
             "\"Verdicts\"). A case with several predicted metrics takes the "
             "verdict of the first. Then the mechanism metric (summary.csv, "
             "all ok trials).", ""]
    lines += table(HYPOTHESIS_HEADER, hypothesis_rows(run, rows),
                   left_columns=5)
    return lines + [""]


def machine_text(meta: Dict[str, Any]) -> str:
    """`Intel(R) Xeon(R) Processor (2 PUs)`: the CPU and PU count of the
    server host (meta.json's hosts[] entry with role server, else the run's
    own machine)."""
    host = next((h for h in meta.get("hosts") or []
                 if isinstance(h, dict) and h.get("role") == "server"), meta)
    if not host:
        return "an unknown machine (no meta.json)"
    counts = host.get("topology_counts")
    pus = counts.get("pus") if isinstance(counts, dict) else None
    if pus is None and isinstance(host.get("usable_pus"), list):
        pus = len(host["usable_pus"])
    cpu = str(host.get("cpu_model") or "an unknown CPU")
    return cpu if pus is None else f"{cpu} ({pus} PU{'' if pus == 1 else 's'})"


def _sentence(run: Any, case: Sequence[Verdict]) -> str:
    """One case: `<hypothesis>: <verdict> (<case> vs <baseline>: <metric>
    ratio 0.62×, 95% CI 0.55–0.70, Holm p 0.004, 7/7 vs 7/7 valid)`."""
    row = case[0]
    hypothesis = row.hypothesis.rstrip(" .") or _case_name(row)
    if not row.tested:
        text = f"{hypothesis}: {verdict_text(row)}"
    else:
        details = [f"{_case_name(row)} vs {_baseline_name(run, row)}: "
                   f"{row.metric} ratio {ratio_text(row.ratio)}",
                   f"95% CI {span_text(row.ci_low, row.ci_high)}",
                   f"Holm p {p_text(row.p_holm)}",
                   f"{valid_text(row)} valid"]
        text = f"{hypothesis}: {row.verdict} ({', '.join(details)}"
        text += f"; {row.note})" if row.note else ")"
    others = [f"{other.metric}: {verdict_text(other)}" for other in case[1:]]
    if others:
        text += f"; also {'; '.join(others)}"
    return text + "."


def short_answer_section(run: Any, rows: Sequence[Verdict]) -> List[str]:
    """One generated paragraph: where it ran, the tally, one sentence per
    hypothesis case in spec order; nothing without hypotheses."""
    if not rows:
        return []
    cases = case_rows(rows)
    counts = "; ".join(f"{word}: {n}" for word, n in tally(rows).items())
    tests = sum(1 for row in rows if row.tested)
    opening = (f"Measured on {machine_text(run.meta)}: of {len(cases)} "
               f"hypothes{'i' if len(cases) == 1 else 'e'}s, {counts} "
               f"(Holm-adjusted p < {ALPHA:g} over the run's {tests} "
               f"test{'' if tests == 1 else 's'}, valid trials only).")
    paragraph = " ".join([opening] + [_sentence(run, c) for c in cases])
    return ["## Short answer", "", " ".join(paragraph.split()), ""]


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
    if any(expectation_count(p)[2] for p in run.points):
        lines += ["", "summary.csv has no n_expect_met column (older "
                  "echolab): expectation counts are the trials' expect_met "
                  "flags in trials.jsonl."]
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
