"""The metric catalogue: metrics.json first, `echolab help metrics --json`
for older runs, a one-line error when neither is there.

The run directories' metrics.json is the one `echolab summarize` writes
(tests/python/synth.py); "the binary" in the older-run tests is a shell
script standing in for it."""
from __future__ import annotations

import json
import os
import stat
import tempfile
import unittest
from unittest import mock

from plot import compare, report
from plot.catalogue import (FROM_BINARY, load_catalogue, parse_catalogue,
                            read_catalogue_file)
from plot.cli_support import BadInput
from plot.rundir import load_run
from tests.python.clitools import quietly, run_cli
from tests.python.synth import make_run_dir


def write_script(path, body):
    """An executable /bin/sh script at `path`."""
    with open(path, "w") as handle:
        handle.write("#!/bin/sh\n" + body + "\n")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


class CatalogueTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = make_run_dir(self.tmp.name, "cat", repetitions=2,
                                    series=False)
        self.metrics_json = os.path.join(self.run_dir, "metrics.json")

    def binary(self, body):
        """Point ECHOLAB_BINARY at a script for the rest of the test."""
        path = write_script(os.path.join(self.tmp.name, "echolab"), body)
        patcher = mock.patch.dict(os.environ, {"ECHOLAB_BINARY": path})
        patcher.start()
        self.addCleanup(patcher.stop)
        return path

    def test_entries_of_the_written_catalogue(self):
        catalogue = read_catalogue_file(self.metrics_json)
        throughput = catalogue.metric("throughput_mb_s")
        self.assertEqual((throughput.title, throughput.unit),
                         ("Throughput", "MB/s"))
        self.assertEqual(catalogue.axis_label("server_cpu_per_gb"),
                         "Server CPU per GB echoed (s/GB)")
        self.assertIs(catalogue.higher_is_better("throughput_mb_s"), True)
        self.assertIs(catalogue.higher_is_better("server_cpu_per_gb"), False)
        self.assertIsNone(catalogue.higher_is_better("bytes"))
        self.assertEqual(catalogue.summary_metrics(
            ["config_id", "bytes_median", "interval_cv_median",
             "throughput_mb_s_median"]), ["throughput_mb_s", "interval_cv"])

    def test_run_uses_its_metrics_json(self):
        with open(self.metrics_json) as handle:
            data = json.load(handle)
        data["metrics"][0]["title"] = "Echo rate"
        with open(self.metrics_json, "w") as handle:
            json.dump(data, handle)
        self.binary("exit 3")  # must not be asked
        with quietly():
            result = report.render_run(self.run_dir)
        self.assertEqual(result.run.catalogue.source, "metrics.json")
        throughput = next(c for c in result.charts if c.stem == "throughput")
        self.assertEqual(throughput.title, "Echo rate")

    def test_older_run_asks_the_binary(self):
        printed = os.path.join(self.tmp.name, "printed.json")
        os.rename(self.metrics_json, printed)
        self.binary('[ "$*" = "help metrics --json" ] && exec cat '
                    f'"{printed}"; exit 2')
        with quietly():
            run = load_run(self.run_dir)
        self.assertEqual(run.catalogue.source, FROM_BINARY)
        self.assertEqual(run.catalogue.title("throughput_mb_s"), "Throughput")

    def assert_one_line_error(self, *fragments):
        code, _, err = run_cli(report.main, [self.run_dir])
        self.assertEqual(code, 2, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        for fragment in (f"{self.metrics_json} is missing",
                         f"`echolab summarize {self.run_dir}` writes it",
                         *fragments):
            self.assertIn(fragment, err)

    def test_no_metrics_json_and_no_binary(self):
        os.remove(self.metrics_json)
        missing = os.path.join(self.tmp.name, "no-such-echolab")
        with mock.patch.dict(os.environ, {"ECHOLAB_BINARY": missing}):
            self.assert_one_line_error(f"there is no {missing}")

    def test_binary_without_help_metrics(self):
        os.remove(self.metrics_json)
        binary = self.binary('echo "usage: echolab COMMAND"; exit 0')
        self.assert_one_line_error(
            f"`{binary} help metrics --json` printed no metric catalogue")

    def test_malformed_catalogue_names_the_file(self):
        with open(self.metrics_json, "w") as handle:
            json.dump({"schema": 1, "metrics": [
                {"name": "x", "title": "X", "unit": "", "better": "up",
                 "scope": "trial"}]}, handle)
        code, _, err = run_cli(report.main, [self.run_dir])
        self.assertEqual(code, 2, err)
        self.assertIn(f"{self.metrics_json}: metrics[0]: better is 'up'", err)
        with self.assertRaises(BadInput):
            parse_catalogue({"schema": 2, "metrics": []}, "x")
        with self.assertRaises(BadInput):
            load_catalogue(self.run_dir)

    def test_compare_direction_comes_from_the_catalogue(self):
        with open(self.metrics_json) as handle:
            data = json.load(handle)
        for entry in data["metrics"]:
            if entry["name"] == "server_cpu_per_gb":
                entry["better"] = "higher"
        with open(self.metrics_json, "w") as handle:
            json.dump(data, handle)
        with quietly():
            run = load_run(self.run_dir)
        comparisons, _, _ = compare.compare_runs(run, run)
        cpu = [c for c in comparisons if c.metric == "server_cpu_per_gb"]
        self.assertTrue(cpu and all(c.higher_is_better for c in cpu))


if __name__ == "__main__":
    unittest.main()
