"""report.py: which charts appear for which spec shape, and that the numbers
drawn are the numbers in summary.csv."""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import tempfile
import unittest

from plot import report
from plot.charts_points import throughput_bars
from plot.rundir import load_run
from plot.palette import MODEL_COLOURS, ModelColours
from tests.python.clitools import quietly, run_cli
from tests.python.synth import make_run_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def read_csv_rows(run_dir):
    with open(os.path.join(run_dir, "summary.csv")) as handle:
        return {row["config_id"]: row for row in csv.DictReader(handle)}


def stems(result):
    return {chart.stem for chart in result.charts}


class ModelByThreadsTest(unittest.TestCase):
    """model x threads matrix plus a labelled case, stream workload
    (multi-thread models only: single_thread takes at most 1 thread)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "matrix", repetitions=3,
            matrix={"server.model": ["reuseport", "shared_listener"],
                    "server.threads": [1, 4]},
            cases=[{"label": "forum pool", "server.model": "shared_listener",
                    "server.trigger": "level"}],
            fail=lambda varied, rep: "failed" if rep == 3 and
            varied["server.threads"] == 4 and
            varied["server.model"] == "reuseport" else None)
        with open(os.path.join(cls.run_dir, "findings.md"), "w") as handle:
            handle.write("# Findings\n\nThe pool lost to one thread.\n")
        with quietly():
            cls.result = report.render_run(cls.run_dir)
        with open(cls.result.report_path) as handle:
            cls.markdown = handle.read()
        cls.csv_rows = read_csv_rows(cls.run_dir)

    def chart(self, stem):
        return next(c for c in self.result.charts if c.stem == stem)

    def test_every_stream_chart_type_is_drawn(self):
        self.assertEqual(stems(self.result),
                         {"throughput", "lines-server-threads", "timeline",
                          "cpu-per-gb", "threads"})
        for chart in self.result.charts:
            for path in chart.files:
                self.assertTrue(os.path.getsize(path) > 1000, path)
            with open(chart.png, "rb") as handle:
                self.assertEqual(handle.read(8), b"\x89PNG\r\n\x1a\n")
            with open(chart.png[:-4] + ".svg") as handle:
                self.assertIn("<svg", handle.read(2000))

    def test_bar_numbers_equal_summary_csv(self):
        for stem, metric in (("throughput", "throughput_mb_s"),
                             ("cpu-per-gb", "server_cpu_per_gb")):
            data = self.chart(stem).data
            self.assertEqual(len(data["config_ids"]), 5)
            for i, config_id in enumerate(data["config_ids"]):
                row = self.csv_rows[config_id]
                for stat in ("median", "p25", "p75", "min", "max"):
                    self.assertEqual(data[stat][i],
                                     float(row[f"{metric}_{stat}"]),
                                     f"{stem} {config_id} {stat}")
                self.assertEqual(len(data["repetitions"][i]),
                                 int(row["n_ok"]))

    def test_line_numbers_equal_summary_csv(self):
        data = self.chart("lines-server-threads").data
        self.assertEqual(data["axis"], "server.threads")
        drawn = data["throughput_mb_s"]
        self.assertIn("forum pool", drawn)
        self.assertEqual(len(drawn), 3)  # two models + the case
        for series in drawn.values():
            for i, config_id in enumerate(series["config_ids"]):
                row = self.csv_rows[config_id]
                self.assertEqual(series["x"][i], int(row["server.threads"]))
                for stat in ("median", "p25", "p75"):
                    self.assertEqual(series[stat][i],
                                     float(row[f"throughput_mb_s_{stat}"]))

    def test_detail_charts_use_the_median_repetition(self):
        timeline = self.chart("timeline").data
        self.assertEqual(len(timeline), 5)
        for series in timeline.values():
            self.assertEqual(len(series["t_s"]), len(series["throughput_mb_s"]))
            self.assertIsNotNone(series["interval_cv"])
        threads = self.chart("threads").data
        four = [d for name, d in threads.items() if "threads=4" in name]
        self.assertTrue(four and all(len(d["connections"]) == 4 for d in four))
        self.assertTrue(all(0 < d["jain"] <= 1 for d in threads.values()))

    def test_report_names_every_point_and_links_every_chart(self):
        self.assertTrue(self.markdown.startswith("# matrix\n"))
        self.assertIn("> Synthetic test run matrix?", self.markdown)
        for point in self.result.run.points:
            self.assertIn(f"| {point.name} |", self.markdown)
        self.assertIn("model=reuseport, threads=4, trigger=edge",
                      self.markdown)
        links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", self.markdown)
        self.assertEqual(len(links), len(self.result.charts))
        for link in links:
            self.assertTrue(os.path.isfile(os.path.join(self.run_dir, link)))
        for fact in ("testbox", "Test CPU 9000", "1 package, 2 cores, 2 PUs",
                     "`0123abcd` (dirty tree)"):
            self.assertIn(fact, self.markdown)

    def test_report_lists_failures_and_findings(self):
        self.assertIn("## Trials that did not succeed", self.markdown)
        self.assertIn("synthetic failed: server exited", self.markdown)
        self.assertIn("## Findings\n\nThe pool lost to one thread.",
                      self.markdown)
        self.assertEqual(self.markdown.count("Findings"), 1)


class ModelsOnlyTest(unittest.TestCase):
    """Only the model varies, one thread, no latency: three charts."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "models", repetitions=2,
            matrix={"server.model": ["single_thread", "io_uring"]})
        out = os.path.join(cls.tmp.name, "elsewhere")
        with quietly():
            cls.result = report.render_run(cls.run_dir, out)

    def test_only_applicable_charts(self):
        self.assertEqual(stems(self.result),
                         {"throughput", "timeline", "cpu-per-gb"})

    def test_out_dir_holds_report_and_charts(self):
        out = os.path.join(self.tmp.name, "elsewhere")
        self.assertEqual(self.result.report_path,
                         os.path.join(out, "REPORT.md"))
        self.assertTrue(os.path.isfile(os.path.join(out, "charts",
                                                    "throughput.svg")))
        self.assertFalse(os.path.exists(os.path.join(self.run_dir,
                                                     "REPORT.md")))

    def test_summary_csv_is_what_gets_drawn(self):
        """A median edited into summary.csv shows up in the chart."""
        path = os.path.join(self.run_dir, "summary.csv")
        with open(path) as handle:
            rows = list(csv.reader(handle))
        column = rows[0].index("throughput_mb_s_median")
        rows[1][column] = "123.25"
        with open(path, "w", newline="") as handle:
            csv.writer(handle, lineterminator="\n").writerows(rows)
        with quietly():
            run = load_run(self.run_dir)
        chart = throughput_bars(run, os.path.join(self.tmp.name, "edited"),
                                ModelColours(["single_thread", "io_uring"]))
        data = chart.data
        self.assertEqual(data["median"][data["config_ids"].index(rows[1][0])],
                         123.25)


class AllAndScriptTest(unittest.TestCase):
    def test_all_renders_latest_of_every_experiment_via_script(self):
        with tempfile.TemporaryDirectory() as results:
            for name in ("one", "two"):
                make_run_dir(results, name, repetitions=1, series=False,
                             matrix={"server.model": ["reuseport"]})
            os.makedirs(os.path.join(results, "three"))  # no latest
            done = subprocess.run(
                [sys.executable, os.path.join(REPO, "plot", "report.py"),
                 "--all", results], capture_output=True, text=True,
                timeout=120, cwd=self.tmp_cwd())
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertNotIn("Traceback", done.stderr)
            self.assertIn("three has no `latest` run", done.stderr)
            for name in ("one", "two"):
                self.assertTrue(os.path.isfile(
                    os.path.join(results, name, "latest", "REPORT.md")))

    def tmp_cwd(self):
        return tempfile.gettempdir()  # the script must not need the repo cwd

    def test_out_with_all_is_a_usage_error(self):
        code, _, err = run_cli(report.main, ["--all", "x", "--out", "y"])
        self.assertEqual(code, 2)
        self.assertIn("--out cannot be combined with --all", err)


class AxisTest(unittest.TestCase):
    def test_byte_sizes_read_as_kib(self):
        from plot.naming import format_axis_value
        self.assertEqual(format_axis_value("server.read_buffer", 65536),
                         "64 KiB")
        self.assertEqual(format_axis_value("load.message_bytes", 1 << 20),
                         "1 MiB")
        self.assertEqual(format_axis_value("load.message_bytes", 100), "100")
        self.assertEqual(format_axis_value("server.threads", 4096), "4096")


class ColourTest(unittest.TestCase):
    def test_known_models_fixed_unknown_stable(self):
        first = ModelColours(["zeta", "single_thread", "alpha"])
        second = ModelColours(["alpha", "zeta"])
        self.assertEqual(first("single_thread"), MODEL_COLOURS["single_thread"])
        self.assertEqual(first("alpha"), second("alpha"))
        self.assertNotEqual(first("alpha"), first("zeta"))
        self.assertNotIn(first("alpha"), MODEL_COLOURS.values())


if __name__ == "__main__":
    unittest.main()


class NoiseSectionTest(unittest.TestCase):
    """REPORT.md names the points that ran on a busy machine."""

    def test_busy_points_are_named_and_quiet_runs_have_no_section(self):
        from plot import report_md
        quiet = type("P", (), {"name": "quiet", "value": lambda self, k: 2.0,
                               "stat": lambda self, m, n: 0.01})()
        busy = type("P", (), {"name": "busy", "value": lambda self, k: 2.0,
                              "stat": lambda self, m, n: 0.5 if m == "other_cpu_s" else 0.0})()
        run = type("R", (), {"ok_points": [quiet, busy]})()
        lines = report_md.noise_section(run)
        self.assertIn("## Noise", lines)
        text = "\n".join(lines)
        self.assertIn("busy: CPU outside the trial 0.50 s per 2.0 s window", text)
        self.assertNotIn("quiet", text)
        self.assertEqual(report_md.noise_section(type("R", (), {"ok_points": [quiet]})()), [])


class InstrumentLimitsTest(unittest.TestCase):
    """summary.csv counts client-bound and overloaded trials (from the
    trials' flags) and REPORT.md names the points where the instrument,
    not the server, may have been the limit."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "limits", repetitions=3,
            matrix={"server.model": ["single_thread", "shared_listener"]},
            flags=lambda varied, rep: {
                "client_bound": varied["server.model"] == "shared_listener"
                and rep < 3, "overloaded": False})
        with quietly():
            cls.result = report.render_run(cls.run_dir)
        with open(cls.result.report_path) as handle:
            cls.markdown = handle.read()

    def test_summary_counts_the_flags(self):
        rows = read_csv_rows(self.run_dir).values()
        counts = sorted((r["n_client_bound"], r["n_overloaded"]) for r in rows)
        self.assertEqual(counts, [("0", "0"), ("2", "0")])

    def test_report_names_the_client_bound_point_only(self):
        section = self.markdown.split("## Instrument limits", 1)[1]
        section = section.split("\n## ", 1)[0]
        self.assertIn("client-bound in 2 of 3 ok trials", section)
        self.assertEqual(section.count("client-bound in"), 1)
        self.assertNotIn("overloaded (under", section)
