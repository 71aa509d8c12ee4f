"""Bad input: one clear line on stderr, exit code 2, never a traceback;
damaged but usable runs (torn line, all failed) still get a report."""
from __future__ import annotations

import json
import os
import tempfile
import unittest

from plot import compare, micro, report
from plot.cli_support import guarded_main
from plot.rundir import load_run
from tests.python.clitools import quietly, run_cli
from tests.python.synth import make_run_dir


class BadInputTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.root = self.tmp.name

    def small_run(self, name="small", **kwargs):
        kwargs.setdefault("series", False)
        return make_run_dir(self.root, name, repetitions=2, **kwargs)

    def assert_bad_input(self, argv, *fragments, main=report.main):
        code, _, err = run_cli(main, argv)
        self.assertEqual(code, 2, err)
        self.assertNotIn("Traceback", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        for fragment in fragments:
            self.assertIn(fragment, err)
        return err

    def test_missing_run_dir(self):
        missing = os.path.join(self.root, "nope")
        self.assert_bad_input([missing], missing, "does not exist")

    def test_empty_run_dir(self):
        empty = os.path.join(self.root, "empty")
        os.makedirs(empty)
        self.assert_bad_input([empty], "is empty")

    def test_missing_trials_jsonl(self):
        run_dir = self.small_run()
        os.remove(os.path.join(run_dir, "trials.jsonl"))
        self.assert_bad_input([run_dir], "trials.jsonl is missing")

    def test_empty_trials_jsonl(self):
        run_dir = self.small_run()
        open(os.path.join(run_dir, "trials.jsonl"), "w").close()
        self.assert_bad_input([run_dir], "holds no trial")

    def test_other_schema_names_file_and_line(self):
        run_dir = self.small_run()
        path = os.path.join(run_dir, "trials.jsonl")
        with open(path) as handle:
            lines = handle.read().splitlines()
        record = json.loads(lines[2])
        record["schema"] = 2
        lines[2] = json.dumps(record)
        with open(path, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        err = self.assert_bad_input([run_dir])
        self.assertEqual(err.strip(), f"error: unsupported schema 2 in "
                         f"{path}:3 (this plot/ reads schema 1)")

    def test_torn_last_line_warns_and_plots_the_rest(self):
        run_dir = self.small_run()
        path = os.path.join(run_dir, "trials.jsonl")
        with open(path) as handle:
            text = handle.read()
        full_lines = text.count("\n")
        with open(path, "w") as handle:
            handle.write(text[:-150])  # cut into the last record
        code, out, err = run_cli(report.main, [run_dir])
        self.assertEqual(code, 0, err)
        self.assertIn(f"trials.jsonl:{full_lines}: dropped a torn last line",
                      err)
        self.assertNotIn("Traceback", err)
        with open(os.path.join(run_dir, "REPORT.md")) as handle:
            markdown = handle.read()
        self.assertIn(f"{full_lines - 1} ok of {full_lines - 1}", markdown)
        self.assertIn("torn last line", markdown)  # also noted in the report
        self.assertTrue(os.path.isfile(os.path.join(run_dir, "charts",
                                                    "throughput.png")))

    def test_bad_middle_line_is_skipped_with_warning(self):
        run_dir = self.small_run()
        path = os.path.join(run_dir, "trials.jsonl")
        with open(path) as handle:
            lines = handle.read().splitlines()
        lines.insert(1, "{not json")
        with open(path, "w") as handle:
            handle.write("\n".join(lines) + "\n")
        with quietly() as err:
            run = load_run(run_dir)
        self.assertIn("trials.jsonl:2: skipped a line", err.getvalue())
        self.assertEqual(len(run.trials), 4)

    def test_all_failed_still_writes_a_report(self):
        run_dir = self.small_run(
            fail=lambda varied, rep: "timeout" if rep == 1 else "skipped")
        code, _, err = run_cli(report.main, [run_dir])
        self.assertEqual(code, 0, err)
        self.assertIn("no successful trial", err)
        with open(os.path.join(run_dir, "REPORT.md")) as handle:
            markdown = handle.read()
        self.assertIn("**No successful trial**", markdown)
        self.assertIn("synthetic timeout: server exited", markdown)
        self.assertIn("synthetic skipped: server exited", markdown)
        self.assertNotIn("## Charts", markdown)
        charts = os.path.join(run_dir, "charts")
        self.assertFalse(os.path.isdir(charts) and os.listdir(charts))

    def test_missing_meta_and_spec_degrade_gracefully(self):
        run_dir = self.small_run()
        os.remove(os.path.join(run_dir, "meta.json"))
        with open(os.path.join(run_dir, "spec.json"), "w") as handle:
            handle.write("{ broken")
        code, _, err = run_cli(report.main, [run_dir])
        self.assertEqual(code, 0, err)
        self.assertIn("meta.json is missing", err)
        self.assertIn("spec.json:1:", err)
        with open(os.path.join(run_dir, "REPORT.md")) as handle:
            markdown = handle.read()
        self.assertIn("machine unknown", markdown)

    def test_experiment_dir_means_its_latest_run(self):
        run_dir = self.small_run("byname")
        with quietly():
            run = load_run(os.path.dirname(run_dir))
        self.assertEqual(os.path.basename(run.path), "latest")
        self.assertEqual(run.stamp, os.path.basename(run_dir))

    def test_internal_error_is_one_line_exit_1(self):
        def explode(argv):
            raise RuntimeError("boom")
        with quietly() as err:
            code = guarded_main(explode, [])
        self.assertEqual(code, 1)
        self.assertIn("internal error: RuntimeError: boom", err.getvalue())
        self.assertNotIn("Traceback", err.getvalue())

    def test_compare_and_micro_bad_input(self):
        run_dir = self.small_run()
        self.assert_bad_input([run_dir, os.path.join(self.root, "nope")],
                              "does not exist", main=compare.main)
        bad_json = os.path.join(self.root, "bad.json")
        with open(bad_json, "w") as handle:
            handle.write("{\"context\": {}}")
        self.assert_bad_input([bad_json], "no \"benchmarks\" list",
                              main=micro.main)
        self.assert_bad_input([os.path.join(self.root, "missing.json")],
                              "cannot read", main=micro.main)


if __name__ == "__main__":
    unittest.main()
