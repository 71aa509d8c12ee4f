"""Summary statistics: numpy-compatible percentiles, summary.csv agreement."""
from __future__ import annotations

import csv
import os
import random
import tempfile
import unittest

import numpy as np

from plot.cli_support import BadInput
from plot.jsonc import loads_jsonc, strip_comments
from plot.rundir import load_run, read_trials
from plot.summarize import (MAIN_METRICS, STATS, percentile, read_summary_csv,
                            summarize_trials, summarize_values,
                            write_summary_csv)
from tests.python.clitools import quietly
from tests.python.synth import make_run_dir


class PercentileTest(unittest.TestCase):
    def test_matches_numpy_linear_percentile_exactly(self):
        rng = random.Random(3)
        for size in (1, 2, 3, 4, 5, 7, 10, 31):
            values = sorted(rng.uniform(-50, 5000) for _ in range(size))
            for q in (0, 10, 25, 33.3, 50, 75, 90, 99, 100):
                self.assertEqual(percentile(values, q),
                                 float(np.percentile(values, q)),
                                 f"size {size} q {q}")

    def test_summarize_values_edge_cases(self):
        self.assertEqual(summarize_values([]),
                         {name: None for name in STATS})
        single = summarize_values([7])
        self.assertEqual((single["median"], single["min"], single["cv"]),
                         (7.0, 7.0, 0.0))
        self.assertIsNone(summarize_values([0, 0])["cv"])
        stats = summarize_values([4, 1, 3, 2])
        self.assertEqual((stats["median"], stats["p25"], stats["p75"]),
                         (2.5, 1.75, 3.25))
        self.assertAlmostEqual(stats["cv"], np.std([1, 2, 3, 4]) / 2.5)


class SummaryAgreementTest(unittest.TestCase):
    """summarize_trials (used when summary.csv is missing) must give the
    numbers the runner writes into summary.csv (here computed with numpy)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        failing = (lambda varied, rep: "failed" if rep == 2 and
                   varied["server.threads"] == 2 else None)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "agree", repetitions=4, series=False, fail=failing,
            matrix={"server.model": ["single_thread", "reuseport"],
                    "server.threads": [1, 2]})

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def test_computed_summary_equals_summary_csv(self):
        trials = read_trials(os.path.join(self.run_dir, "trials.jsonl"), [])
        computed = {row.config_id: row for row in summarize_trials(trials)}
        from_csv, keys = read_summary_csv(
            os.path.join(self.run_dir, "summary.csv"))
        self.assertEqual(keys, ["server.model", "server.threads"])
        self.assertEqual(set(computed), {row.config_id for row in from_csv})
        for row in from_csv:
            mine = computed[row.config_id]
            self.assertEqual((mine.n_ok, mine.n_trials),
                             (row.n_ok, row.n_trials))
            for metric in MAIN_METRICS:
                for stat in STATS:
                    expected, actual = row.stat(metric, stat), \
                        mine.stat(metric, stat)
                    if expected is None:
                        self.assertIsNone(actual, f"{metric}_{stat}")
                    else:
                        self.assertAlmostEqual(
                            actual, expected, delta=1e-9 * abs(expected),
                            msg=f"{row.config_id} {metric}_{stat}")

    def test_write_then_read_round_trips(self):
        trials = read_trials(os.path.join(self.run_dir, "trials.jsonl"), [])
        rows = summarize_trials(trials)
        path = os.path.join(self.tmp.name, "roundtrip.csv")
        write_summary_csv(path, rows)
        again, _ = read_summary_csv(path)
        for before, after in zip(rows, again):
            self.assertEqual(before.stats, after.stats)
            self.assertEqual(str(before.varied["server.threads"]),
                             after.varied["server.threads"])

    def test_missing_summary_csv_is_recomputed_with_a_note(self):
        copy = os.path.join(self.tmp.name, "nosummary")
        os.makedirs(copy)
        for name in ("spec.json", "meta.json", "trials.jsonl"):
            with open(os.path.join(self.run_dir, name)) as source, \
                    open(os.path.join(copy, name), "w") as target:
                target.write(source.read())
        with quietly():
            run = load_run(copy)
        self.assertEqual(run.summary_source, "trials.jsonl")
        self.assertTrue(any("summary.csv" in note for note in run.notes))
        with open(os.path.join(self.run_dir, "summary.csv")) as handle:
            rows = {r["config_id"]: r for r in csv.DictReader(handle)}
        for point in run.points:
            expected = float(rows[point.config_id]["throughput_mb_s_median"])
            self.assertAlmostEqual(point.stat("throughput_mb_s", "median"),
                                   expected, delta=1e-9 * expected)


class JsoncTest(unittest.TestCase):
    def test_comments_outside_strings_are_removed(self):
        text = ('// title\n{"url": "http://x//y", /* block\n */ "n": 1, '
                '"q": "a\\"//b"} // end')
        self.assertEqual(loads_jsonc(text),
                         {"url": "http://x//y", "n": 1, "q": 'a"//b'})
        self.assertEqual(strip_comments(text).count("\n"), text.count("\n"))

    def test_error_names_file_line_and_column(self):
        with self.assertRaises(BadInput) as caught:
            loads_jsonc('// c\n{\n  "a": 1,,\n}', "spec.json")
        self.assertIn("spec.json:3:", str(caught.exception))


if __name__ == "__main__":
    unittest.main()
