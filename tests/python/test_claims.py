"""plot/claims.py: the measured half of CLAIMS.md, from the committed claim runs."""
from __future__ import annotations

import os
import shutil
import tempfile
import unittest

from plot import claims

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "results", "reference")


class ClaimsTableTest(unittest.TestCase):
    """One table a claim run, its metric's medians read from summary.csv."""

    def test_reference_claim_runs_give_their_medians(self):
        with tempfile.TemporaryDirectory() as results:
            for name in ("claim-epoll-lifo", "claim-herd"):
                shutil.copytree(os.path.join(REFERENCE, name), os.path.join(results, name))
            self.assertEqual(claims.main([results]), 0)
            with open(os.path.join(results, "claims-measured.md"), encoding="utf-8") as handle:
                text = handle.read()
        self.assertIn("## claim-epoll-lifo", text)
        self.assertIn("`accept_max_share`", text)
        # EPOLLEXCLUSIVE: one thread took nearly all accepts (CLAIMS.md row 1).
        row = next(line for line in text.splitlines() if line.startswith("| shared epoll + EPOLLEXCLUSIVE"))
        self.assertIn("| 0.9988 |", row)
        self.assertIn("| 5 / 5 |", row)
        self.assertIn("## claim-herd", text)

    def test_no_claim_runs_is_exit_2(self):
        with tempfile.TemporaryDirectory() as results:
            self.assertEqual(claims.main([results]), 2)


if __name__ == "__main__":
    unittest.main()
