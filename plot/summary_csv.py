"""Read summary.csv: the per-point statistics the C++ runner computed.

`echolab run` rewrites summary.csv after every trial (so a killed sweep has
it too) and `echolab summarize DIR` writes it for any run directory. plot/
computes no statistic itself: a cell that is empty or absent is shown as
missing. Which metrics have columns is the catalogue's business
(plot/catalogue.py: entries with "summary": true); the `<M>_merged` columns
(percentiles over the merged latency histograms of all ok repetitions) and
`n_requests` are read by their header names.
"""
from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

from plot.catalogue import Catalogue
from plot.cli_support import BadInput, summarize_fix

FILE_NAME = "summary.csv"
STATS = ("median", "p25", "p75", "min", "max", "cv")
REQUIRED_COLUMNS = ("config_id", "label", "n_ok", "n_trials")
MERGED_SUFFIX = "_merged"

Stats = Dict[str, Optional[float]]


@dataclass
class SummaryRow:
    """One row of summary.csv: a point and its statistics per metric."""
    config_id: str
    label: str = ""
    varied: Dict[str, Any] = field(default_factory=dict)
    n_ok: int = 0
    n_trials: int = 0
    stats: Dict[str, Stats] = field(default_factory=dict)
    # ok trials that met the point's expectation; None when the point has
    # none or summary.csv has no n_expect_met column (an older echolab).
    n_expect_met: Optional[int] = None
    # ok trials whose client set the pace ("client_bound") and ok open-loop
    # trials under 95% of the offered rate ("overloaded"); None when
    # summary.csv has no such column (an older echolab).
    n_client_bound: Optional[int] = None
    n_overloaded: Optional[int] = None
    # Requests of all ok repetitions together and the figures of their
    # merged histograms, by metric (`latency_us_p99` from
    # latency_us_p99_merged); None / absent for points without requests.
    n_requests: Optional[int] = None
    merged: Stats = field(default_factory=dict)

    def stat(self, metric: str, name: str) -> Optional[float]:
        """The statistic `name` of `metric`, or None where there is none."""
        return self.stats.get(metric, {}).get(name)

    def merged_stat(self, metric: str) -> Optional[float]:
        """`metric` over the merged histograms (`<metric>_merged`), or None."""
        return self.merged.get(metric)


def _parse_number(cell: str) -> Optional[float]:
    try:
        number = float(cell)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _optional_count(cell: str) -> Optional[int]:
    number = _parse_number(cell)
    return None if number is None else int(number)


def _read_table(path: str) -> List[List[str]]:
    fix = summarize_fix(os.path.dirname(path))
    if not os.path.isfile(path):
        raise BadInput(f"{path} is missing; {fix}")
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            table = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise BadInput(f"cannot read {path}: {error}") from None
    if not table:
        raise BadInput(f"{path} is empty; {fix}")
    for required in REQUIRED_COLUMNS:
        if required not in table[0]:
            raise BadInput(f"{path}: missing column {required!r}; "
                           f"{fix}")
    return table


def _row(record: Dict[str, str], varied_keys: Sequence[str],
         metrics: Sequence[str]) -> SummaryRow:
    return SummaryRow(
        config_id=record["config_id"], label=record["label"],
        varied={k: record[k] for k in varied_keys},
        n_ok=int(_parse_number(record["n_ok"]) or 0),
        n_trials=int(_parse_number(record["n_trials"]) or 0),
        n_expect_met=_optional_count(record.get("n_expect_met", "")),
        n_client_bound=_optional_count(record.get("n_client_bound", "")),
        n_overloaded=_optional_count(record.get("n_overloaded", "")),
        stats={m: {s: _parse_number(record.get(f"{m}_{s}", ""))
                   for s in STATS} for m in metrics},
        n_requests=_optional_count(record.get("n_requests", "")),
        merged={column[:-len(MERGED_SUFFIX)]: _parse_number(cell)
                for column, cell in record.items()
                if column.endswith(MERGED_SUFFIX)})


def read_summary_csv(path: str, catalogue: Catalogue
                     ) -> Tuple[List[SummaryRow], List[str]]:
    """Read summary.csv -> (rows, varied keys). Varied values stay strings;
    statistics are read for the catalogue's summary metrics in the header."""
    table = _read_table(path)
    header = table[0]
    varied_keys = header[header.index("label") + 1:header.index("n_ok")]
    metrics = catalogue.summary_metrics(header)
    rows = []
    for line_number, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        if len(cells) != len(header):
            raise BadInput(f"{path}:{line_number}: {len(cells)} cells, "
                           f"header has {len(header)}")
        rows.append(_row(dict(zip(header, cells)), varied_keys, metrics))
    return rows, varied_keys
