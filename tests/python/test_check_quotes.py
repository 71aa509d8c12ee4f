"""experiments/check_quotes.py: quoted figures in findings documents
checked against a run directory, on the scripted run of
tests/python/verdict_runs.py (every figure known by hand) put under a
temporary --reference-dir as run `main`."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import unittest

from plot import verdicts
from tests.python.clitools import quietly, run_cli
from tests.python.verdict_runs import BASE, SLOWER, exact_p, main_run

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "experiments", "check_quotes.py")
_SPEC = importlib.util.spec_from_file_location("check_quotes", SCRIPT)
check_quotes = importlib.util.module_from_spec(_SPEC)
sys.modules.setdefault("check_quotes", check_quotes)  # for its dataclasses
_SPEC.loader.exec_module(check_quotes)

# Exact two-sided Mann-Whitney p of 7 values all below 7 others: 2/C(14,7).
P_SLOWER = exact_p(SLOWER, BASE)
# Holm over the run's 5 tested pairs: "slower" (2 metrics) and "slower,
# predicted faster" share the smallest p (all 7 below, resp. above, all 7),
# so each is multiplied by 5.
P_HOLM_SLOWER = 5 * P_SLOWER
T = "throughput_mb_s"
FLIPPED = "flipped by invalid trials"
FLAKY = "against a flaky base"

# One quote of every KIND, each right (values from verdict_runs.py: base
# 100..106, slower 60..66, faster 150..156, flipped: reps 1-2 one active
# thread, 3 client-bound, 4 overloaded, 5-7 valid at 60..62).
GOOD = f"""# Findings

The slower case ran at 0.61×<!-- q main ratio "slower" {T} --> its baseline
(p25–p75 0.60<!-- q main ratio_p25 "slower" {T} -->–0.63<!-- q main ratio_p75 "slower" {T} -->),
a 39%<!-- q main ratio "slower" {T} drop_pct --> drop, or 61%<!-- q main ratio "slower" {T} pct -->;
p = 6e-4<!-- q main p "slower" {T} -->, p < 0.001<!-- q main p "slower" {T} -->,
Holm p {P_HOLM_SLOWER:.2g}<!-- q main p_holm "slower" {T} -->: the prediction **holds**<!-- q main verdict "slower" {T} -->
on 7/7<!-- q main valid "slower" {T} --> valid trials.
Predicted faster, it went the other way: _opposite holds_<!-- q main verdict "slower, predicted faster" {T} -->;
overlapping values: no difference detected<!-- q main verdict "same" {T} -->.
Never valid: Not tested<!-- q main verdict "never valid" {T} --> (0/7<!-- q main valid "never valid" {T} -->);
no prediction: not tested<!-- q main verdict "no prediction" {T} -->.

> The flipped case holds<!-- q main verdict "{FLIPPED}" {T} --> on 3/7<!-- q main valid "{FLIPPED}" {T} -->
> trials; one thread served in 2<!-- q main count "{FLIPPED}" server_threads_active 1 -->
> of 7<!-- q main trials "{FLIPPED}" --> trials, two in 5<!-- q main count "{FLIPPED}" server_threads_active 2.0 -->,
> 3<!-- q main count_valid "{FLIPPED}" server_threads_active 2 --> of them valid.

| point | median | p25 | p75 | min–max |
| --- | --- | --- | --- | --- |
| base | **103 MB/s**<!-- q main median "base" {T} --> | 101.5<!-- q main p25 "base" {T} --> | 104.5<!-- q main p75 "base" {T} --> | 100<!-- q main min "base" {T} -->–106<!-- q main max "base" {T} --> |
| slower | 63<!-- q main median "slower" {T} --> | | | 60–66 MB/s<!-- q main range "slower" {T} --> |

The base echoed 25,146 msgs/s<!-- q main median "base" msgs_per_s -->; the
faster case ran at 1.49×<!-- q main ratio_of_medians "{FLAKY}" "base" {T} -->
(+49%<!-- q main ratio_of_medians "{FLAKY}" "base" {T} gain_pct -->), over a
baseline with 2/7<!-- q main baseline_valid "{FLAKY}" {T} --> valid trials; slower
spanned 60-66<!-- q main range "slower" {T} -->.
Machine: a `Test CPU 9000`<!-- q main cpu --> with 2<!-- q main pus --> PUs.

```
0.99×<!-- q main ratio "slower" {T} --> (a fenced example: not checked)
```
Inline code is not checked either: `1×<!-- q main ratio "slower" {T} -->`.
"""
GOOD_COUNT = 35


class ParsingTest(unittest.TestCase):
    """The quoted text and the comment's tokens (no run needed)."""

    def number(self, before):
        number, comparator, said = check_quotes.quoted_number(before)
        return number.value, number.decimals, comparator, said

    def test_quoted_numbers(self):
        self.assertEqual(self.number("ran at 1,430 MB/s"),
                         (1430.0, 0, None, "1,430 MB/s"))
        self.assertEqual(self.number("fell to **0.62×**"),
                         (0.62, 2, None, "0.62×"))
        self.assertEqual(self.number("changed by -3%")[:2], (-3.0, 0))
        self.assertEqual(self.number("p = 6e-4")[:2], (0.0006, 4))
        self.assertEqual(self.number("p = 1.2e-05")[:2], (1.2e-05, 6))
        self.assertEqual(self.number("0.55–0.70")[:2], (0.70, 2))
        self.assertEqual(self.number("0.55-0.70")[:2], (0.70, 2))
        value, decimals, comparator, said = self.number("p < 0.001")
        self.assertEqual((value, said), (0.001, "< 0.001"))
        self.assertTrue(comparator(0.0009, value))
        self.assertFalse(comparator(0.001, value))
        with self.assertRaisesRegex(check_quotes.Malformed,
                                    "no number in the 25 characters"):
            check_quotes.quoted_number("7 trials, all of them on a single "
                                       "thread")

    def test_rounding(self):
        def rounds(figure, text):
            number = check_quotes._number(*check_quotes.NUMBER.search(
                text).groups())
            return check_quotes.rounds_to(figure, number)
        self.assertTrue(rounds(0.6249, "0.62"))
        self.assertTrue(rounds(0.615, "0.62"))
        self.assertFalse(rounds(0.6251, "0.62"))
        self.assertTrue(rounds(933.6, "934"))
        self.assertFalse(rounds(933.4, "934"))
        self.assertTrue(rounds(1430.4, "1,430"))
        self.assertTrue(rounds(0.00058275, "6e-4"))
        self.assertFalse(rounds(0.00066, "6e-4"))

    def test_verdict_words(self):
        quoted = check_quotes.quoted_verdict
        self.assertEqual(quoted("the prediction **holds**"), "holds")
        self.assertEqual(quoted("_opposite holds_"), "opposite holds")
        self.assertEqual(quoted("No Difference Detected"),
                         "no difference detected")
        with self.assertRaisesRegex(check_quotes.Malformed, "verdict word"):
            quoted("it withholds")

    def test_tokens(self):
        self.assertEqual(check_quotes.split_tokens(
            'main ratio "pool as posted, floating" throughput_mb_s'),
            ["main", "ratio", "pool as posted, floating", "throughput_mb_s"])
        self.assertEqual(check_quotes.split_tokens(r'main trials "a \"b\""'),
                         ["main", "trials", 'a "b"'])
        with self.assertRaisesRegex(check_quotes.Malformed,
                                    "No closing quotation"):
            check_quotes.split_tokens('main trials "open')

    def test_find_quotes_skips_code(self):
        text = ("a 1<!-- q r trials x --> b 2<!--q r pus-->\n"
                "`3<!-- q r pus -->`\n```\n4<!-- q r pus -->\n```\n"
                "5<!-- quick note -->\n6<!-- q r pus")
        quotes = check_quotes.find_quotes(text, "doc.md")
        self.assertEqual([(q.where, q.source, q.before, q.closed)
                          for q in quotes],
                         [("doc.md:1", "r trials x", "a 1", True),
                          ("doc.md:1", "r pus", "a 1\x00 b 2", True),
                          ("doc.md:7", "r pus", "6", False)])

    def test_a_range_split_by_comments_reads_its_high_end_unsigned(self):
        text = "CI 1.03<!-- q r pus -->-1.75<!-- q r pus -->, then -3<!-- q r pus -->"
        numbers = [check_quotes.quoted_number(q.before)[0]
                   for q in check_quotes.find_quotes(text, "doc.md")]
        self.assertEqual([n.value for n in numbers], [1.03, 1.75, -3.0])


class CheckerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        run_dir = main_run(os.path.join(cls.tmp.name, "runs"))
        cls.reference = os.path.join(cls.tmp.name, "reference")
        os.makedirs(cls.reference)
        cls.run_dir = os.path.join(cls.reference, "main")
        os.rename(run_dir, cls.run_dir)

    def check(self, text, name="doc.md"):
        """(exit code, stdout lines) of the checker on one document."""
        path = os.path.join(self.tmp.name, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        code, out, err = run_cli(check_quotes.main, [
            "--reference-dir", self.reference, path])
        return code, [line.replace(path, name)
                      for line in out.rstrip("\n").split("\n")]

    def test_every_kind_right_passes(self):
        code, lines = self.check(GOOD)
        self.assertEqual(lines, [f"{GOOD_COUNT} quotes checked in 1 file, "
                                 "0 stale"])
        self.assertEqual(code, 0)

    def test_quotes_match_verdicts_json(self):
        with quietly():
            self.assertEqual(verdicts.main([self.run_dir]), 0)
        path = os.path.join(self.run_dir, "verdicts.json")
        with open(path) as handle:
            rows = json.load(handle)["verdicts"]
        row = next(r for r in rows if (r["label"], r["metric"]) ==
                   ("slower", T))
        # A ratio of medians of resamples lies between the extremes.
        self.assertGreaterEqual(row["ci_low"], 60 / 106)
        self.assertLessEqual(row["ci_high"], 66 / 100)
        self.assertLess(row["ci_low"], row["ci_high"])
        text = (f"CI {row['ci_low']:.3f}<!-- q main ci_low \"slower\" {T} "
                f"-->–{row['ci_high']:.3f}<!-- q main ci_high \"slower\" "
                f"{T} -->, p {row['p']:.3g}<!-- q main p \"slower\" {T} -->")
        self.assertEqual(self.check(text)[0], 0)
        self.assertAlmostEqual(row["p"], P_SLOWER, places=12)
        # A stale verdicts.json is not what the checker reads.
        row["ci_low"] = row["ci_high"] = 9.99
        with open(path, "w") as handle:
            json.dump({"schema": 1, "alpha": 0.05, "verdicts": rows}, handle)
        code, lines = self.check(text)
        self.assertEqual((code, lines[-1]),
                         (0, "3 quotes checked in 1 file, 0 stale"))
        os.remove(path)

    def test_stale_number(self):
        code, lines = self.check(
            f"ran at 0.62×<!-- q main ratio \"slower\" {T} --> of base,\n"
            f"base **104 MB/s**<!-- q main median \"base\" {T} -->\n"
            f"2/7<!-- q main valid \"{FLIPPED}\" {T} --> valid\n"
            f"61-66<!-- q main range \"slower\" {T} -->; "
            f"38%<!-- q main ratio \"slower\" {T} drop_pct -->; "
            f"p < 0.0005<!-- q main p \"slower\" {T} -->\n")
        self.assertEqual(lines, [
            f'doc.md:1: quoted 0.62×, main ratio "slower" {T} gives '
            "0.61 (0.61165)",
            f'doc.md:2: quoted 104 MB/s, main median "base" {T} gives 103',
            f'doc.md:3: quoted 2/7, main valid "{FLIPPED}" {T} gives 3/7',
            f'doc.md:4: quoted 61-66, main range "slower" {T} gives 60–66',
            f'doc.md:4: quoted 38%, main ratio "slower" {T} drop_pct gives '
            "39 (38.835)",
            f'doc.md:4: quoted < 0.0005, main p "slower" {T} gives 0.0006 '
            f"({P_SLOWER:.6g})",
            "6 quotes checked in 1 file, 6 stale"])
        self.assertEqual(code, 1)

    def test_percent_without_scale_token_hints(self):
        code, lines = self.check(
            f"61%<!-- q main ratio \"slower\" {T} -->")
        self.assertEqual(lines[0], (
            f'doc.md:1: quoted 61%, main ratio "slower" {T} gives 1 '
            "(0.61165) (a percentage: end the comment with pct, drop_pct "
            "or gain_pct?)"))
        self.assertEqual(code, 1)

    def test_wrong_verdict_word(self):
        code, lines = self.check(
            f"**holds**<!-- q main verdict \"slower, predicted faster\" {T} "
            f"-->, holds<!-- q main verdict \"same\" {T} -->")
        self.assertEqual(lines, [
            'doc.md:1: quoted "holds", main verdict "slower, predicted '
            f'faster" {T} gives "opposite holds"',
            f'doc.md:1: quoted "holds", main verdict "same" {T} gives "no '
            'difference detected"',
            "2 quotes checked in 1 file, 2 stale"])
        self.assertEqual(code, 1)

    def test_not_tested_figure_is_stale(self):
        code, lines = self.check(
            f"0.61×<!-- q main ratio \"never valid\" {T} -->")
        self.assertEqual(lines[0], (
            f'doc.md:1: quoted 0.61×, main ratio "never valid" {T} gives no '
            "value (not tested: fewer than 3 valid trials: 0 of 7 trials "
            "valid: server_threads_active: expected 2, got 1 (7 of 7))"))
        self.assertEqual(code, 1)

    def test_unknown_label_run_and_metric(self):
        code, lines = self.check(
            f"0.61×<!-- q main ratio \"slowr\" {T} -->\n"
            f"103<!-- q mian median \"base\" {T} -->\n"
            "103<!-- q main median \"base\" throughput_mbs -->\n"
            f"1<!-- q main ratio \"base\" {T} -->\n"
            f"1<!-- q main ratio \"slower\" msgs_per_s -->\n")
        self.assertEqual(lines[0], 'doc.md:1: unknown label "slowr" in run '
                         "'main' (did you mean \"slower\"?)")
        self.assertRegex(lines[1], r"^doc.md:2: unknown run 'mian': no "
                         r"directory .*/mian \(did you mean \"main\"\?\)$")
        self.assertEqual(lines[2], "doc.md:3: unknown metric "
                         "'throughput_mbs' in run 'main' (did you mean "
                         "\"throughput_mb_s\"?)")
        self.assertEqual(lines[3], "doc.md:4: \"base\" is not a hypothesis "
                         "case of run 'main' (it has no verdict)")
        self.assertEqual(lines[4], "doc.md:5: \"slower\" of run 'main' "
                         "predicts no msgs_per_s (it predicts: "
                         "throughput_mb_s, server_cpu_per_gb)")
        self.assertEqual(lines[5], "5 quotes checked in 1 file, 0 stale, "
                         "5 not checkable")
        self.assertEqual(code, 1)

    def test_malformed_comments(self):
        code, lines = self.check(
            f"0.61×<!-- q main ratio \"slower {T} -->\n"
            f"0.61×<!-- q main ratoi \"slower\" {T} -->\n"
            "0.61×<!-- q main ratio \"slower\" -->\n"
            f"the ratio<!-- q main ratio \"slower\" {T} -->\n"
            f"it went down<!-- q main verdict \"slower\" {T} -->\n"
            f"0.61×<!-- q main ratio \"slower\" {T}\n"
            "3<!-- q main count \"base\" server_threads_active one -->\n")
        self.assertEqual(lines, [
            f'doc.md:1: malformed quote comment <!-- q main ratio "slower '
            f"{T} -->: cannot split it into tokens: No closing quotation",
            'doc.md:2: malformed quote comment <!-- q main ratoi "slower" '
            f"{T} -->: unknown KIND 'ratoi' (did you mean \"ratio\"?); KIND "
            "is one of " + ", ".join(check_quotes.ARGS),
            'doc.md:3: malformed quote comment <!-- q main ratio "slower" '
            "-->: ratio takes 2 argument(s), got 1: <!-- q RUN ratio LABEL "
            "METRIC [pct|drop_pct|gain_pct] -->",
            'doc.md:4: malformed quote comment <!-- q main ratio "slower" '
            f"{T} -->: no number in the 25 characters before the comment",
            'doc.md:5: malformed quote comment <!-- q main verdict "slower" '
            f"{T} -->: the text before the comment does not end with a "
            "verdict word (holds / opposite holds / no difference detected "
            "/ not tested)",
            'doc.md:6: malformed quote comment <!-- q main ratio "slower" '
            f"{T} -->: no --> on the same line",
            'doc.md:7: malformed quote comment <!-- q main count "base" '
            "server_threads_active one -->: VALUE 'one' is not a number",
            "7 quotes checked in 1 file, 0 stale, 7 not checkable"])
        self.assertEqual(code, 1)

    def test_file_without_quotes_fails(self):
        code, lines = self.check("# Findings\n\nThe pool ran at 0.62×.\n"
                                 "<!-- a comment that quotes nothing -->\n"
                                 "`0.61×<!-- q main ratio \"slower\" x -->`\n")
        self.assertEqual(lines, [
            "doc.md: no quote comment (<!-- q RUN KIND ARGS... -->): a "
            "findings document must quote something checkable",
            "0 quotes checked in 1 file, 0 stale"])
        self.assertEqual(code, 1)

    def test_command_line(self):
        good = os.path.join(self.tmp.name, "good.md")
        bare = os.path.join(self.tmp.name, "bare.md")
        with open(good, "w", encoding="utf-8") as handle:
            handle.write(GOOD)
        with open(bare, "w", encoding="utf-8") as handle:
            handle.write("nothing quoted\n")
        def run(*args):
            done = subprocess.run([sys.executable, SCRIPT, *args],
                                  capture_output=True, text=True,
                                  timeout=120, cwd=self.tmp.name)
            return done.returncode, done.stdout, done.stderr
        code, out, err = run("--reference-dir", self.reference, good)
        self.assertEqual((code, out), (0, f"{GOOD_COUNT} quotes checked "
                                          "in 1 file, 0 stale\n"), err)
        code, out, _ = run("--reference-dir", self.reference, good, bare)
        self.assertEqual(code, 1)
        self.assertEqual(out.splitlines()[-1], f"{GOOD_COUNT} quotes "
                         "checked in 2 files, 0 stale")
        code, out, err = run("--reference-dir",
                             os.path.join(self.tmp.name, "nowhere"), good)
        self.assertEqual((code, out), (2, ""))
        self.assertIn("reference directory", err)
        code, _, err = run("--reference-dir", self.reference,
                           os.path.join(self.tmp.name, "missing.md"))
        self.assertEqual(code, 2)
        self.assertIn("cannot read", err)


if __name__ == "__main__":
    unittest.main()
