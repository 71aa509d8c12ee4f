"""Verdicts: did each hypothesis case do what it predicts against its
baseline? The rules are here and nowhere else (plot/README.md, "Verdicts").

    python3 plot/verdicts.py RUN_DIR     (or python3 -m plot.verdicts RUN_DIR)

prints a plain-text table, one row per hypothesis case and predicted metric
(Case | Baseline | Predicted | Valid | Ratio (95% CI) | Holm p | Verdict),
then a one-line tally, and writes RUN_DIR/verdicts.json. A run whose spec
states no hypothesis: nothing printed or written, exit 0. Exit 2 with one
line when RUN_DIR is not a run directory; exit 3 with one line when scipy
is missing. REPORT.md (plot/report.py) shows the same verdicts.

The rules, in short: a trial is a valid test when its status is ok, it met
its case's `expect` (when the case has one) and it is neither
`client_bound` nor `overloaded`. A (case, metric) pair with fewer than
MIN_VALID valid trials on either side is `not tested`, with the reason.
Otherwise: ratio of the medians of the valid trials (case / baseline), a
two-sided Mann-Whitney U p, a percentile-bootstrap 95% CI of the ratio, and
Holm's adjustment over every tested pair of the run; the verdict is `holds`,
`opposite holds` or `no difference detected`.
"""
from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import sys
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

if __name__ == "__main__" and not __package__:  # run as plot/verdicts.py
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from plot.annotations import (annotation, hypothesis_cases,  # noqa: E402
                              is_case, point_by_label)
from plot.cli_support import EXIT_OK, guarded_main  # noqa: E402
from plot.mannwhitney import (ScipyMissing, mann_whitney_u,  # noqa: E402
                              scipy_stats, smallest_possible_p)
from plot.rundir import load_run  # noqa: E402
from plot.verdict_text import (p_text, predicted_text,  # noqa: E402
                               ratio_with_interval, valid_text, verdict_text)

ALPHA = 0.05            # on the Holm-adjusted p
MIN_VALID = 3           # valid trials needed on each side
CONFIDENCE = 0.95       # of the bootstrap interval of the ratio
RESAMPLES = 2000        # bootstrap resamples
SEED = 20240101         # the bootstrap's seed: the same CI on every rerun
FILE_NAME = "verdicts.json"
SCHEMA = 1
EXIT_NO_SCIPY = 3

HOLDS = "holds"
OPPOSITE = "opposite holds"
NO_DIFFERENCE = "no difference detected"
NOT_TESTED = "not tested"
VERDICT_WORDS = (HOLDS, OPPOSITE, NO_DIFFERENCE, NOT_TESTED)
PREDICTIONS = ("higher", "lower")
NO_PREDICTION = "no prediction (predicts) in the spec"
# Trial flags that make a trial no valid test, and how a reason names them.
INVALID_FLAGS = (("client_bound", "client-bound"),
                 ("overloaded", "overloaded"))
JSON_FIELDS = ("label", "baseline", "metric", "predicted", "verdict",
               "reason", "n_valid", "n_trials", "baseline_n_valid",
               "baseline_n_trials", "ratio", "ratio_p25", "ratio_p75",
               "ci_low", "ci_high", "p", "p_holm", "note", "hypothesis",
               "median", "baseline_median")


@dataclass
class Verdict:
    """One (hypothesis case, predicted metric) pair and what became of it."""
    hypothesis: str
    label: str
    baseline: str
    metric: str = ""
    predicted: str = ""
    verdict: str = NOT_TESTED
    reason: str = ""
    n_valid: int = 0
    n_trials: int = 0
    baseline_n_valid: int = 0
    baseline_n_trials: int = 0
    median: Optional[float] = None
    baseline_median: Optional[float] = None
    ratio: Optional[float] = None
    ratio_p25: Optional[float] = None
    ratio_p75: Optional[float] = None
    ci_low: Optional[float] = None
    ci_high: Optional[float] = None
    p: Optional[float] = None
    p_holm: Optional[float] = None
    note: str = ""
    # Not in verdicts.json: the points (None when absent), and whether this
    # is the first row of its case (the case's own verdict).
    point: Any = field(default=None, repr=False, compare=False)
    baseline_point: Any = field(default=None, repr=False, compare=False)
    first: bool = True

    @property
    def tested(self) -> bool:
        """Whether the pair was tested (and so has numbers to show)."""
        return self.p is not None

    def as_json(self) -> Dict[str, Any]:
        """The verdicts.json object (JSON_FIELDS)."""
        return {name: getattr(self, name) for name in JSON_FIELDS}


# --- Rule 1: valid trials ------------------------------------------------

def trial_problems(trial: Any, has_expect: bool, metric: str) -> List[str]:
    """Why `trial` is no valid test of `metric`; empty when it is one."""
    if trial.status != "ok":
        return [trial.status]
    problems: List[str] = []
    if trial.expect_met is False or (has_expect and trial.expect_met is None):
        problems += trial.expect_failures or (
            ["expectation not met"] if trial.expect_met is False
            else ["expectation not checked"])
    problems += [text for flag, text in INVALID_FLAGS
                 if getattr(trial, flag, False)]
    if not problems and metric and trial.metric(metric) is None:
        problems.append(f"no {metric} value")
    return problems


def problem_summary(problems: Sequence[List[str]], n_trials: int) -> str:
    """`m: expected 2, got 1 or 0 (3 of 3); failed (1 of 3)`: each distinct
    problem (an expect failure by its metric and expectation) with how many
    trials had it."""
    counts: Counter = Counter()
    got: Dict[str, List[str]] = {}
    for found in problems:
        for problem in dict.fromkeys(found):  # once per trial
            key, _, value = problem.partition(", got ")
            counts[key] += 1
            values = got.setdefault(key, [])
            if value and value not in values:
                values.append(value)
    return "; ".join(
        key + (f", got {' or '.join(got[key])}" if got[key] else "")
        + f" ({count} of {n_trials})" for key, count in counts.items())


@dataclass
class Sample:
    """A point's values of one metric over its valid trials."""
    values: List[float]
    n_trials: int
    why: str  # "" when every trial is valid

    def text(self) -> str:
        """`1 of 3 trials valid: ...`, or why there is nothing to count."""
        if self.n_trials == 0:
            return "no trial in trials.jsonl"
        text = f"{len(self.values)} of {self.n_trials} trials valid"
        return f"{text}: {self.why}" if self.why else text


def valid_sample(run: Any, point: Optional[Any], metric: str) -> Sample:
    """The metric over the point's valid trials, filtered by the point's
    own expect."""
    if point is None:
        return Sample([], 0, "")
    has_expect = bool(annotation(run, point, "expect"))
    values, problems = [], []
    for trial in point.trials:
        found = trial_problems(trial, has_expect, metric)
        if found:
            problems.append(found)
        else:
            values.append(float(trial.metric(metric)))
    return Sample(values, len(point.trials),
                  problem_summary(problems, len(point.trials)))


# --- Rule 2: what makes a pair "not tested" ------------------------------

def precondition_problem(run: Any, row: Verdict, case: Sample,
                         base: Sample) -> str:
    """Why the pair cannot be tested; "" when it can."""
    if row.predicted not in PREDICTIONS:
        return (f"predicts {row.metric}: {row.predicted!r} is neither "
                f"{' nor '.join(PREDICTIONS)}")
    if not row.baseline:
        return "no baseline in the spec"
    if not is_case(run, row.baseline):
        return f"baseline {row.baseline!r} names no case"
    parts = []
    if len(case.values) < MIN_VALID:
        parts.append(case.text())
    if len(base.values) < MIN_VALID:
        parts.append(f"baseline: {base.text()}")
    if not parts:
        return ""
    return f"fewer than {MIN_VALID} valid trials: " + "; ".join(parts)


def case_verdicts(run: Any, label: str, point: Optional[Any]
                  ) -> List[Verdict]:
    """One row per predicted metric of a hypothesis case (one `not tested`
    row without a prediction), the statistics filled in where testable."""
    def note(name: str) -> Any:
        return annotation(run, point, name, label)
    baseline_label = note("baseline")
    baseline = point_by_label(run, baseline_label)
    predicts = note("predicts")
    template = dict(hypothesis=note("hypothesis"), label=label,
                    baseline=baseline_label, point=point,
                    baseline_point=baseline)
    if not predicts:
        return [Verdict(**template, reason=NO_PREDICTION)]
    rows = []
    for index, (metric, predicted) in enumerate(predicts.items()):
        row = Verdict(**template, metric=str(metric),
                      predicted=str(predicted), first=index == 0)
        case, base = (valid_sample(run, point, row.metric),
                      valid_sample(run, baseline, row.metric))
        row.n_valid, row.n_trials = len(case.values), case.n_trials
        row.baseline_n_valid = len(base.values)
        row.baseline_n_trials = base.n_trials
        row.reason = precondition_problem(run, row, case, base)
        if not row.reason:
            measure(row, case.values, base.values)
        rows.append(row)
    return rows


# --- Rule 3: the numbers -------------------------------------------------

def _finite(value: Any) -> Optional[float]:
    value = float(value)
    return value if math.isfinite(value) else None


def _median_ratio(a: Any, b: Any, axis: int = -1) -> Any:
    """median(a) / median(b) along `axis` (the bootstrap's statistic)."""
    return np.median(a, axis=axis) / np.median(b, axis=axis)


def _seeded() -> Dict[str, Any]:
    """The bootstrap's fixed random generator, under the keyword this scipy
    takes (`rng` from scipy 1.15, `random_state` before)."""
    generator = np.random.default_rng(SEED)
    parameters = inspect.signature(scipy_stats().bootstrap).parameters
    return {"rng" if "rng" in parameters else "random_state": generator}


def ratio_interval(a: Sequence[float], b: Sequence[float]
                   ) -> Tuple[Optional[float], Optional[float]]:
    """95% percentile-bootstrap interval of median(a) / median(b), the two
    samples resampled independently. Identical values on both sides: the
    ratio itself. A bound the bootstrap cannot give (a resampled baseline
    median of 0): None."""
    if min(a) == max(a) and min(b) == max(b):
        point = _finite(a[0] / b[0]) if b[0] else None
        return point, point
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = scipy_stats().bootstrap(
            (np.asarray(a, float), np.asarray(b, float)), _median_ratio,
            n_resamples=RESAMPLES, vectorized=True, paired=False,
            confidence_level=CONFIDENCE, method="percentile", **_seeded())
    interval = result.confidence_interval
    return _finite(interval.low), _finite(interval.high)


def measure(row: Verdict, case: List[float], base: List[float]) -> None:
    """Medians, ratio (the case's p25-p75 over the baseline median too),
    its bootstrap interval and the raw Mann-Whitney p, over valid trials."""
    row.median, row.baseline_median = (float(np.median(case)),
                                       float(np.median(base)))
    if row.baseline_median:
        p25, p75 = np.percentile(case, [25, 75])
        row.ratio = row.median / row.baseline_median
        row.ratio_p25 = float(p25) / row.baseline_median
        row.ratio_p75 = float(p75) / row.baseline_median
        row.ci_low, row.ci_high = ratio_interval(case, base)
    row.p = mann_whitney_u(case, base).p_value


def holm(p_values: Sequence[float]) -> List[float]:
    """Holm-Bonferroni adjusted p-values, in the order given: the i-th
    smallest of k is multiplied by k - i + 1 (i from 1), capped at 1 and
    never below the adjusted p of a smaller raw p."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank)
                                   * p_values[index]))
        adjusted[index] = running
    return adjusted


def decide(row: Verdict) -> None:
    """The verdict word and note of a tested row (p_holm set)."""
    went = (row.median > row.baseline_median) - (row.median <
                                                 row.baseline_median)
    if row.p_holm < ALPHA and went:
        way = "higher" if went > 0 else "lower"
        row.verdict = HOLDS if way == row.predicted else OPPOSITE
        return
    row.verdict = NO_DIFFERENCE
    if row.p_holm < ALPHA:
        row.note = "equal medians: no direction"
    elif row.p >= ALPHA and smallest_possible_p(
            row.n_valid, row.baseline_n_valid) >= ALPHA:
        row.note = ("too few valid trials: a difference could not be "
                    f"detected ({row.n_valid} + {row.baseline_n_valid})")


def run_verdicts(run: Any) -> List[Verdict]:
    """Every hypothesis case's rows in spec order, Holm-adjusted over the
    tested rows of the run (the family), with their verdicts."""
    rows = [row for label, point in hypothesis_cases(run)
            for row in case_verdicts(run, label, point)]
    tested = [row for row in rows if row.tested]
    for row, adjusted in zip(tested, holm([row.p for row in tested])):
        row.p_holm = adjusted
        decide(row)
    return rows


# --- Rule 4: a case's verdict, and the tallies ---------------------------

def case_rows(rows: Sequence[Verdict]) -> List[List[Verdict]]:
    """The rows grouped by case; a case's verdict is its first row's."""
    cases: List[List[Verdict]] = []
    for row in rows:
        if row.first or not cases:
            cases.append([row])
        else:
            cases[-1].append(row)
    return cases


def tally(rows: Sequence[Verdict]) -> Dict[str, int]:
    """How many cases got each verdict (their first row's), in
    VERDICT_WORDS order."""
    counts = Counter(case[0].verdict for case in case_rows(rows))
    return {word: counts.get(word, 0) for word in VERDICT_WORDS}


def tally_text(rows: Sequence[Verdict]) -> str:
    """`holds: 2, opposite holds: 0, no difference detected: 1, not
    tested: 1`: the tally of case verdicts."""
    return ", ".join(f"{word}: {n}" for word, n in tally(rows).items())


# --- Rule 6: outputs -----------------------------------------------------

def write_verdicts(rows: Sequence[Verdict], directory: str) -> str:
    """DIRECTORY/verdicts.json: {"schema", "alpha", "verdicts": [...]}."""
    path = os.path.join(directory, FILE_NAME)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"schema": SCHEMA, "alpha": ALPHA,
                   "verdicts": [row.as_json() for row in rows]},
                  handle, indent=2)
        handle.write("\n")
    return path


TERMINAL_HEADER = ("Case", "Baseline", "Predicted", "Valid",
                   "Ratio (95% CI)", "Holm p", "Verdict")
TERMINAL_WIDTH = 40  # longest case or baseline label shown in full


def _clip(text: str, width: int = TERMINAL_WIDTH) -> str:
    return text if len(text) <= width else text[:width - 3] + "..."


def terminal_row(row: Verdict) -> List[str]:
    """The cells of one row (case and baseline only on a case's first)."""
    names = ([_clip(row.label), _clip(row.baseline or "-")] if row.first
             else ["", ""])
    return names + [predicted_text(row), valid_text(row),
                    ratio_with_interval(row), p_text(row.p_holm),
                    verdict_text(row, " - ")]


def terminal_table(rows: Sequence[Verdict]) -> str:
    """The plain-text table and the tally line."""
    cells = [list(TERMINAL_HEADER)] + [terminal_row(row) for row in rows]
    widths = [max(len(line[i]) for line in cells)
              for i in range(len(TERMINAL_HEADER) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(line, widths)) + "  "
             + line[-1] for line in cells]
    lines.append(f"Verdicts of {len(case_rows(rows))} hypotheses "
                 f"(Holm-adjusted p < {ALPHA:g}): {tally_text(rows)}")
    return "\n".join(lines)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """RUN_DIR."""
    parser = argparse.ArgumentParser(
        prog="verdicts.py", description="The verdict of every hypothesis "
        "case of a run; writes RUN_DIR/verdicts.json.")
    parser.add_argument("run_dir", help="a run directory (or results/NAME "
                        "for its latest run)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    """Command line entry; returns the exit code."""
    run = load_run(parse_args(argv).run_dir)
    if not hypothesis_cases(run):
        return EXIT_OK
    try:
        scipy_stats()
    except ScipyMissing as error:
        print(f"verdicts: {error}", file=sys.stderr)
        return EXIT_NO_SCIPY
    rows = run_verdicts(run)
    print(terminal_table(rows))
    write_verdicts(rows, run.path)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(guarded_main(main))
