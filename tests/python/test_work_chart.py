"""The work-per-request chart from a real sweep: `echolab run --plot` on a
spec with blocking work draws charts/work-per-request.png, and each line's
bound is the one the model allows (one loop: 1/work; offload_pool: its
workers, up to the connections in flight, / work), which the measured rate
does not pass."""
from __future__ import annotations

import os
import tempfile
import unittest

from plot.charts_work import work_per_request
from plot.palette import ModelColours
from plot.rundir import load_run
from tests.python.synth import require_binary, run_spec_with_plot

SPEC = """// one loop and an offload pool, 500 and 2000 us of blocking work
{
  "name": "work-chart",
  "defaults": {
    "server": {"cpus": "pu:1", "bind": "set"},
    "load": {"workload": "rr", "depth": 1, "connections": 4, "message_bytes": 64, "cpus": "pu:0", "bind": "thread"},
    "timing": {"warmup_s": 0.1, "duration_s": 0.4, "interval_ms": 100},
    "repetitions": 1
  },
  "cases": [
    {"label": "loop, no work", "server.model": "single_thread"},
    {"label": "loop, 500", "server.model": "single_thread", "server.work_block_us": 500},
    {"label": "loop, 2000", "server.model": "single_thread", "server.work_block_us": 2000},
    {"label": "pool, 500", "server.model": "offload_pool", "server.workers": 8, "server.work_block_us": 500},
    {"label": "pool, 2000", "server.model": "offload_pool", "server.workers": 8, "server.work_block_us": 2000}
  ]
}
"""


class WorkChartTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        require_binary()
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.done, cls.run_dir = run_spec_with_plot(cls.tmp.name, "work-chart", SPEC)

    def test_the_run_draws_the_chart(self):
        self.assertEqual(self.done.returncode, 0, self.done.stdout + self.done.stderr)
        self.assertTrue(os.path.isfile(os.path.join(self.run_dir, "charts", "work-per-request.png")))

    def test_each_line_has_its_models_bound_and_stays_under_it(self):
        run = load_run(self.run_dir)
        chart = work_per_request(run, os.path.join(self.tmp.name, "charts"),
                                 ModelColours(p.model for p in run.points))
        self.assertIsNotNone(chart)
        loop = chart.data["block:single_thread"]
        pool = chart.data["block:offload_pool, 8 workers"]
        self.assertEqual(loop["work_us"], [0.0, 500.0, 2000.0])
        self.assertEqual(loop["bound_per_s"], [None, 2000.0, 500.0])
        # 8 workers, but only 4 requests in flight (4 connections, depth 1).
        self.assertEqual(pool["work_us"], [500.0, 2000.0])
        self.assertEqual(pool["bound_per_s"], [8000.0, 2000.0])
        for rate, bound in zip(loop["requests_per_s"][1:], loop["bound_per_s"][1:]):
            self.assertLessEqual(rate, bound * 1.05)
        self.assertGreater(pool["requests_per_s"][1], loop["requests_per_s"][2])


if __name__ == "__main__":
    unittest.main()
