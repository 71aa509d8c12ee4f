"""Latency charts and the REPORT.md latency table of the request workloads
(rr, crr, open): drawn exactly when the data call for them, their numbers
read from summary.csv (percentiles from its `*_merged` columns), the knee
where its definition puts it."""
from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
import unittest
from typing import Dict, List, Optional

from plot import report
from plot.chartkit import format_number
from plot.charts_detail import percent
from plot.charts_latency import (KNEE_SHARE, PERCENTILES, latency_percentiles,
                                 latency_throughput, nines)
from plot.charts_points import axis_lines
from plot.palette import ModelColours
from plot.report_md import latency_section
from plot.rundir import load_run
from tests.python.clitools import quietly
from tests.python.synth import make_run_dir, write_trials
from tests.python.test_report import read_csv_rows, stems

RR = {"load.workload": "rr", "load.message_bytes": 64}
OPEN = {"load.workload": "open", "load.message_bytes": 64}
MODELS = ["single_thread", "reuseport"]
RATES = [10000.0, 20000.0, 40000.0, 80000.0]
# synth.py's capacities: single_thread 30000 req/s, reuseport 60000 req/s,
# so each keeps up to the rate below its capacity.
KNEES = {"single_thread": 20000.0, "reuseport": 40000.0}


def number(row: Dict[str, str], column: str) -> Optional[float]:
    """A summary.csv cell as a float, None when empty."""
    return float(row[column]) if row[column] else None


def render(run_dir: str) -> report.Report:
    with quietly():
        return report.render_run(run_dir)


def load(run_dir: str):
    with quietly():
        return load_run(run_dir)


def copy_run(run_dir: str, root: str, name: str) -> str:
    """A copy of a run directory to edit without disturbing the original."""
    copy = os.path.join(root, name)
    shutil.copytree(run_dir, copy)
    return copy


def edit_summary(run_dir: str, config_id: Optional[str],
                 cells: Dict[str, str]) -> None:
    """Overwrite cells of summary.csv: in the row of `config_id`, or in
    every row when it is None."""
    path = os.path.join(run_dir, "summary.csv")
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    for row in rows[1:]:
        if config_id is None or row[0] == config_id:
            for column, value in cells.items():
                row[header.index(column)] = value
    with open(path, "w", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def read_records(run_dir: str) -> List[dict]:
    with open(os.path.join(run_dir, "trials.jsonl")) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def table_row(lines: List[str], name: str) -> List[str]:
    """The cells of the Markdown table row of point `name`."""
    line = next(line for line in lines if line.startswith(f"| {name} |"))
    return [cell.strip() for cell in line.strip("|").split("|")]


def by_model(rows: Dict[str, Dict[str, str]]) -> Dict[str, List[dict]]:
    grouped: Dict[str, List[dict]] = {}
    for row in rows.values():
        grouped.setdefault(row["server.model"], []).append(row)
    return grouped


class RequestDepthTest(unittest.TestCase):
    """rr, model x depth: percentiles, the p99 timeline and request panels
    on the depth lines; no rate chart (nothing sweeps load.rate)."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "rr", repetitions=3, defaults=RR,
            matrix={"server.model": MODELS, "load.depth": [1, 4]})
        cls.result = render(cls.run_dir)
        cls.rows = read_csv_rows(cls.run_dir)
        with open(cls.result.report_path) as handle:
            cls.markdown = handle.read()

    def chart(self, stem):
        return next(c for c in self.result.charts if c.stem == stem)

    def test_charts_that_apply(self):
        self.assertEqual(stems(self.result),
                         {"throughput", "lines-load-depth", "timeline",
                          "cpu-per-gb", "latency-percentiles",
                          "latency-timeline"})

    def test_percentiles_are_the_merged_columns_on_a_nines_scale(self):
        data = self.chart("latency-percentiles").data
        self.assertEqual(len(data), 4)
        for drawn in data.values():
            row = self.rows[drawn["config_id"]]
            self.assertEqual(drawn["latency_us"],
                             [number(row, f"{m}_merged")
                              for m, _ in PERCENTILES])
            self.assertEqual(drawn["max_us"],
                             number(row, "latency_us_max_merged"))
            self.assertEqual(drawn["n_requests"], int(row["n_requests"]))
            for x, expected in zip(drawn["x"], (math.log10(2), 1, 2, 3, 4)):
                self.assertAlmostEqual(x, expected)
        self.assertAlmostEqual(nines(0.999), 3.0)

    def test_depth_lines_add_requests_merged_p99_and_memory(self):
        data = self.chart("lines-load-depth").data
        self.assertEqual(data["panels"],
                         ["throughput_mb_s", "server_cpu_per_gb",
                          "requests_per_s", "latency_us_p99_merged",
                          "process_rss_per_conn_bytes"])
        self.assertEqual(data["x_scale"], "linear")
        for key, column, stats in (
                ("requests_per_s", "requests_per_s", ("median", "p25", "p75")),
                ("process_rss_per_conn_bytes", "process_rss_per_conn_bytes",
                 ("median", "p25", "p75")),
                ("latency_us_p99_merged", "latency_us_p99", ("merged",))):
            self.assertEqual(len(data[key]), 2)  # one line per model
            for series in data[key].values():
                for i, config_id in enumerate(series["config_ids"]):
                    row = self.rows[config_id]
                    for stat in stats:
                        self.assertEqual(series[stat][i],
                                         number(row, f"{column}_{stat}"),
                                         f"{key} {stat}")

    def test_timeline_draws_the_median_repetition_by_requests(self):
        data = self.chart("latency-timeline").data
        records = read_records(self.run_dir)
        self.assertEqual(len(data), 4)
        for drawn in data.values():
            median = number(self.rows[drawn["config_id"]],
                            "requests_per_s_median")
            mine = [r for r in records if r["config_id"] == drawn["config_id"]]
            nearest = min(mine, key=lambda r: (
                abs(r["metrics"]["requests_per_s"] - median), r["repetition"]))
            self.assertEqual(drawn["repetition"], nearest["repetition"])
            self.assertEqual(drawn["latency_us_p99"],
                             nearest["series"]["latency_us_p99"])
            self.assertIsNone(drawn["latency_us_p99"][0])  # a gap

    def test_report_has_a_latency_table_from_merged_histograms(self):
        section = self.markdown.split("## Latency", 1)[1].split("\n## ", 1)[0]
        self.assertIn("merged latency histograms", section)
        self.assertNotIn("Offered", section)  # closed loop
        for point in self.result.run.points:
            cells = table_row(section.splitlines(), point.name)
            self.assertEqual(cells[6], f"{point.n_requests:,}")
        for chart in ("latency-percentiles", "latency-timeline"):
            self.assertIn(f"charts/{chart}.png", self.markdown)

    def test_latency_table_reads_the_merged_columns(self):
        """Sentinels written into the *_merged cells are what the table and
        the percentile chart show, not the medians of per-trial figures."""
        copy = copy_run(self.run_dir, self.tmp.name, "edited")
        point = self.result.run.points[0]
        edit_summary(copy, point.config_id, {
            "latency_us_p50_merged": "11.5", "latency_us_p99_merged": "22.5",
            "latency_us_p999_merged": "33.5", "n_requests": "98765"})
        run = load(copy)
        cells = table_row(latency_section(run), point.name)
        self.assertEqual(cells[3:7], ["11.5", "22.5", "33.5", "98,765"])
        self.assertEqual(cells[1], format_number(
            number(self.rows[point.config_id], "requests_per_s_median")))
        drawn = latency_percentiles(run, os.path.join(copy, "charts"),
                                    ModelColours(MODELS)).data[point.name]
        self.assertEqual([drawn["latency_us"][i] for i in (0, 2, 3)],
                         [11.5, 22.5, 33.5])
        self.assertNotEqual(
            number(self.rows[point.config_id], "latency_us_p99_median"), 22.5)

    def test_no_requests_no_latency_table_or_percentiles(self):
        copy = copy_run(self.run_dir, self.tmp.name, "no-requests")
        header = next(iter(self.rows.values())).keys()
        edit_summary(copy, None, {c: "" for c in header
                                  if c.endswith("_merged")
                                  or c == "n_requests"})
        run = load(copy)
        self.assertEqual(latency_section(run), [])
        self.assertIsNone(latency_percentiles(
            run, os.path.join(copy, "charts"), ModelColours(MODELS)))


class OpenRateSweepTest(unittest.TestCase):
    """open, model x load.rate: latency against achieved rate with the knee
    at the highest offered rate achieved to at least 95 %."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = make_run_dir(
            cls.tmp.name, "open", repetitions=2, defaults=OPEN,
            matrix={"server.model": MODELS, "load.rate": RATES})
        cls.result = render(cls.run_dir)
        cls.rows = read_csv_rows(cls.run_dir)
        cls.data = next(c for c in cls.result.charts
                        if c.stem == "latency-throughput").data
        with open(cls.result.report_path) as handle:
            cls.markdown = handle.read()

    def test_charts_that_apply(self):
        self.assertEqual(stems(self.result),
                         {"throughput", "lines-load-rate", "timeline",
                          "cpu-per-gb", "latency-percentiles",
                          "latency-throughput", "latency-timeline"})

    def test_knee_is_the_highest_rate_the_server_kept_up_with(self):
        self.assertEqual({label: drawn["knee"]["offered"]
                          for label, drawn in self.data.items()}, KNEES)
        for model, rows in by_model(self.rows).items():
            kept_up = [float(r["load.rate"]) for r in rows
                       if number(r, "achieved_rate_share_median") >= KNEE_SHARE]
            self.assertEqual(self.data[model]["knee"]["offered"],
                             max(kept_up))
            above = [r for r in rows if float(r["load.rate"]) > max(kept_up)]
            self.assertTrue(above and all(
                number(r, "achieved_rate_share_median") < KNEE_SHARE
                for r in above))

    def test_knee_share_bound_is_inclusive(self):
        copy = copy_run(self.run_dir, self.tmp.name, "knee")
        top = next(cid for cid, r in self.rows.items()
                   if r["server.model"] == "reuseport"
                   and float(r["load.rate"]) == RATES[-1])
        for share, knee in (("0.95", RATES[-1]), ("0.9499", 40000.0)):
            edit_summary(copy, top, {"achieved_rate_share_median": share})
            data = latency_throughput(load(copy), os.path.join(copy, "charts"),
                                      ModelColours(MODELS)).data
            self.assertEqual(data["reuseport"]["knee"]["offered"], knee, share)
            self.assertEqual(data["single_thread"]["knee"]["offered"],
                             KNEES["single_thread"])

    def test_rate_chart_numbers_are_summary_csv(self):
        self.assertEqual(set(self.data), set(MODELS))
        for drawn in self.data.values():
            self.assertEqual(drawn["offered"], RATES)
            for i, config_id in enumerate(drawn["config_ids"]):
                row = self.rows[config_id]
                for stat in ("median", "p25", "p75"):
                    self.assertEqual(drawn[f"requests_per_s_{stat}"][i],
                                     number(row, f"requests_per_s_{stat}"))
                for metric in ("latency_us_p50", "latency_us_p99"):
                    self.assertEqual(drawn[metric][i],
                                     number(row, f"{metric}_merged"))

    def test_report_table_has_the_open_loop_columns(self):
        section = self.markdown.split("## Latency", 1)[1].split("\n## ", 1)[0]
        for title in ("Offered requests per second",
                      "Achieved share of the offered rate",
                      "Requests behind schedule"):
            self.assertIn(title, section)
        self.assertIn("intended send time", section)
        self.assertIn("knee", self.markdown.split("## Charts", 1)[1])
        for point in self.result.run.points:
            row = self.rows[point.config_id]
            cells = table_row(section.splitlines(), point.name)
            self.assertEqual(cells[-2], percent(
                number(row, "achieved_rate_share_median")))


class WhenNotDrawnTest(unittest.TestCase):
    """The latency charts stay away when their condition does not hold."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def test_one_rate_draws_no_rate_chart(self):
        run_dir = make_run_dir(self.tmp.name, "one-rate", repetitions=2,
                               defaults={**OPEN, "load.rate": 20000.0},
                               matrix={"server.model": MODELS})
        self.assertEqual(stems(render(run_dir)),
                         {"throughput", "timeline", "cpu-per-gb",
                          "latency-percentiles", "latency-timeline"})

    def test_rates_of_cases_draw_no_rate_chart(self):
        run_dir = make_run_dir(
            self.tmp.name, "rate-cases", repetitions=2, defaults=OPEN,
            matrix={}, cases=[{"label": "slow", "load.rate": 10000.0},
                              {"label": "fast", "load.rate": 40000.0}])
        found = stems(render(run_dir))
        self.assertIn("latency-percentiles", found)
        self.assertNotIn("latency-throughput", found)
        self.assertFalse(any(s.startswith("lines-") for s in found))

    def test_no_latency_series_draws_no_latency_timeline(self):
        run_dir = make_run_dir(self.tmp.name, "no-p99", repetitions=2,
                               defaults=RR, matrix={"server.model": MODELS})
        records = read_records(run_dir)
        for index, record in enumerate(records):
            if index % 2:
                del record["series"]["latency_us_p99"]
            else:  # no request completed in any interval
                record["series"]["latency_us_p99"] = [None] * len(
                    record["series"]["t_s"])
        write_trials(run_dir, records)
        found = stems(render(run_dir))
        self.assertIn("timeline", found)
        self.assertNotIn("latency-timeline", found)

    def test_no_series_no_timelines(self):
        run_dir = make_run_dir(self.tmp.name, "no-series", repetitions=2,
                               defaults=RR, series=False,
                               matrix={"server.model": MODELS})
        self.assertEqual(stems(render(run_dir)),
                         {"throughput", "cpu-per-gb", "latency-percentiles"})


class ConnectionsSweepTest(unittest.TestCase):
    """rr over 10 to 10000 connections: memory per connection against the
    connection count, on a log x axis."""

    def test_memory_panel_on_a_log_axis(self):
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = make_run_dir(
                tmp, "connections", repetitions=2, defaults=RR,
                matrix={"load.connections": [10, 100, 1000, 10000]})
            run = load(run_dir)
            data = axis_lines(run, os.path.join(tmp, "charts"),
                              ModelColours(["single_thread"]),
                              axis_key="load.connections").data
            rows = read_csv_rows(run_dir)
        self.assertEqual(data["x_scale"], "log")
        self.assertIn("process_rss_per_conn_bytes", data["panels"])
        (series,) = data["process_rss_per_conn_bytes"].values()
        self.assertEqual(series["x"], [10, 100, 1000, 10000])
        for i, config_id in enumerate(series["config_ids"]):
            self.assertEqual(series["median"][i], number(
                rows[config_id], "process_rss_per_conn_bytes_median"))


class ConnectRequestCloseTest(unittest.TestCase):
    """crr: the latency table adds the merged connect percentiles."""

    def test_connect_columns(self):
        with tempfile.TemporaryDirectory() as tmp:
            run_dir = make_run_dir(tmp, "crr", repetitions=2,
                                   defaults={**RR, "load.workload": "crr"},
                                   matrix={"server.model": MODELS})
            result = render(run_dir)
            rows = read_csv_rows(run_dir)
            lines = latency_section(result.run)
        self.assertIn("latency-percentiles", stems(result))
        header = [c.strip() for c in lines[4].strip("|").split("|")]
        self.assertIn("Connect latency p50 (us)", header)
        column = header.index("Connect latency p99 (us)")
        for point in result.run.points:
            self.assertEqual(
                table_row(lines, point.name)[column],
                format_number(number(rows[point.config_id],
                                     "connect_us_p99_merged")))


if __name__ == "__main__":
    unittest.main()
