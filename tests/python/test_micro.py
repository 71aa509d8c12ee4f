"""micro.py on a small hand-made Google Benchmark JSON file."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

from plot import micro
from plot.micro_data import micro_results, split_name
from tests.python.clitools import run_cli

NAME = "BM_EventfdPingPong/same_core/pu:0-pu:0"
GOOGLE_BENCHMARK_JSON = {
    "context": {"date": "2024-01-01T00:00:00+00:00", "host_name": "testbox",
                "num_cpus": 2, "mhz_per_cpu": 2400,
                "library_build_type": "release"},
    "benchmarks": [
        {"name": NAME, "run_name": NAME, "run_type": "iteration",
         "repetitions": 2, "repetition_index": 0, "iterations": 1000,
         "real_time": 2.1, "cpu_time": 2.0, "time_unit": "us", "wakeups": 2},
        {"name": NAME, "run_name": NAME, "run_type": "iteration",
         "repetitions": 2, "repetition_index": 1, "iterations": 1000,
         "real_time": 2.3, "cpu_time": 2.2, "time_unit": "us", "wakeups": 2},
        {"name": NAME + "_mean", "run_name": NAME, "run_type": "aggregate",
         "aggregate_name": "mean", "real_time": 2.2, "cpu_time": 2.1,
         "time_unit": "us"},
        {"name": NAME + "_median", "run_name": NAME, "run_type": "aggregate",
         "aggregate_name": "median", "real_time": 2.25, "cpu_time": 2.15,
         "time_unit": "us", "wakeups": 2},
        {"name": "BM_EventfdPingPong/other_core/pu:0-pu:1",
         "run_type": "iteration", "iterations": 500, "real_time": 5200,
         "cpu_time": 1800, "time_unit": "ns", "wakeups": 2},
        {"name": "BM_EpollWait/same_core/pu:0/real_time",
         "run_type": "iteration", "real_time": 900, "cpu_time": 890,
         "time_unit": "ns"},
        {"name": "BM_EpollWait/other_core/pu:1", "run_type": "iteration",
         "real_time": 1000, "cpu_time": 940, "time_unit": "ns"},
        {"name": "BM_EpollWait/other_core/pu:1", "run_type": "iteration",
         "real_time": 800, "cpu_time": 700, "time_unit": "ns"},
        {"name": "BM_Broken/same_core/pu:0", "run_type": "iteration",
         "error_occurred": True, "error_message": "eventfd failed",
         "real_time": 0, "cpu_time": 0, "time_unit": "ns"},
    ]}


class MicroTest(unittest.TestCase):
    def test_names_split_into_benchmark_placement_cpus(self):
        self.assertEqual(split_name("BM_X/other_core/pu:0-pu:1/real_time"),
                         ("BM_X", "other_core", "pu:0-pu:1"))
        self.assertEqual(split_name("BM_Y"), ("BM_Y", "default", ""))

    def test_selection_and_units(self):
        results = {(r.benchmark, r.placement): r
                   for r in micro_results(GOOGLE_BENCHMARK_JSON)}
        pingpong = results[("BM_EventfdPingPong", "same_core")]
        self.assertEqual((pingpong.real_ns, pingpong.source),
                         (2250.0, "median aggregate"))
        self.assertEqual(pingpong.cpus, "pu:0-pu:0")
        self.assertEqual(pingpong.counters, {"wakeups": 2.0})
        self.assertEqual(results[("BM_EventfdPingPong", "other_core")].real_ns,
                         5200.0)
        self.assertEqual(results[("BM_EpollWait", "same_core")].cpus, "pu:0")
        two_runs = results[("BM_EpollWait", "other_core")]
        self.assertEqual((two_runs.real_ns, two_runs.source),
                         (None, "no median aggregate"))
        self.assertIn("2 runs but no median aggregate (run with "
                      "--benchmark_repetitions=N)", two_runs.error)
        self.assertEqual(results[("BM_Broken", "same_core")].error,
                         "eventfd failed")

    def test_command_writes_chart_and_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "micro.json")
            with open(path, "w") as handle:
                json.dump(GOOGLE_BENCHMARK_JSON, handle)
            code, out, err = run_cli(micro.main, [path])
            self.assertEqual(code, 0, err)
            for name in ("micro.png", "micro.svg", "MICRO.md"):
                self.assertTrue(os.path.isfile(os.path.join(tmp, name)), name)
            with open(os.path.join(tmp, "MICRO.md")) as handle:
                markdown = handle.read()
            self.assertIn("| BM_EventfdPingPong | same_core | pu:0-pu:0 | "
                          "median aggregate | 2,250 | 2,150 | 2 |", markdown)
            self.assertIn("| BM_EventfdPingPong | other_core | pu:0-pu:1 | "
                          "single run | 5,200 | 1,800 | 2 |", markdown)
            self.assertIn("BM_Broken/same_core/pu:0: eventfd failed",
                          markdown)
            self.assertIn("| BM_EpollWait | other_core | pu:1 | no median "
                          "aggregate | - | - |", markdown)
            self.assertIn("![ns per operation by placement](micro.png)",
                          markdown)

    def test_chart_data_is_what_was_drawn(self):
        with tempfile.TemporaryDirectory() as tmp:
            results = micro_results(GOOGLE_BENCHMARK_JSON)
            chart = micro.micro_chart(results, {}, tmp)
        self.assertEqual(chart["data"]["BM_EventfdPingPong"],
                         {"same_core": 2250.0, "other_core": 5200.0})
        self.assertEqual(chart["data"]["BM_EpollWait"], {"same_core": 900.0})
        self.assertNotIn("BM_Broken", chart["data"])


if __name__ == "__main__":
    unittest.main()
