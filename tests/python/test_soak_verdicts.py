"""experiments/soak.py's memory check: a leak raises the floor of the
churn's memory and fails; a workload's peak late in the churn does not."""
from __future__ import annotations

import importlib.util
import os
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_SPEC = importlib.util.spec_from_file_location("soak", os.path.join(REPO, "experiments", "soak.py"))
soak = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(soak)

MIB = 1024

# offload_pool's samples (KiB) in a 32 s soak of make test (2026-12-05):
# stream, rr, crr, stream, rr one after another; the second stream run
# peaked 4 MiB above the first, then the memory came back.
OFFLOAD_POOL_SHORT_SOAK = [5860, 9404, 9484, 9552, 7784, 7784, 7432, 7832, 8456, 8940, 9888,
                           13112, 13132, 13512, 13568, 12408, 8796]


class RssGrowthTest(unittest.TestCase):
    def test_a_late_workload_peak_is_not_growth(self):
        check = soak.rss_growth(OFFLOAD_POOL_SHORT_SOAK, 5860)
        self.assertEqual(check["middle_floor_kb"], 7432)  # samples 5-9
        self.assertEqual(check["last_floor_kb"], 8796)    # samples 10-16
        self.assertTrue(check["no_growth"])

    def test_a_steady_leak_fails(self):
        # 1 MiB more every sample: the last third's floor is 5 MiB above
        # the middle third's, over the 4 MiB allowed.
        leaking = [8 * MIB + i * MIB for i in range(15)]
        check = soak.rss_growth(leaking, 8 * MIB)
        self.assertEqual(check["last_floor_kb"] - check["middle_floor_kb"], 5 * MIB)
        self.assertFalse(check["no_growth"])

    def test_a_leak_under_peaks_fails(self):
        # Peaks of 6 MiB every other sample over a floor that leaks 1 MiB a
        # sample: the floor still gives the leak away.
        peaky = [8 * MIB + i * MIB + (6 * MIB if i % 2 else 0) for i in range(18)]
        self.assertFalse(soak.rss_growth(peaky, 8 * MIB)["no_growth"])

    def test_allowance_is_ten_percent_or_four_mib(self):
        big = [100 * MIB] * 5 + [100 * MIB] * 5 + [110 * MIB] * 5
        self.assertTrue(soak.rss_growth(big, 100 * MIB)["no_growth"])     # 10 MiB of 10%
        over = [100 * MIB] * 10 + [111 * MIB] * 5
        self.assertFalse(soak.rss_growth(over, 100 * MIB)["no_growth"])
        small = [8 * MIB] * 10 + [12 * MIB] * 5
        self.assertTrue(soak.rss_growth(small, 8 * MIB)["no_growth"])     # 4 MiB, the floor of the allowance

    def test_no_samples_compares_the_baseline(self):
        self.assertTrue(soak.rss_growth([], 8 * MIB)["no_growth"])


if __name__ == "__main__":
    unittest.main()
