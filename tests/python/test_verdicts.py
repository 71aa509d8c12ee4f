"""plot/verdicts.py: the verdict rules on synthetic runs whose numbers are
scripted (tests/python/verdict_runs.py), so every expectation below is
computed by hand or by an independent enumeration, not by the module."""
from __future__ import annotations

import shutil
import statistics
import tempfile
import unittest

from plot import verdicts
from plot.rundir import load_run
from plot.verdicts import (HOLDS, NO_DIFFERENCE, NOT_TESTED, OPPOSITE,
                           holm, problem_summary, ratio_interval,
                           run_verdicts, valid_sample)
from tests.python.clitools import quietly
from tests.python.verdict_runs import (BASE, FASTER, FLIPPED, OVERLAP,
                                       SLOWER, exact_p, main_run,
                                       rewrite_annotation, scripted_run)


def load(run_dir):
    with quietly():
        return load_run(run_dir)


def by_key(rows):
    """(label, metric) -> row."""
    return {(row.label, row.metric): row for row in rows}


class MainRunTest(unittest.TestCase):
    """One run, 7 repetitions: holds, opposite holds, no difference, a case
    that never meets its precondition, one whose invalid trials would flip
    it, a baseline with too few valid trials, no prediction."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = main_run(cls.tmp.name)
        cls.loaded = load(cls.run_dir)
        cls.rows = run_verdicts(cls.loaded)
        cls.row = by_key(cls.rows)

    def test_rows_in_spec_order_one_per_predicted_metric(self):
        self.assertEqual(
            [(r.label, r.metric, r.first) for r in self.rows],
            [("slower", "throughput_mb_s", True),
             ("slower", "server_cpu_per_gb", False),
             ("slower, predicted faster", "throughput_mb_s", True),
             ("same", "throughput_mb_s", True),
             ("never valid", "throughput_mb_s", True),
             ("flipped by invalid trials", "throughput_mb_s", True),
             ("against a flaky base", "throughput_mb_s", True),
             ("no prediction", "", True)])

    def test_clear_difference_holds_both_ways(self):
        slower = self.row[("slower", "throughput_mb_s")]
        self.assertEqual(slower.verdict, HOLDS)
        self.assertEqual(slower.ratio, 63.0 / 103.0)
        self.assertEqual((slower.n_valid, slower.baseline_n_valid), (7, 7))
        self.assertAlmostEqual(slower.p, exact_p(SLOWER, BASE), places=12)
        self.assertAlmostEqual(slower.p, 2 / 3432, places=12)
        # the case's p25 and p75 (linear interpolation) over the baseline
        # median: 61.5 and 64.5 over 103
        self.assertAlmostEqual(slower.ratio_p25, 61.5 / 103.0)
        self.assertAlmostEqual(slower.ratio_p75, 64.5 / 103.0)
        cpu = self.row[("slower", "server_cpu_per_gb")]
        self.assertEqual(cpu.verdict, HOLDS)  # the prediction is "higher"
        self.assertGreater(cpu.ratio, 1.0)
        faster = self.row[("slower, predicted faster", "throughput_mb_s")]
        self.assertEqual(faster.verdict, OPPOSITE)
        self.assertEqual(faster.ratio, 63.0 / 103.0)

    def test_overlapping_data_detect_no_difference(self):
        same = self.row[("same", "throughput_mb_s")]
        self.assertEqual(same.verdict, NO_DIFFERENCE)
        self.assertAlmostEqual(same.p, exact_p(OVERLAP, BASE), places=12)
        self.assertGreater(same.p, 0.5)
        self.assertEqual(same.note, "")  # 7 + 7 could have detected one

    def test_every_trial_failing_its_precondition_is_not_tested(self):
        never = self.row[("never valid", "throughput_mb_s")]
        self.assertEqual(never.verdict, NOT_TESTED)
        self.assertEqual(never.reason, "fewer than 3 valid trials: 0 of 7 trials valid: "
                         "server_threads_active: expected 2, got 1 (7 of 7)")
        self.assertEqual((never.n_valid, never.n_trials), (0, 7))
        for name in ("ratio", "ratio_p25", "ratio_p75", "ci_low", "ci_high",
                     "p", "p_holm", "median"):
            self.assertIsNone(getattr(never, name), name)

    def test_baseline_with_too_few_valid_trials(self):
        flaky = self.row[("against a flaky base", "throughput_mb_s")]
        self.assertEqual(flaky.verdict, NOT_TESTED)
        self.assertEqual(flaky.reason, "fewer than 3 valid trials: baseline: 2 of 7 trials valid: "
                         "server_threads_active: expected 2, got 1 (5 of 7)")
        self.assertEqual((flaky.n_valid, flaky.baseline_n_valid), (7, 2))
        self.assertIsNone(flaky.ratio)

    def test_no_prediction(self):
        row = self.row[("no prediction", "")]
        self.assertEqual((row.verdict, row.reason),
                         (NOT_TESTED, "no prediction (predicts) in the spec"))

    def test_invalid_trials_are_left_out_of_the_ratio(self):
        flipped = self.row[("flipped by invalid trials", "throughput_mb_s")]
        self.assertEqual((flipped.n_valid, flipped.n_trials), (3, 7))
        self.assertEqual(flipped.median, 61.0)
        self.assertEqual(flipped.ratio, 61.0 / 103.0)
        self.assertAlmostEqual(flipped.p, exact_p(FLIPPED[4:], BASE))
        self.assertEqual(flipped.verdict, HOLDS)
        # all ok trials (as summary.csv counts them) put it the other way
        point = next(p for p in self.loaded.points
                     if p.label == "flipped by invalid trials")
        self.assertEqual(statistics.median(
            point.repetition_values("throughput_mb_s")), 300.0)
        self.assertEqual(len(point.ok_trials), 7)

    def test_why_trials_are_invalid(self):
        point = next(p for p in self.loaded.points
                     if p.label == "flipped by invalid trials")
        sample = valid_sample(self.loaded, point, "throughput_mb_s")
        self.assertEqual(sample.values, FLIPPED[4:])
        self.assertEqual(sample.text(), "3 of 7 trials valid: "
                         "server_threads_active: expected 2, got 1 (2 of 7); "
                         "client-bound (1 of 7); overloaded (1 of 7)")

    def test_holm_over_the_tested_pairs_by_hand(self):
        # family: the 5 tested pairs. Raw p: three 7-vs-7 separations
        # (2/3432), the 3-vs-7 separation (2/120) and `same`. Holm: the
        # smallest times 5, next times 4 (not below 5p), next times 3,
        # then 2 * 2/120, then `same`'s p (not below the one before).
        tested = [r for r in self.rows if r.tested]
        self.assertEqual(len(tested), 5)
        p_same = exact_p(OVERLAP, BASE)
        expected = {("slower", "throughput_mb_s"): 5 * 2 / 3432,
                    ("slower", "server_cpu_per_gb"): 5 * 2 / 3432,
                    ("slower, predicted faster", "throughput_mb_s"):
                        5 * 2 / 3432,
                    ("flipped by invalid trials", "throughput_mb_s"):
                        2 * 2 / 120,
                    ("same", "throughput_mb_s"): max(2 * 2 / 120, p_same)}
        for key, value in expected.items():
            self.assertAlmostEqual(self.row[key].p_holm, value, places=12,
                                   msg=key)
        self.assertIsNone(self.row[("never valid", "throughput_mb_s")].p_holm)

    def test_confidence_interval_brackets_the_ratio_and_is_reproducible(self):
        slower = self.row[("slower", "throughput_mb_s")]
        self.assertLessEqual(slower.ci_low, slower.ratio)
        self.assertGreaterEqual(slower.ci_high, slower.ratio)
        # no resample can go beyond the extreme values
        self.assertGreaterEqual(slower.ci_low, min(SLOWER) / max(BASE))
        self.assertLessEqual(slower.ci_high, max(SLOWER) / min(BASE))
        again = by_key(run_verdicts(self.loaded))[
            ("slower", "throughput_mb_s")]
        self.assertEqual((again.ci_low, again.ci_high),
                         (slower.ci_low, slower.ci_high))

    def test_case_verdict_is_the_first_metrics(self):
        self.assertEqual(verdicts.tally(self.rows),
                         {HOLDS: 2, OPPOSITE: 1, NO_DIFFERENCE: 1,
                          NOT_TESTED: 3})
        self.assertEqual([len(c) for c in verdicts.case_rows(self.rows)],
                         [2, 1, 1, 1, 1, 1, 1])


class AnnotationSourceTest(unittest.TestCase):
    """`predicts` and `baseline` come from the trials, else from the spec."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.run_dir = main_run(cls.tmp.name)
        cls.expected = [(r.label, r.metric, r.predicted, r.verdict)
                        for r in run_verdicts(load(cls.run_dir))]

    def copy(self, name):
        target = f"{self.tmp.name}/{name}"
        shutil.copytree(self.run_dir, target)
        return target

    def verdict_list(self, run_dir):
        return [(r.label, r.metric, r.predicted, r.verdict)
                for r in run_verdicts(load(run_dir))]

    def test_predicts_from_the_spec_when_trials_lack_it(self):
        run_dir = self.copy("spec-only")
        for label in ("slower", "same", "never valid"):
            rewrite_annotation(run_dir, label, "predicts", None, ["trials"])
        self.assertEqual(self.verdict_list(run_dir), self.expected)

    def test_predicts_from_the_trials_when_the_spec_lacks_it(self):
        run_dir = self.copy("trials-only")
        for label in ("slower", "same", "never valid"):
            rewrite_annotation(run_dir, label, "predicts", None, ["spec"])
        self.assertEqual(self.verdict_list(run_dir), self.expected)

    def test_baseline_that_names_no_case(self):
        run_dir = self.copy("nowhere")
        rewrite_annotation(run_dir, "same", "baseline", "nowhere")
        row = by_key(run_verdicts(load(run_dir)))[("same", "throughput_mb_s")]
        self.assertEqual((row.verdict, row.reason),
                         (NOT_TESTED, "baseline 'nowhere' names no case"))
        self.assertIsNone(row.ratio)


class HolmChangesTheVerdictTest(unittest.TestCase):
    """4 + 4 separated trials: raw p = 2/70 < 0.05 holds alone, but with two
    more tests Holm makes it 3 * 2/70 >= 0.05."""

    HIGHER, LOWER = {"throughput_mb_s": "higher"}, {"throughput_mb_s": "lower"}
    GROUPS = [("base", [10.0, 11.0, 12.0, 13.0], None),
              ("apart", [20.0, 21.0, 22.0, 23.0], HIGHER),
              ("near", [10.5, 11.5, 12.5, 13.5], HIGHER),
              ("mixed", [9.6, 10.4, 12.2, 12.9], LOWER)]

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.family = by_key(run_verdicts(load(scripted_run(
            cls.tmp.name, "family", cls.GROUPS, 4))))
        cls.alone = by_key(run_verdicts(load(scripted_run(
            cls.tmp.name, "alone", cls.GROUPS[:2], 4))))

    def test_alone_it_holds(self):
        row = self.alone[("apart", "throughput_mb_s")]
        self.assertAlmostEqual(row.p, 2 / 70, places=12)
        self.assertAlmostEqual(row.p_holm, 2 / 70, places=12)
        self.assertEqual(row.verdict, HOLDS)

    def test_in_a_family_of_three_it_does_not(self):
        base = self.GROUPS[0][1]
        raw = {label: exact_p(values, base)
               for label, values, _ in self.GROUPS[1:]}
        for label, p in raw.items():
            self.assertAlmostEqual(
                self.family[(label, "throughput_mb_s")].p, p, places=12)
        # by hand: sort the raw p, multiply by 3, 2, 1, keep monotone
        first, second, third = sorted(raw, key=raw.get)
        adjusted = {first: min(1.0, 3 * raw[first])}
        adjusted[second] = max(adjusted[first], min(1.0, 2 * raw[second]))
        adjusted[third] = max(adjusted[second], raw[third])
        self.assertEqual(first, "apart")
        for label, p in adjusted.items():
            self.assertAlmostEqual(
                self.family[(label, "throughput_mb_s")].p_holm, p,
                places=12, msg=label)
        apart = self.family[("apart", "throughput_mb_s")]
        self.assertLess(apart.p, 0.05)
        self.assertGreaterEqual(apart.p_holm, 0.05)
        self.assertEqual(apart.verdict, NO_DIFFERENCE)
        self.assertEqual(apart.note, "")

    def test_holm_function_by_hand(self):
        self.assertEqual(holm([]), [])
        adjusted = holm([0.01, 0.04, 0.03])
        for got, want in zip(adjusted, [0.03, 0.06, 0.06]):
            self.assertAlmostEqual(got, want, places=12)
        self.assertEqual(holm([0.5, 0.6]), [1.0, 1.0])


class TooFewTrialsTest(unittest.TestCase):
    def test_three_and_three_cannot_detect_a_difference(self):
        with tempfile.TemporaryDirectory() as root:
            rows = run_verdicts(load(scripted_run(
                root, "few", [("base", [10.0, 11.0, 12.0], None),
                              ("apart", [20.0, 21.0, 22.0],
                               {"throughput_mb_s": "higher"})], 3)))
        self.assertEqual(len(rows), 1)
        self.assertAlmostEqual(rows[0].p, 0.1, places=12)
        self.assertEqual(rows[0].verdict, NO_DIFFERENCE)
        self.assertEqual(rows[0].note, "too few valid trials: a difference "
                         "could not be detected (3 + 3)")

    def test_no_such_note_when_tied_data_reach_significance(self):
        # tied values: scipy's normal approximation gives p = 0.047 for
        # 3 + 3, below 0.05 although untied data could not get there; with
        # a second test Holm doubles it, and the note would be wrong
        base = ("base", [10.0, 10.0, 10.0], None)
        apart = ("apart", [20.0, 20.0, 20.0], {"throughput_mb_s": "higher"})
        same = ("same", [10.0, 10.0, 10.0], {"throughput_mb_s": "higher"})
        with tempfile.TemporaryDirectory() as root:
            alone = run_verdicts(load(scripted_run(
                root, "tied", [base, apart], 3)))[0]
            family = run_verdicts(load(scripted_run(
                root, "tied-family", [base, apart, same], 3)))
        self.assertLess(alone.p, 0.05)
        self.assertEqual((alone.verdict, alone.note), (HOLDS, ""))
        self.assertEqual((alone.ci_low, alone.ci_high), (2.0, 2.0))
        self.assertAlmostEqual(family[0].p_holm, 2 * alone.p, places=12)
        self.assertEqual((family[0].verdict, family[0].note),
                         (NO_DIFFERENCE, ""))
        self.assertEqual(family[1].p, 1.0)  # identical samples
        self.assertEqual(family[1].note, "too few valid trials: a "
                         "difference could not be detected (3 + 3)")


class IntervalAndSummaryTest(unittest.TestCase):
    def test_identical_values_give_the_point_itself(self):
        self.assertEqual(ratio_interval([5.0, 5.0, 5.0], [4.0, 4.0, 4.0]),
                         (1.25, 1.25))

    def test_a_zero_baseline_gives_no_bound_but_no_crash(self):
        low, high = ratio_interval([5.0, 6.0, 7.0], [0.0, 0.0, 4.0])
        self.assertIsNone(high)

    def test_interval_is_seeded(self):
        first = ratio_interval(FASTER, BASE)
        self.assertEqual(first, ratio_interval(FASTER, BASE))
        self.assertLess(first[0], 153.0 / 103.0)
        self.assertGreater(first[1], 153.0 / 103.0)

    def test_problems_counted_by_metric_and_expectation(self):
        text = problem_summary([["m: expected 2, got 1"],
                                ["m: expected 2, got 0", "n: expected 1 "
                                 "to 2, got 5"],
                                ["failed"], ["m: expected 2, got 1"]], 6)
        self.assertEqual(text, "m: expected 2, got 1 or 0 (3 of 6); "
                         "n: expected 1 to 2, got 5 (1 of 6); failed (1 of 6)")


if __name__ == "__main__":
    unittest.main()
