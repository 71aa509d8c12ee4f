"""The verdicts' outputs: `plot/verdicts.py RUN_DIR` (terminal table, exit
codes, verdicts.json), REPORT.md's Short answer and Hypotheses table, on
the scripted run of tests/python/verdict_runs.py."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from unittest import mock

from plot import report, verdicts
from plot.hypotheses import HYPOTHESIS_HEADER
from plot.verdicts import JSON_FIELDS
from tests.python.clitools import markdown_table_rows, quietly, run_cli
from tests.python.synth import make_run_dir
from tests.python.verdict_runs import main_run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NEVER = ("fewer than 3 valid trials: 0 of 7 trials valid: server_threads_active: expected 2, got 1 "
         "(7 of 7)")
NUMBER_TIMES = re.compile(r"\d\.\d+[x×]")


class CommandLineTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = main_run(cls.tmp.name)
        cls.code, cls.out, cls.err = run_cli(verdicts.main, [cls.run_dir])

    def line(self, label):
        return next(line for line in self.out.split("\n")
                    if line.startswith(label + "  "))

    def test_table_rows_and_tally(self):
        self.assertEqual(self.code, 0, self.err)
        lines = self.out.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), ["Case", "Baseline", "Predicted",
                                            "Valid", "Ratio", "(95%", "CI)",
                                            "Holm", "p", "Verdict"])
        self.assertEqual(len(lines), 1 + 8 + 1)  # header, rows, tally
        self.assertEqual(lines[-1], "Verdicts of 7 hypotheses (Holm-adjusted "
                         "p < 0.05): holds: 2, opposite holds: 1, no "
                         "difference detected: 1, not tested: 3")
        slower = self.line("slower")
        self.assertIn(f"7/7 vs 7/7  {63 / 103:.2f}x (", slower)
        self.assertRegex(slower, f"  {5 * 2 / 3432:.2g} +holds$")
        # the second metric of `slower`: a row without the case's names
        second = lines[2]
        self.assertTrue(second.startswith(" " * 20), second)
        self.assertIn("server_cpu_per_gb higher", second)

    def test_not_tested_row_shows_no_number(self):
        never = self.line("never valid")
        self.assertTrue(never.endswith(f"0/7 vs 7/7  -                  -  "
                                       f"     not tested - {NEVER}"), never)
        self.assertIsNone(NUMBER_TIMES.search(never), never)

    def test_writes_verdicts_json(self):
        with open(os.path.join(self.run_dir, "verdicts.json")) as handle:
            data = json.load(handle)
        self.assertEqual((data["schema"], data["alpha"]), (1, 0.05))
        rows = data["verdicts"]
        self.assertEqual(len(rows), 8)
        self.assertTrue(all(list(r) == list(JSON_FIELDS) for r in rows))
        never = next(r for r in rows if r["label"] == "never valid")
        self.assertEqual(
            {k: never[k] for k in ("verdict", "reason", "n_valid",
                                   "n_trials", "baseline_n_valid", "ratio",
                                   "ci_low", "p", "p_holm")},
            {"verdict": "not tested", "reason": NEVER, "n_valid": 0,
             "n_trials": 7, "baseline_n_valid": 7, "ratio": None,
             "ci_low": None, "p": None, "p_holm": None})
        slower = next(r for r in rows if r["label"] == "slower")
        self.assertEqual((slower["baseline"], slower["metric"],
                          slower["predicted"], slower["verdict"]),
                         ("base", "throughput_mb_s", "lower", "holds"))
        self.assertAlmostEqual(slower["ratio"], 63 / 103)

    def test_as_a_script_from_any_directory_and_as_a_module(self):
        script = subprocess.run(
            [sys.executable, os.path.join(REPO, "plot", "verdicts.py"),
             self.run_dir], cwd="/", capture_output=True, text=True,
            timeout=60)
        self.assertEqual(script.returncode, 0, script.stderr)
        self.assertEqual(script.stdout, self.out)
        module = subprocess.run(
            [sys.executable, "-m", "plot.verdicts", self.run_dir], cwd=REPO,
            capture_output=True, text=True, timeout=60)
        self.assertEqual((module.returncode, module.stdout),
                         (0, self.out), module.stderr)

    def test_starts_without_matplotlib(self):
        done = subprocess.run(
            [sys.executable, "-c", "import sys, plot.verdicts; "
             "print('matplotlib' in sys.modules)"], cwd=REPO,
            capture_output=True, text=True, timeout=60)
        self.assertEqual(done.stdout.strip(), "False", done.stderr)

    def test_not_a_run_directory_exits_2_with_one_line(self):
        for path in (self.tmp.name, os.path.join(self.tmp.name, "nothing")):
            code, out, err = run_cli(verdicts.main, [path])
            self.assertEqual((code, out), (2, ""))
            self.assertEqual(len(err.strip().split("\n")), 1, err)
            self.assertTrue(err.startswith("error: "), err)

    def test_scipy_missing_exits_3_with_one_line(self):
        with mock.patch.dict(sys.modules, {"scipy": None,
                                           "scipy.stats": None}):
            code, out, err = run_cli(verdicts.main, [self.run_dir])
        self.assertEqual((code, out), (3, ""))
        self.assertEqual(err, "verdicts: python3-scipy is missing "
                         "(apt-get install python3-scipy)\n")


class NoHypothesisTest(unittest.TestCase):
    def test_prints_and_writes_nothing(self):
        with tempfile.TemporaryDirectory() as root:
            run_dir = make_run_dir(root, "plain", repetitions=2, series=False)
            code, out, err = run_cli(verdicts.main, [run_dir])
            self.assertEqual((code, out, err), (0, "", ""))
            self.assertFalse(os.path.exists(os.path.join(run_dir,
                                                         "verdicts.json")))
            with quietly():
                result = report.render_run(run_dir)
            with open(result.report_path) as handle:
                markdown = handle.read()
            self.assertNotIn("## Short answer", markdown)
            self.assertNotIn("## Hypotheses", markdown)


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = main_run(cls.tmp.name)
        with quietly():
            cls.result = report.render_run(cls.run_dir)
        with open(cls.result.report_path) as handle:
            cls.markdown = handle.read()
        cls.rows = {r[1]: r for r in
                    markdown_table_rows(cls.markdown, "## Hypotheses")[2:] if r[1]}

    def test_short_answer_right_after_the_description(self):
        lines = self.markdown.split("\n")
        self.assertEqual(lines[:6], ["# verdicts", "",
                                     "> Synthetic test run verdicts?", "",
                                     "## Short answer", ""])
        self.assertEqual(lines[7:9], ["", "## Hypotheses"])

    def test_short_answer_text(self):
        text = self.markdown.split("\n")[6]
        slower = next(r for r in self.result.verdicts if r.label == "slower")
        ci = f"{slower.ci_low:.2f}–{slower.ci_high:.2f}"
        self.assertTrue(text.startswith(
            "Measured on Test CPU 9000 (2 PUs): of 7 hypotheses, holds: 2; "
            "opposite holds: 1; no difference detected: 1; not tested: 3 "
            "(Holm-adjusted p < 0.05 over the run's 5 tests, valid trials "
            "only). slower hypothesis: holds (slower vs base: "
            f"throughput_mb_s ratio {63 / 103:.2f}×, 95% CI {ci}, Holm p "
            f"{5 * 2 / 3432:.2g}, 7/7 vs 7/7 valid); also server_cpu_per_gb: "
            "holds. slower, predicted faster hypothesis: opposite holds ("),
            text)
        self.assertIn(f" never valid hypothesis: not tested — {NEVER}. ",
                      text)
        self.assertIn(" against a flaky base hypothesis: not tested — "
                      "fewer than 3 valid trials: baseline: 2 of 7 trials valid: server_threads_active: "
                      "expected 2, got 1 (5 of 7). ", text)
        self.assertTrue(text.endswith(" no prediction hypothesis: not "
                                      "tested — no prediction (predicts) "
                                      "in the spec."), text)
        self.assertEqual(len(NUMBER_TIMES.findall(text)), 4)  # tested only

    def test_hypothesis_table(self):
        table = markdown_table_rows(self.markdown, "## Hypotheses")
        self.assertEqual(table[0], HYPOTHESIS_HEADER)
        self.assertEqual(len(table), 2 + 8)
        slower = self.rows["slower"]
        self.assertEqual(slower[2:6], ["base", "Throughput: lower", "holds",
                                       "7/7 vs 7/7"])
        self.assertEqual(slower[6], f"{63 / 103:.2f}× ({61.5 / 103:.2f}–"
                         f"{64.5 / 103:.2f})")
        self.assertEqual(slower[8:10], [f"{2 / 3432:.2g}",
                                        f"{5 * 2 / 3432:.2g}"])
        second = table[3]
        self.assertEqual(second[:3], ["", "", ""])
        self.assertEqual(second[4], "holds")

    def test_not_tested_row_shows_no_number(self):
        never = self.rows["never valid"]
        self.assertEqual(never[4:10], [f"not tested — {NEVER}", "0/7 vs 7/7",
                                       "-", "-", "-", "-"])
        self.assertIsNone(NUMBER_TIMES.search("|".join(never)), never)

    def test_report_writes_verdicts_json(self):
        with open(os.path.join(self.run_dir, "verdicts.json")) as handle:
            rows = json.load(handle)["verdicts"]
        self.assertEqual([(r["label"], r["verdict"]) for r in rows],
                         [(v.label, v.verdict) for v in self.result.verdicts])


if __name__ == "__main__":
    unittest.main()
