"""Per-point summaries: the numbers in summary.csv, read or recomputed.

The C++ runner writes summary.csv at the end of a sweep; a killed sweep has
only trials.jsonl. `summarize_trials` computes the same table from the trials,
so plots work either way and tests can check that both agree.

Statistics over the repetitions of one point with status "ok":
median, p25, p75 by linear interpolation between closest ranks (the default
of numpy.percentile), min, max, and cv = population standard deviation / mean
(empty when the mean is 0). A cell is empty when no repetition has the metric.
"""
from __future__ import annotations

import csv
import json
import math
import statistics
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from plot.cli_support import BadInput

MAIN_METRICS = (
    "throughput_mb_s", "msgs_per_s", "server_cpu_s", "client_cpu_s",
    "server_cpu_per_gb", "ctx_switches_voluntary", "ctx_switches_involuntary",
    "migrations", "spurious_wakeups", "fairness_jain", "interval_cv",
)
STATS = ("median", "p25", "p75", "min", "max", "cv")

Stats = Dict[str, Optional[float]]


@dataclass
class SummaryRow:
    """One row of summary.csv: a point and its statistics per main metric."""
    config_id: str
    label: str = ""
    varied: Dict[str, Any] = field(default_factory=dict)
    n_ok: int = 0
    n_trials: int = 0
    stats: Dict[str, Stats] = field(default_factory=dict)

    def stat(self, metric: str, name: str) -> Optional[float]:
        """The statistic `name` of `metric`, or None where there is no data."""
        return self.stats.get(metric, {}).get(name)


def _lerp(low: float, high: float, t: float) -> float:
    """Interpolate like numpy does (bit-for-bit the same for t in [0, 1])."""
    diff = high - low
    return high - diff * (1 - t) if t >= 0.5 else low + diff * t


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of ascending values, numpy 'linear'."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    position = q / 100.0 * (len(sorted_values) - 1)  # numpy's order
    below = math.floor(position)
    above = min(below + 1, len(sorted_values) - 1)
    return _lerp(float(sorted_values[below]), float(sorted_values[above]),
                 position - below)


def summarize_values(values: Iterable[float]) -> Stats:
    """median, p25, p75, min, max and cv of `values` (all None when empty)."""
    ordered = sorted(float(v) for v in values)
    if not ordered:
        return {name: None for name in STATS}
    mean = statistics.fmean(ordered)
    cv = statistics.pstdev(ordered) / mean if mean != 0 else None
    return {"median": percentile(ordered, 50), "p25": percentile(ordered, 25),
            "p75": percentile(ordered, 75), "min": ordered[0],
            "max": ordered[-1], "cv": cv}


def as_number(value: Any) -> Optional[float]:
    """`value` as a finite float, or None for missing, bool or non-numbers."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def metric_values(trials: Iterable[Any], metric: str) -> List[float]:
    """The values of `metric` over the successful trials (None-free)."""
    values = []
    for trial in trials:
        if trial.status != "ok":
            continue
        number = as_number(trial.metrics.get(metric))
        if number is not None:
            values.append(number)
    return values


def summarize_trials(trials: Sequence[Any]) -> List[SummaryRow]:
    """One SummaryRow per config_id, in order of first appearance.

    `trials` are objects with config_id, label, varied, status and metrics
    (plot.rundir.Trial).
    """
    groups: Dict[str, List[Any]] = {}
    for trial in trials:
        groups.setdefault(trial.config_id, []).append(trial)
    rows = []
    for config_id, group in groups.items():
        first = group[0]
        rows.append(SummaryRow(
            config_id=config_id, label=first.label, varied=dict(first.varied),
            n_ok=sum(1 for t in group if t.status == "ok"), n_trials=len(group),
            stats={m: summarize_values(metric_values(group, m))
                   for m in MAIN_METRICS}))
    return rows


def varied_keys_of(rows: Iterable[SummaryRow]) -> List[str]:
    """Union of the varied keys of `rows`, in order of first appearance."""
    keys: Dict[str, None] = {}
    for row in rows:
        for key in row.varied:
            keys.setdefault(key, None)
    return list(keys)


def format_cell(value: Any) -> str:
    """A summary.csv cell: empty for None, shortest round-trip for floats."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, sort_keys=True)


def summary_header(varied_keys: Sequence[str]) -> List[str]:
    """The summary.csv column names for these varied keys."""
    return (["config_id", "label", *varied_keys, "n_ok", "n_trials"]
            + [f"{m}_{s}" for m in MAIN_METRICS for s in STATS])


def write_summary_csv(path: str, rows: Sequence[SummaryRow]) -> None:
    """Write `rows` in the summary.csv layout of docs/DESIGN.md."""
    keys = varied_keys_of(rows)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(summary_header(keys))
        for row in rows:
            writer.writerow(
                [row.config_id, row.label]
                + [format_cell(row.varied.get(k)) for k in keys]
                + [row.n_ok, row.n_trials]
                + [format_cell(row.stat(m, s)) for m in MAIN_METRICS
                   for s in STATS])


def _parse_number(cell: str) -> Optional[float]:
    try:
        number = float(cell)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def read_summary_csv(path: str) -> Tuple[List[SummaryRow], List[str]]:
    """Read summary.csv -> (rows, varied keys). Varied values stay strings."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            table = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BadInput(f"cannot read {path}: {error}") from None
    if not table:
        raise BadInput(f"{path} is empty")
    header = table[0]
    for required in ("config_id", "label", "n_ok", "n_trials"):
        if required not in header:
            raise BadInput(f"{path}: missing column {required!r}")
    first_varied = header.index("label") + 1
    varied_keys = header[first_varied:header.index("n_ok")]
    rows = []
    for line_number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        if len(cells) != len(header):
            raise BadInput(f"{path}:{line_number}: {len(cells)} cells, "
                           f"header has {len(header)}")
        record = dict(zip(header, cells))
        rows.append(SummaryRow(
            config_id=record["config_id"], label=record["label"],
            varied={k: record[k] for k in varied_keys},
            n_ok=int(_parse_number(record["n_ok"]) or 0),
            n_trials=int(_parse_number(record["n_trials"]) or 0),
            stats={m: {s: _parse_number(record.get(f"{m}_{s}", ""))
                       for s in STATS} for m in MAIN_METRICS}))
    return rows, varied_keys
