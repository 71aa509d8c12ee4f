"""plot/claims.py: the measured half of CLAIMS.md, from the committed claim runs."""
from __future__ import annotations

import json
import os
import shutil
import statistics
import tempfile
import unittest

from plot import claims
from tests.python.synth import make_run_dir

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
        # The table's median is the median of the run's own trials.
        row = next(line for line in text.splitlines() if line.startswith("| shared epoll + EPOLLEXCLUSIVE"))
        shares = []
        with open(os.path.join(REFERENCE, "claim-epoll-lifo", "trials.jsonl"), encoding="utf-8") as handle:
            for line in handle:
                trial = json.loads(line)
                if trial["config"]["server"].get("exclusive") and trial["status"] == "ok":
                    shares.append(trial["metrics"]["accept_max_share"])
        self.assertEqual(len(shares), 5)
        self.assertGreater(statistics.median(shares), 0.9)
        self.assertIn("| %.4f |" % statistics.median(shares), row)
        self.assertIn("| 5 / 5 |", row)
        self.assertIn("## claim-herd", text)

    def test_client_bound_trials_are_counted_per_point(self):
        # The Xeon's committed claim runs predate the flag: "-"; a run that
        # has it shows how many ok trials were client-bound (the EPYC runs).
        def point_rows(table):
            return [line for line in table if line.startswith("| ") and not line.startswith("| point")
                    and "---" not in line]

        with tempfile.TemporaryDirectory() as results:
            shutil.copytree(os.path.join(REFERENCE, "xeon", "claim-herd"), os.path.join(results, "claim-herd"))
            old = point_rows(claims.claim_table(os.path.join(results, "claim-herd")))
            self.assertEqual(len(old), 8)
            self.assertTrue(all(line.endswith("| - |") for line in old), old)
            flagged = point_rows(claims.claim_table(os.path.join(REFERENCE, "claim-reuseport-balance")))
            self.assertEqual(len(flagged), 4)
            self.assertTrue(all(line.endswith("| 5 / 5 |") for line in flagged), flagged)
            run_dir = make_run_dir(results, "claim-io-uring-echo", repetitions=3,
                                   matrix={"server.model": ["single_thread", "io_uring"]},
                                   flags=lambda varied, rep: {
                                       "client_bound": varied["server.model"] == "io_uring" and rep > 1})
            rows = {line.split("|")[1].strip(): line for line in claims.claim_table(run_dir)
                    if line.startswith("| model=")}
        self.assertTrue(rows["model=io_uring"].endswith("| 2 / 3 |"), rows)
        self.assertTrue(rows["model=single_thread"].endswith("| 0 / 3 |"), rows)

    def test_each_table_says_when_and_from_which_commit_and_tree_its_run_was_made(self):
        # Runs of different dates sit side by side after `make claims CLAIM=x`.
        clean = claims.claim_table(os.path.join(REFERENCE, "claim-herd"))
        with open(os.path.join(REFERENCE, "claim-herd", "meta.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        self.assertIn(f"made {meta['start_time']} at {meta['git_commit']}, clean tree", clean[2])
        dirty = claims.claim_table(os.path.join(REFERENCE, "xeon", "claim-herd"))
        self.assertIn("dirty tree", dirty[2])
        self.assertEqual(claims.run_provenance({}), "no meta.json: date and commit unknown")

    def test_no_claim_runs_is_exit_2(self):
        with tempfile.TemporaryDirectory() as results:
            self.assertEqual(claims.main([results]), 2)


if __name__ == "__main__":
    unittest.main()
