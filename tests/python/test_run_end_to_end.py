"""`echolab run SPEC --plot` from start to finish, as a user runs it: a real
sweep writes trials.jsonl, its closing table ends with the verdicts, and
the plot step draws charts and a REPORT.md that opens with the short
answer computed from those trials (no hand-made run directory)."""
from __future__ import annotations

import glob
import json
import os
import tempfile
import unittest

from tests.python.synth import require_binary, run_spec_with_plot

SPEC = """// two cases, one hypothesis, short windows
{
  "name": "end-to-end",
  "defaults": {
    "server": {"model": "single_thread", "threads": 1, "cpus": "pu:1", "bind": "thread"},
    "load": {"connections": 2, "message_bytes": 4096, "cpus": "pu:0", "bind": "thread"},
    "timing": {"warmup_s": 0.2, "duration_s": 0.4, "interval_ms": 100},
    "repetitions": 3
  },
  "cases": [
    {"label": "one thread", "expect": {"connections_served": 2}},
    {"label": "hopping", "server.model": "dispatch_pool", "server.threads": 2,
     "hypothesis": "Connections hopping between threads are slower",
     "baseline": "one thread", "predicts": {"throughput_mb_s": "lower"},
     "expect": {"connections_served": 2}}
  ]
}
"""
WORDS = ("holds", "opposite holds", "no difference detected", "not tested")


class RunWithPlotTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.done, cls.run_dir = run_spec_with_plot(cls.tmp.name, "end-to-end", SPEC)

    def test_the_run_ends_with_its_verdict(self):
        self.assertEqual(self.done.returncode, 0, self.done.stdout + self.done.stderr)
        lines = self.done.stdout.splitlines()
        row = next(line for line in lines if line.startswith("hopping "))
        self.assertTrue(any(row.rstrip().endswith(word) or f" {word} " in row for word in WORDS), row)
        self.assertIn("Verdicts of 1 hypotheses (Holm-adjusted p < 0.05)", self.done.stdout)

    def test_report_and_verdicts_come_from_the_trials(self):
        with open(os.path.join(self.run_dir, "verdicts.json")) as handle:
            verdicts = json.load(handle)["verdicts"]
        self.assertEqual([(v["label"], v["baseline"], v["metric"]) for v in verdicts],
                         [("hopping", "one thread", "throughput_mb_s")])
        self.assertIn(verdicts[0]["verdict"], WORDS)
        trials = [json.loads(line) for line in open(os.path.join(self.run_dir, "trials.jsonl"))]
        self.assertEqual(len(trials), 6)
        self.assertTrue(all("client_bound" in t and "overloaded" in t for t in trials))
        self.assertEqual(verdicts[0]["n_trials"], 3)
        with open(os.path.join(self.run_dir, "REPORT.md")) as handle:
            report = handle.read()
        self.assertIn("## Short answer", report)
        self.assertIn(f"Connections hopping between threads are slower: {verdicts[0]['verdict']}", report)
        self.assertTrue(glob.glob(os.path.join(self.run_dir, "charts", "*.png")))


if __name__ == "__main__":
    unittest.main()
