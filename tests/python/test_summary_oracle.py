"""Independent oracle: the summary.csv the C++ side writes equals numpy's
percentile / std over the same trials.jsonl.

Checked on the committed reference run's summary.csv (written by `echolab
run`) and on a copy of that run's spec.json + trials.jsonl summarized afresh
by `<ECHOLAB_BINARY or build/echolab> summarize DIR` (skipped when the binary
is missing or lacks the command). The reference trials are used rather than
synthetic ones because `echolab summarize` keys rows by the config_ids of
the spec's own expansion. Uses numpy only, not plot/'s reader.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import tempfile
import unittest
from typing import List

from plot.catalogue import echolab_binary, read_catalogue_file
from tests.python.synth import (STATS, binary_cannot_summarize,
                                group_records, numpy_stats, ok_values,
                                read_records, summarize_with_binary)

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
REFERENCE = os.path.join(REPO, "results", "reference", "forum-threadpool")


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


class ReferenceRunOracleTest(unittest.TestCase):
    def test_committed_summary_csv_matches_numpy(self):
        if not os.path.isfile(os.path.join(REFERENCE, "summary.csv")):
            self.skipTest(f"no reference run at {REFERENCE}")
        self.assertEqual(oracle_mismatches(REFERENCE), [])


class BinarySummarizeOracleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        reason = binary_cannot_summarize()
        if reason:
            raise unittest.SkipTest(reason)
        if not os.path.isfile(os.path.join(REFERENCE, "trials.jsonl")):
            raise unittest.SkipTest(f"no reference run at {REFERENCE}")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.run_dir = os.path.join(cls.tmp.name, "run")
        os.makedirs(cls.run_dir)
        for name in ("spec.json", "meta.json", "trials.jsonl"):
            shutil.copy(os.path.join(REFERENCE, name), cls.run_dir)
        summarize_with_binary(cls.run_dir)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

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


if __name__ == "__main__":
    unittest.main()
