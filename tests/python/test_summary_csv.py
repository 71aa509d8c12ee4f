"""summary.csv is read, never recomputed; missing figures stay missing."""
from __future__ import annotations

import csv
import os
import tempfile
import unittest

from plot import report
from plot.catalogue import read_catalogue_file
from plot.cli_support import BadInput
from plot.jsonc import loads_jsonc, strip_comments
from plot.rundir import load_run
from plot.summary_csv import STATS, read_summary_csv
from tests.python.clitools import quietly, run_cli
from tests.python.synth import make_run_dir


def rewrite_csv(path, edit):
    """Apply `edit(rows)` to the rows of a CSV file in place."""
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    rows = edit(rows)
    with open(path, "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


class SummaryCsvTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        failing = (lambda varied, rep: "failed" if rep == 2 and
                   varied["server.threads"] == 2 else None)
        self.run_dir = make_run_dir(
            self.tmp.name, "read", repetitions=3, series=False, fail=failing,
            matrix={"server.model": ["shared_listener", "reuseport"],
                    "server.threads": [1, 2]})
        self.csv_path = os.path.join(self.run_dir, "summary.csv")
        self.catalogue = read_catalogue_file(
            os.path.join(self.run_dir, "metrics.json"))

    def test_reads_every_summary_metric_of_the_catalogue(self):
        rows, keys = read_summary_csv(self.csv_path, self.catalogue)
        self.assertEqual(keys, ["server.model", "server.threads"])
        self.assertEqual(len(rows), 4)
        with open(self.csv_path) as handle:
            expected = {r["config_id"]: r for r in csv.DictReader(handle)}
        for row in rows:
            record = expected[row.config_id]
            self.assertEqual((row.n_ok, row.n_trials),
                             (int(record["n_ok"]), int(record["n_trials"])))
            self.assertEqual(set(row.stats), {
                m.name for m in self.catalogue.metrics.values() if m.summary})
            for metric, stats in row.stats.items():
                for stat in STATS:
                    cell = record[f"{metric}_{stat}"]
                    self.assertEqual(stats[stat],
                                     float(cell) if cell else None)

    def test_columns_outside_the_catalogue_are_ignored(self):
        rewrite_csv(self.csv_path, lambda rows: [
            row + (["future_metric_median"] if i == 0 else ["1"])
            for i, row in enumerate(rows)])
        rows, _ = read_summary_csv(self.csv_path, self.catalogue)
        self.assertNotIn("future_metric", rows[0].stats)

    def test_a_metric_without_columns_is_missing_not_computed(self):
        def drop_throughput(rows):
            keep = [i for i, name in enumerate(rows[0])
                    if not name.startswith("throughput_mb_s_")]
            return [[row[i] for i in keep] for row in rows]
        rewrite_csv(self.csv_path, drop_throughput)
        with quietly():
            run = load_run(self.run_dir)
        for point in run.points:
            self.assertIsNone(point.stat("throughput_mb_s", "median"))
            self.assertTrue(point.repetition_values("throughput_mb_s"))
        with quietly():
            result = report.render_run(self.run_dir)
        self.assertNotIn("throughput", {c.stem for c in result.charts})

    def test_missing_summary_csv_is_one_line_naming_the_fix(self):
        os.remove(self.csv_path)
        code, _, err = run_cli(report.main, [self.run_dir])
        self.assertEqual(code, 2, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertIn(f"{self.csv_path} is missing", err)
        self.assertIn(f"`echolab summarize {self.run_dir}` writes it", err)

    def test_point_without_a_row_shows_as_missing(self):
        rewrite_csv(self.csv_path, lambda rows: rows[:-1])
        with quietly() as err:
            run = load_run(self.run_dir)
        self.assertIn("has no row for point", err.getvalue())
        missing = run.points[-1]
        self.assertTrue(missing.ok_trials)
        self.assertIsNone(missing.stat("throughput_mb_s", "median"))
        with quietly():
            result = report.render_run(self.run_dir)
        with open(result.report_path) as handle:
            markdown = handle.read()
        self.assertIn(f"| {missing.name} | 2/3 | - | - | - |", markdown)

    def test_stale_row_counts_warn_and_are_still_used(self):
        column = None

        def bump(rows):
            nonlocal column
            column = rows[0].index("n_trials")
            rows[1][column] = "9"
            return rows
        rewrite_csv(self.csv_path, bump)
        with quietly():
            run = load_run(self.run_dir)
        self.assertTrue(any("counts 9 trials" in n and "stale" in n
                            for n in run.notes))
        self.assertEqual(run.points[0].summary.n_trials, 9)


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
