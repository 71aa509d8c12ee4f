"""compare.py and the Mann-Whitney U test behind it."""
from __future__ import annotations

import os
import tempfile
import unittest

from plot import compare
from plot.mannwhitney import mann_whitney_u, smallest_possible_p
from plot.rundir import load_run
from tests.python.clitools import quietly, run_cli
from tests.python.synth import default_throughput, make_run_dir


def doubled_pool(config, repetition, rng):
    """Like default_throughput, but shared_listener twice as fast."""
    value = default_throughput(config, repetition, rng)
    return value * 2 if config["server"]["model"] == "shared_listener" \
        else value


class MannWhitneyTest(unittest.TestCase):
    """plot/mannwhitney.py hands the test to scipy; these pin what callers
    rely on: U of sample A, two-sided p, p = 1 for identical samples."""

    def test_scipy_documentation_example(self):
        # scipy.stats.mannwhitneyu docs: U1 = 17, exact p = 0.1111...
        males, females = [19, 22, 16, 29, 24], [20, 11, 17, 12]
        result = mann_whitney_u(males, females)
        self.assertEqual((result.u, result.n_a, result.n_b), (17.0, 5, 4))
        self.assertAlmostEqual(result.p_value, 1 / 9, places=12)

    def test_u_counts_pairs_where_a_is_larger(self):
        # compare.py reads the direction from U: 0 = every A below every B
        self.assertEqual(mann_whitney_u([1, 2, 3], [4, 5, 6]).u, 0.0)
        self.assertEqual(mann_whitney_u([4, 5, 6], [1, 2, 3]).u, 9.0)

    def test_separated_and_identical_samples(self):
        separated = mann_whitney_u([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        self.assertAlmostEqual(separated.p_value, 2 / 252)
        self.assertEqual(mann_whitney_u([3, 1, 2], [2, 3, 1]).p_value, 1.0)
        self.assertEqual(mann_whitney_u([5, 5], [5, 5]).p_value, 1.0)
        self.assertAlmostEqual(smallest_possible_p(3, 3), 0.1)
        self.assertAlmostEqual(smallest_possible_p(5, 5), 2 / 252)


class CompareRunsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        common = dict(series=False, repetitions=5,
                      matrix={"server.model": ["single_thread",
                                               "shared_listener"]})
        cls.dir_a = make_run_dir(os.path.join(cls.tmp.name, "a"), "cmp",
                                 seed=1, **common)
        cls.dir_b = make_run_dir(os.path.join(cls.tmp.name, "b"), "cmp",
                                 seed=2, throughput=doubled_pool,
                                 stamp="20240202T000000Z", **common)
        with quietly():
            cls.run_a, cls.run_b = load_run(cls.dir_a), load_run(cls.dir_b)

    def find(self, comparisons, model, metric):
        return next(c for c in comparisons
                    if model in c.name and c.metric == metric)

    def test_real_twofold_difference_is_flagged(self):
        comparisons, only_a, only_b = compare.compare_runs(self.run_a,
                                                           self.run_b)
        self.assertEqual((only_a, only_b), ([], []))
        faster = self.find(comparisons, "shared_listener", "throughput_mb_s")
        self.assertTrue(faster.significant)
        self.assertLess(faster.test.p_value, 0.05)
        self.assertAlmostEqual(faster.ratio, 2.0, delta=0.15)
        self.assertTrue(faster.verdict.startswith("B is faster"))
        self.assertEqual(faster.matched_by, "config_id")
        cheaper = self.find(comparisons, "shared_listener",
                            "server_cpu_per_gb")
        self.assertIn("less server CPU per GB", cheaper.verdict)

    def test_identical_runs_are_not_flagged(self):
        comparisons, _, _ = compare.compare_runs(self.run_a, self.run_a)
        for comparison in comparisons:
            self.assertFalse(comparison.significant)
            self.assertEqual(comparison.ratio, 1.0)
            self.assertTrue(comparison.verdict.startswith(
                "no significant difference"))

    def test_too_few_repetitions_says_why(self):
        """3 + 3 repetitions can never reach p < 0.05 (smallest p is 0.1)."""
        runs = []
        for name, speed in (("few_a", default_throughput),
                            ("few_b", doubled_pool)):
            runs.append(make_run_dir(
                os.path.join(self.tmp.name, name), "cmp", repetitions=3,
                series=False, seed=3, throughput=speed,
                matrix={"server.model": ["shared_listener"]}))
        with quietly():
            comparisons, _, _ = compare.compare_runs(*map(load_run, runs))
        faster = self.find(comparisons, "shared_listener", "throughput_mb_s")
        self.assertAlmostEqual(faster.ratio, 2.0, delta=0.15)
        self.assertFalse(faster.significant)
        self.assertIn("too few repetitions", faster.verdict)
        self.assertIn("p = 0.1 >= 0.05", faster.verdict)

    def test_points_fall_back_to_matching_by_name(self):
        renamed = os.path.join(self.tmp.name, "renamed")
        os.makedirs(renamed)
        for name in ("spec.json", "meta.json", "trials.jsonl",
                     "summary.csv", "metrics.json"):
            with open(os.path.join(self.dir_b, name)) as source:
                text = source.read()
            for point in self.run_b.points:
                text = text.replace(point.config_id, "f" + point.config_id[1:])
            with open(os.path.join(renamed, name), "w") as target:
                target.write(text)
        with quietly():
            comparisons, _, _ = compare.compare_runs(self.run_a,
                                                     load_run(renamed))
        self.assertTrue(all(c.matched_by == "name" for c in comparisons))
        self.assertEqual(len(comparisons), 4)

    def test_command_line_prints_and_writes_chart(self):
        code, out, err = run_cli(compare.main, [self.dir_a, self.dir_b])
        self.assertEqual(code, 0, err)
        self.assertIn("B is faster (significant", out)
        self.assertIn("no significant difference", out)
        self.assertIn("Mann-Whitney U", out)
        out_dir = os.path.join(self.dir_b, "compare-20240101T000000Z")
        for name in ("compare.png", "compare.svg", "COMPARE.md"):
            self.assertTrue(os.path.isfile(os.path.join(out_dir, name)), name)


if __name__ == "__main__":
    unittest.main()
