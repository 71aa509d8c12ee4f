"""REPORT.md for a spec written as a table of hypotheses (case annotations
hypothesis / baseline / mechanism / expect), the server-threads-active
distribution and failed expectations, and the chart fixes that go with it:
one file per line chart, no line chart for a case-only spec, idle server
threads in the per-thread chart, bar labels that do not overlap."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

from plot import report
from plot.chartkit import bar_tick_labels
from plot.charts_detail import server_threads
from plot.charts_points import line_chart_stem, numeric_axes
from plot.hypotheses import (FLAG, HYPOTHESIS_HEADER, expectation_text,
                             threads_active_text)
from plot.mannwhitney import scipy_stats
from plot.report_md import table
from plot.rundir import load_run
from tests.python.clitools import markdown_table_rows, quietly
from tests.python.synth import make_run_dir

# The forum's socket code (level, one read, EPOLLOUT always, 4 KiB reads).
FORUM = {"server.trigger": "level", "server.read": "once",
         "server.write_interest": "always", "server.read_buffer": 4096}
BASE = {"server.model": "single_thread", **FORUM}
POOL = {"server.model": "shared_listener", "server.threads": 4, **FORUM}


def hypothesis_cases():
    """14 labelled cases: two baselines, then hypotheses against them; the
    pool cases expect two busy threads but get one in some repetitions.
    Every hypothesis but the last predicts one metric."""
    cases = [
        {"label": "baseline: single thread, level/once", **BASE},
        {"label": "baseline: single thread, 2 client threads", **BASE,
         "load.threads": 2},
        {"label": "forum pool", **POOL,
         "hypothesis": "The shared-listener pool loses to one thread because "
                       "one thread ends up doing all the work",
         "baseline": "baseline: single thread, level/once",
         "mechanism": "server_threads_active",
         "expect": {"server_threads_active": 1},
         "predicts": {"throughput_mb_s": "lower"}},
        {"label": "forum pool, 2 connections", **POOL,
         "load.connections": 2,
         "hypothesis": "Two connections land on two of the four threads",
         "baseline": "baseline: single thread, level/once",
         "mechanism": "server_threads_active",
         "expect": {"server_threads_active": 2},
         "predicts": {"throughput_mb_s": "lower"}},
        {"label": "forum pool, 2 client threads", **POOL, "load.threads": 2,
         "hypothesis": "A second client thread does not change the verdict",
         "baseline": "baseline: single thread, 2 client threads",
         "mechanism": "busy_threads",
         "expect": {"busy_threads": {"min": 2, "max": 3}},
         "predicts": {"throughput_mb_s": "lower"}},
    ]
    fixes = [("edge + drain", {"server.trigger": "edge",
                               "server.read": "drain"}),
             ("write interest on demand",
              {"server.write_interest": "on_demand"}),
             ("64 KiB reads", {"server.read_buffer": 65536}),
             ("8 connections", {"load.connections": 8}),
             ("reuseport", {"server.model": "reuseport"}),
             ("acceptor + workers", {"server.model": "acceptor_workers"}),
             ("dispatch pool", {"server.model": "dispatch_pool"}),
             ("server threads unbound", {"server.bind": "set"})]
    for name, change in fixes:
        cases.append({"label": f"fix: {name}", **POOL, **change,
                      "hypothesis": f"{name} alone gets the speed back",
                      "baseline": "baseline: single thread, level/once",
                      "mechanism": "idle_event_share",
                      "predicts": {"throughput_mb_s": "higher"}})
    cases.append({"label": "tuned single thread", "server.model":
                  "single_thread", "hypothesis": "the socket fixes alone "
                  "double one thread", "baseline":
                  "baseline: single thread, level/once"})
    return cases


def active_threads(varied, repetition):
    """Pools: two busy threads except in repetitions 2 and 4 (one)."""
    if varied.get("server.threads", 1) < 2:
        return None
    return 1 if repetition in (2, 4) else 2


class HypothesisReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "hypotheses", matrix={}, cases=hypothesis_cases(),
            repetitions=5, active_threads=active_threads)
        with quietly():
            cls.result = report.render_run(cls.run_dir)
        with open(cls.result.report_path) as handle:
            cls.markdown = handle.read()
        cls.loaded = cls.result.run

    def hypothesis_table(self):
        """The rows of the first table as lists of cells."""
        return markdown_table_rows(self.markdown)

    def point(self, label):
        return next(p for p in self.loaded.points if p.label == label)

    def test_hypothesis_table_is_the_first_table(self):
        rows = self.hypothesis_table()
        self.assertEqual(rows[0], HYPOTHESIS_HEADER)
        self.assertLess(self.markdown.index("## Short answer"),
                        self.markdown.index("## Hypotheses"))
        self.assertLess(self.markdown.index("## Hypotheses"),
                        self.markdown.index("## Machine and run"))
        self.assertLess(self.markdown.index("## Machine and run"),
                        self.markdown.index("## Summary"))

    def test_one_row_per_hypothesis_in_spec_order(self):
        rows = self.hypothesis_table()[2:]
        expected = [c["label"] for c in hypothesis_cases()
                    if "hypothesis" in c]
        self.assertEqual([r[1] for r in rows], expected)
        self.assertEqual(len(rows), 12)
        self.assertTrue(rows[0][0].startswith("The shared-listener pool"))
        self.assertEqual(rows[0][2], "baseline: single thread, level/once")
        self.assertEqual(rows[2][2],
                         "baseline: single thread, 2 client threads")

    def row(self, label):
        return next(r for r in self.hypothesis_table()[2:] if r[1] == label)

    def test_ratio_of_valid_medians_equals_summary_ratio_when_all_valid(self):
        # no expectation on either side: every ok trial is valid, so the
        # ratio of valid-trial medians is summary.csv's medians divided
        row = self.row("fix: reuseport")
        fix = self.point("fix: reuseport")
        base = self.point("baseline: single thread, level/once")
        median = base.stat("throughput_mb_s", "median")
        ratio = fix.stat("throughput_mb_s", "median") / median
        low = fix.stat("throughput_mb_s", "p25") / median
        high = fix.stat("throughput_mb_s", "p75") / median
        self.assertEqual(row[5], "5/5 vs 5/5")
        self.assertEqual(row[6], f"{ratio:.2f}× ({low:.2f}–{high:.2f})")

    def test_p_value_is_scipy_mann_whitney_of_repetitions(self):
        row = self.row("fix: reuseport")
        fix = self.point("fix: reuseport")
        base = self.point("baseline: single thread, level/once")
        values = fix.repetition_values("throughput_mb_s")
        self.assertEqual(len(values), 5)
        expected = scipy_stats().mannwhitneyu(
            values, base.repetition_values("throughput_mb_s"),
            alternative="two-sided").pvalue
        self.assertEqual(row[8], f"{expected:.2g}")
        # 1000 vs 750 MB/s, 5 + 5 separated: p = 2/252 < 0.05; but Holm
        # over the 10 tested cases (forum pool has 2 valid trials, tuned
        # single thread no prediction) multiplies the smallest p by 10
        self.assertEqual(row[8], f"{2 / 252:.2g}")
        self.assertEqual(row[9], f"{10 * 2 / 252:.2g}")
        self.assertEqual(row[4], "no difference detected")

    def test_untested_rows_show_no_numbers(self):
        row = self.row("forum pool")
        # expects 1 thread, 2 of 5 repetitions had one
        self.assertEqual(row[4], "not tested — fewer than 3 valid trials: 2 of 5 trials valid: "
                         "server_threads_active: expected 1, got 2 (3 of 5)")
        self.assertEqual(row[5], "2/5 vs 5/5")
        self.assertEqual(row[6:10], ["-", "-", "-", "-"])
        tuned = self.row("tuned single thread")
        self.assertEqual(tuned[3:5], ["-", "not tested — no prediction "
                                      "(predicts) in the spec"])
        self.assertEqual(tuned[5:10], ["-"] * 5)

    def test_mechanism_cells(self):
        row = self.row("forum pool")
        title = self.loaded.catalogue.metrics.get("server_threads_active")
        self.assertTrue(row[10].startswith(
            (title.title if title else "server_threads_active") + ": "))
        # 2, 1, 2, 1, 2 active threads: median 2 (or the per-trial values
        # while summary.csv has no column for the metric)
        self.assertTrue(row[10].endswith("2 (1–2)")
                        or row[10].endswith("per trial: 2, 1, 2, 1, 2"),
                        row[10])
        self.assertIn(row[11], ("1", "per trial: 1, 1, 1, 1, 1"))
        tuned = self.hypothesis_table()[-1]
        self.assertEqual(tuned[1], "tuned single thread")
        self.assertEqual((tuned[10], tuned[11]), ("-", "-"))

    def test_expectation_flagged_below_80_percent(self):
        # the per-point expectation table (the hypothesis table shows valid
        # trials instead)
        self.assertIn(f"| forum pool | 1 thread: 2, 2 threads: 3 | "
                      f"server_threads_active = 1 | {FLAG} 2/5 |",
                      self.markdown)
        # expects 2 threads, 3 of 5 had two: 60 % < 80 %
        self.assertIn(f"| server_threads_active = 2 | {FLAG} 3/5 |",
                      self.markdown)
        # busy_threads = active + 1 is always in 2..3
        self.assertIn("| busy_threads in 2..3 | 5/5 |", self.markdown)
        self.assertEqual(self.row("fix: reuseport")[5], "5/5 vs 5/5")

    def test_threads_active_distribution_for_every_point(self):
        self.assertIn("## Server threads active and expectations",
                      self.markdown)
        self.assertEqual(threads_active_text(self.point("forum pool")),
                         "1 thread: 2, 2 threads: 3")
        self.assertEqual(threads_active_text(
            self.point("baseline: single thread, level/once")),
            "1 thread: 5")
        for point in self.loaded.points:
            self.assertIn(f"| {point.name} | {threads_active_text(point)} |",
                          self.markdown)

    def test_failed_expectations_listed_with_their_reasons(self):
        self.assertIn("Trials that missed their expectation", self.markdown)
        self.assertIn("- forum pool, repetition 1: server_threads_active: "
                      "expected 1, got 2", self.markdown)
        self.assertIn("- forum pool, 2 connections, repetition 2: "
                      "server_threads_active: expected 2, got 1",
                      self.markdown)
        self.assertNotIn("forum pool, 2 client threads, repetition",
                         self.markdown)

    def test_no_line_chart_for_a_case_only_spec(self):
        self.assertEqual(numeric_axes(self.loaded), [])
        self.assertFalse([c for c in self.result.charts
                          if c.stem.startswith("lines-")])
        self.assertFalse([f for f in os.listdir(os.path.join(
            self.run_dir, "charts")) if f.startswith("lines-")])

    def test_idle_threads_are_in_the_per_thread_chart(self):
        data = next(c for c in self.result.charts if c.stem == "threads").data
        pool = data["forum pool"]
        self.assertEqual(pool["index"], [0, 1, 2, 3])
        self.assertEqual(len(pool["megabytes"]), 4)
        self.assertIn(0.0, pool["megabytes"])
        self.assertEqual(pool["idle"], [mb == 0.0 for mb in pool["megabytes"]])
        self.assertEqual(pool["active"], 4 - sum(pool["idle"]))
        self.assertGreaterEqual(sum(pool["idle"]), 2)

    def test_new_summary_metrics_shown_when_catalogued(self):
        header = next(line for line in self.markdown.split("\n")
                      if line.startswith("| Point | ok/n |"))
        catalogue = self.loaded.catalogue.metrics
        if "steal_s" in catalogue:
            self.assertIn(catalogue["steal_s"].title, header)
        else:  # an echolab older than the new metrics: no empty column
            self.assertNotIn("steal", header.lower())


class IdleThreadPaddingTest(unittest.TestCase):
    def test_missing_server_threads_are_drawn_idle(self):
        with tempfile.TemporaryDirectory() as root:
            run_dir = make_run_dir(root, "pad", repetitions=1, matrix={},
                                   cases=[{"label": "pool", **POOL}])
            trials = os.path.join(run_dir, "trials.jsonl")
            with open(trials) as handle:
                text = handle.read()
            # drop server threads 1..3 from the record: one thread reported
            record = json.loads(text)
            record["metrics"]["threads"] = [
                t for t in record["metrics"]["threads"]
                if t["role"] != "server" or t["index"] == 0]
            with open(trials, "w") as handle:
                handle.write(json.dumps(record) + "\n")
            with quietly():
                run = load_run(run_dir)
            threads = server_threads(run.points[0].trials[0])
            self.assertEqual([t["index"] for t in threads], [0, 1, 2, 3])
            self.assertEqual([t.get("reported", True) for t in threads],
                             [True, False, False, False])


class ExpectMetColumnTest(unittest.TestCase):
    """summary.csv's n_expect_met (read by header name, at the end of the
    row) is what the table shows; without the column the trials' flags."""

    def test_column_read_by_name_and_preferred(self):
        import csv
        with tempfile.TemporaryDirectory() as root:
            run_dir = make_run_dir(
                root, "column", repetitions=5, matrix={},
                active_threads=active_threads,
                cases=[{"label": "base", **BASE},
                       {"label": "pool", **POOL, "hypothesis": "h",
                        "baseline": "base",
                        "expect": {"server_threads_active": 2}}])
            with quietly():
                run = load_run(run_dir)
            pool = next(p for p in run.points if p.label == "pool")
            base = next(p for p in run.points if p.label == "base")
            if pool.summary.n_expect_met is None:  # older echolab
                self.assertEqual(expectation_text(pool), f"{FLAG} 3/5")
            self.assertEqual(expectation_text(base), "-")
            path = os.path.join(run_dir, "summary.csv")
            with open(path) as handle:
                rows = list(csv.reader(handle))
            if "n_expect_met" not in rows[0]:
                rows[0].append("n_expect_met")
                for row in rows[1:]:
                    row.append("")
            column = rows[0].index("n_expect_met")
            for row in rows[1:]:
                row[column] = "4" if row[1] == "pool" else ""
            with open(path, "w", newline="") as handle:
                csv.writer(handle, lineterminator="\n").writerows(rows)
            with quietly():
                run = load_run(run_dir)
            pool = next(p for p in run.points if p.label == "pool")
            base = next(p for p in run.points if p.label == "base")
            self.assertEqual(pool.summary.n_expect_met, 4)
            self.assertIsNone(base.summary.n_expect_met)
            self.assertEqual(expectation_text(pool), "4/5")
            self.assertEqual(expectation_text(base), "-")


class LineChartFileTest(unittest.TestCase):
    def test_one_file_per_swept_key(self):
        with tempfile.TemporaryDirectory() as root:
            run_dir = make_run_dir(
                root, "two-threads", repetitions=2,
                matrix={"server.model": ["reuseport"],
                        "server.threads": [1, 2], "load.threads": [1, 2]},
                cases=[{"label": "forum pool", **POOL}])
            with quietly():
                result = report.render_run(run_dir)
            stems = [c.stem for c in result.charts]
            self.assertEqual(len(stems), len(set(stems)))
            self.assertIn("lines-server-threads", stems)
            self.assertIn("lines-load-threads", stems)
            files = [os.path.basename(f) for c in result.charts
                     for f in c.files]
            self.assertEqual(len(files), len(set(files)))
            on_disk = sorted(f for f in os.listdir(os.path.join(
                run_dir, "charts")) if f.endswith(".png"))
            self.assertEqual(on_disk, sorted(f"{s}.png" for s in stems))
            # the case's keys (trigger, read) are not matrix axes
            self.assertEqual(numeric_axes(result.run),
                             ["server.threads", "load.threads"])

    def test_stem_uses_the_full_key(self):
        self.assertEqual(line_chart_stem("server.threads"),
                         "lines-server-threads")
        self.assertNotEqual(line_chart_stem("server.threads"),
                            line_chart_stem("load.threads"))


class BarLabelTest(unittest.TestCase):
    def test_short_labels_stay_flat_and_fit(self):
        texts, turned = bar_tick_labels(["forum pool", "reuseport"], 16)
        self.assertFalse(turned)
        self.assertEqual(texts, ["forum pool", "reuseport"])

    def test_long_labels_are_turned_not_overlapping(self):
        labels = [c["label"] for c in hypothesis_cases()]
        texts, turned = bar_tick_labels(labels, 14)
        self.assertTrue(turned)
        self.assertEqual(len(texts), len(labels))

    def test_flat_labels_never_exceed_the_slot(self):
        texts, turned = bar_tick_labels(
            ["baseline: single thread, pinned", "forum pool"], 16)
        if not turned:
            for text in texts:
                self.assertTrue(all(len(line) <= 16
                                    for line in text.split("\n")), text)


class ExpectationTextTest(unittest.TestCase):
    class FakePoint:
        def __init__(self, met, ok):
            from plot.summary_csv import SummaryRow
            self.summary = SummaryRow("x", n_expect_met=met)
            self.ok_trials = [object()] * ok
            self.trials = self.ok_trials
            self.has_expectation = met is not None

    def test_flag_threshold(self):
        self.assertEqual(expectation_text(self.FakePoint(7, 7)), "7/7")
        self.assertEqual(expectation_text(self.FakePoint(6, 7)), "6/7")
        self.assertEqual(expectation_text(self.FakePoint(5, 7)),
                         f"{FLAG} 5/7")
        self.assertEqual(expectation_text(self.FakePoint(3, 7)),
                         f"{FLAG} 3/7")

    def test_table_escapes_pipes(self):
        self.assertIn("a \\| b", table(["h"], [["a | b"]])[2])


if __name__ == "__main__":
    unittest.main()
