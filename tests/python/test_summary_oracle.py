"""Independent oracle: the summary.csv the C++ side writes equals numpy's
percentile / std over the same trials.jsonl.

Checked on the committed reference run's summary.csv (written by `echolab
run`), on a copy of that run's spec.json + trials.jsonl summarized afresh by
`<ECHOLAB_BINARY or build/echolab> summarize DIR`, and on a synthetic run
(tests/python/synth.py, which has `echolab summarize` write its summary.csv:
its config_ids are not the spec's own, so every row is one found only in
trials.jsonl). The binary cases skip when there is no binary. The statistics
here use numpy only, not plot/'s reader and not the C++ code.
"""
from __future__ import annotations

import csv
import json
import math
import os
import shutil
import subprocess
import tempfile
import unittest
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from plot.catalogue import echolab_binary, read_catalogue_file
from tests.python.synth import make_run_dir, require_binary, summarize_run_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
REFERENCE = os.path.join(REPO, "results", "reference", "forum-threadpool")
STATS = ("median", "p25", "p75", "min", "max", "cv")


def read_records(run_dir: str) -> List[Dict[str, Any]]:
    """The records of trials.jsonl (lines that are not JSON skipped)."""
    records = []
    with open(os.path.join(run_dir, "trials.jsonl")) as handle:
        for line in handle:
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def group_records(records: Sequence[Dict[str, Any]]
                  ) -> Dict[str, List[Dict[str, Any]]]:
    """Records by config_id, in order of first appearance."""
    groups: Dict[str, List[Dict[str, Any]]] = {}
    for record in records:
        groups.setdefault(record["config_id"], []).append(record)
    return groups


def ok_values(group: Sequence[Dict[str, Any]], metric: str) -> List[float]:
    """`metric` of the successful records of a point that have it."""
    return [r["metrics"][metric] for r in group if r["status"] == "ok"
            and isinstance(r["metrics"].get(metric), (int, float))]


def numpy_stats(values: List[float]) -> List[Optional[float]]:
    """median,p25,p75,min,max,cv with numpy; Nones when there are no values,
    cv None when the mean is 0."""
    if not values:
        return [None] * len(STATS)
    array = np.array(values, dtype=float)
    mean = array.mean()
    stats = [float(x) for x in (
        np.percentile(array, 50), np.percentile(array, 25),
        np.percentile(array, 75), array.min(), array.max())]
    return stats + [float(array.std() / mean) if mean != 0 else None]


def _differs(cell: str, expected) -> bool:
    if expected is None:
        return cell != ""
    if cell == "":
        return True
    return abs(float(cell) - expected) > 1e-9 * max(1.0, abs(expected))


def oracle_mismatches(run_dir: str) -> List[str]:
    """Cells of summary.csv that differ from numpy over trials.jsonl."""
    groups = group_records(read_records(run_dir))
    with open(os.path.join(run_dir, "summary.csv"), newline="") as handle:
        reader = csv.DictReader(handle)
        metrics = [c[:-len("_median")] for c in reader.fieldnames
                   if c.endswith("_median")]
        rows = list(reader)
    problems = []
    for row in rows:
        group = groups.get(row["config_id"], [])
        ok = [r for r in group if r["status"] == "ok"]
        if (int(row["n_ok"]), int(row["n_trials"])) != (len(ok), len(group)):
            problems.append(f"{row['config_id']}: counts")
        for metric in metrics:
            expected = numpy_stats(ok_values(group, metric))
            problems += [f"{row['config_id']} {metric}_{stat}: "
                         f"{row[f'{metric}_{stat}']!r} vs numpy {value!r}"
                         for stat, value in zip(STATS, expected)
                         if _differs(row[f"{metric}_{stat}"], value)]
    return problems if rows else ["summary.csv has no row"]


# The merged columns: percentiles of the histograms of a point's ok
# repetitions added bucket by bucket (harness/load/latency_histogram.h).
MERGED = {"latency_ns": ("latency_us", {"p50": 0.5, "p90": 0.9, "p99": 0.99,
                                        "p999": 0.999, "p9999": 0.9999}),
          "connect_ns": ("connect_us", {"p50": 0.5, "p99": 0.99})}


def bucket_bounds(index: int) -> Tuple[int, int]:
    """Lowest and highest ns of a bucket: one value each below 256, then
    128 buckets per power of two."""
    if index < 256:
        return index, index
    shift = (index - 256) // 128 + 1
    low = (128 + (index - 256) % 128) << shift
    return low, low + (1 << shift) - 1


def merged_counts(group: Sequence[Dict[str, Any]], name: str
                  ) -> Tuple[Dict[int, int], int, int, Tuple[float, float]]:
    """(counts by bucket, count, sum_ns, (min_ns, max_ns)) of histogram
    `name` over the ok records of a point. The extremes are exact where
    every histogram carried its own (min_ns / max_ns), else the lowest and
    highest bucket's outer ends."""
    counts: Dict[int, int] = {}
    total = sum_ns = 0
    mins: List[Optional[int]] = []
    maxes: List[Optional[int]] = []
    for record in group:
        histogram = (record.get("histograms") or {}).get(name)
        if record["status"] != "ok" or not histogram:
            continue
        pairs = histogram["buckets"]
        for index, count in zip(pairs[0::2], pairs[1::2]):
            counts[index] = counts.get(index, 0) + count
        total += histogram["count"]
        sum_ns += histogram["sum_ns"]
        if histogram["count"]:
            mins.append(histogram.get("min_ns"))
            maxes.append(histogram.get("max_ns"))
    if not total:
        return counts, total, sum_ns, (0.0, 0.0)
    low = min(mins) if None not in mins else bucket_bounds(min(counts))[0]
    high = max(maxes) if None not in maxes else bucket_bounds(max(counts))[1]
    return counts, total, sum_ns, (float(low), float(high))


def quantile_us(counts: Dict[int, int], total: int, q: float, extremes: Tuple[float, float]) -> float:
    """The highest equivalent value (us) of the bucket holding the
    ceil(q * total)-th value, within the extremes (HdrHistogram's
    convention)."""
    rank, seen = max(1, math.ceil(q * total)), 0
    for index in sorted(counts):
        seen += counts[index]
        if seen >= rank:
            return min(max(bucket_bounds(index)[1], extremes[0]), extremes[1]) / 1000.0
    raise AssertionError("rank beyond the histogram")


def merged_expected(group: Sequence[Dict[str, Any]]
                    ) -> Dict[str, Optional[float]]:
    """The merged columns of a point as the histograms give them; None
    (an empty cell) for a point without requests."""
    expected: Dict[str, Optional[float]] = {}
    for name, (prefix, quantiles) in MERGED.items():
        counts, total, sum_ns, extremes = merged_counts(group, name)
        for label, q in quantiles.items():
            expected[f"{prefix}_{label}_merged"] = \
                quantile_us(counts, total, q, extremes) if total else None
        if name == "latency_ns":
            expected["n_requests"] = float(total) if total else None
            expected["latency_us_max_merged"] = extremes[1] / 1000.0 if total else None
            expected["latency_us_mean_merged"] = \
                sum_ns / total / 1000.0 if total else None
    return expected


def merged_mismatches(run_dir: str) -> List[str]:
    """Merged cells of summary.csv that differ from the histograms."""
    groups = group_records(read_records(run_dir))
    with open(os.path.join(run_dir, "summary.csv"), newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [f"{row['config_id']} {column}: {row[column]!r} vs {value!r}"
            for row in rows
            for column, value in merged_expected(
                groups[row["config_id"]]).items()
            if _differs(row[column], value)]


class ReferenceRunOracleTest(unittest.TestCase):
    def test_committed_summary_csv_matches_numpy(self):
        if not os.path.isfile(os.path.join(REFERENCE, "summary.csv")):
            self.skipTest(f"no reference run at {REFERENCE}")
        self.assertEqual(oracle_mismatches(REFERENCE), [])


class BinarySummarizeOracleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        if not os.path.isfile(os.path.join(REFERENCE, "trials.jsonl")):
            raise unittest.SkipTest(f"no reference run at {REFERENCE}")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = os.path.join(cls.tmp.name, "run")
        os.makedirs(cls.run_dir)
        for name in ("spec.json", "meta.json", "trials.jsonl"):
            shutil.copy(os.path.join(REFERENCE, name), cls.run_dir)
        summarize_run_dir(cls.run_dir)

    def test_summary_csv_matches_numpy(self):
        self.assertEqual(oracle_mismatches(self.run_dir), [])
        with open(os.path.join(self.run_dir, "summary.csv")) as handle:
            self.assertEqual(len(list(csv.DictReader(handle))),
                             len(group_records(read_records(self.run_dir))))

    def test_metrics_json_has_a_column_per_summary_metric(self):
        catalogue = read_catalogue_file(os.path.join(self.run_dir,
                                                     "metrics.json"))
        with open(os.path.join(self.run_dir, "summary.csv")) as handle:
            header = next(csv.reader(handle))
        summary = [m.name for m in catalogue.metrics.values() if m.summary]
        self.assertEqual(catalogue.summary_metrics(header), summary)
        self.assertIn("throughput_mb_s", summary)

    def test_metrics_json_equals_help_metrics(self):
        printed = subprocess.run([echolab_binary(), "help", "metrics",
                                  "--json"], capture_output=True, text=True,
                                 timeout=60, check=True).stdout
        with open(os.path.join(self.run_dir, "metrics.json")) as handle:
            self.assertEqual(json.load(handle), json.loads(printed))


class SyntheticRunOracleTest(unittest.TestCase):
    """A synthetic run with failed and timed-out repetitions, a labelled case
    and a swept key: every row comes from trials.jsonl alone."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "oracle", repetitions=4,
            matrix={"server.model": ["reuseport", "shared_listener"],
                    "server.threads": [1, 2]},
            cases=[{"label": "one thread, level", "server.trigger": "level"}],
            fail=lambda varied, rep:
            "timeout" if varied["server.trigger"] == "level" and rep < 4
            else "failed" if varied["server.threads"] == 2 and rep == 1
            else None)
        cls.groups = group_records(read_records(cls.run_dir))
        with open(os.path.join(cls.run_dir, "summary.csv")) as handle:
            cls.rows = list(csv.DictReader(handle))

    def test_summary_csv_matches_numpy(self):
        self.assertEqual(oracle_mismatches(self.run_dir), [])

    def test_a_row_per_config_id_labelled_from_the_trials(self):
        self.assertEqual([row["config_id"] for row in self.rows],
                         list(self.groups))
        for row in self.rows:
            first = self.groups[row["config_id"]][0]
            self.assertEqual(row["label"], first["label"])
            for key, value in first["varied"].items():
                self.assertEqual(row[key], str(value), key)
        single = [row for row in self.rows if row["n_ok"] == "1"]
        self.assertEqual(len(single), 1)  # 3 of 4 timed out
        self.assertEqual(float(single[0]["throughput_mb_s_cv"]), 0.0)



class SyntheticRequestOracleTest(unittest.TestCase):
    """Request workloads (rr, crr, open with one failed repetition): the
    statistics of the new metrics match numpy, and the `*_merged` columns
    match the trial histograms added bucket by bucket."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "requests", repetitions=3,
            defaults={"load.workload": "open", "load.message_bytes": 64},
            matrix={"server.model": ["single_thread", "reuseport"],
                    "load.rate": [20000.0, 50000.0]},
            cases=[{"label": "rr", "load.workload": "rr"},
                   {"label": "crr", "load.workload": "crr"}],
            fail=lambda varied, rep: "failed" if rep == 2 and
            varied.get("load.rate") == 50000.0 else None)

    def test_summary_csv_matches_numpy(self):
        self.assertEqual(oracle_mismatches(self.run_dir), [])

    def test_merged_columns_match_the_histograms(self):
        self.assertEqual(merged_mismatches(self.run_dir), [])
        with open(os.path.join(self.run_dir, "summary.csv")) as handle:
            rows = list(csv.DictReader(handle))
        self.assertTrue(all(row["n_requests"] for row in rows))
        self.assertEqual(sum(bool(row["connect_us_p99_merged"])
                             for row in rows), 1)  # crr only


if __name__ == "__main__":
    unittest.main()
