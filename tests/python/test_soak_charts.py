"""Soak charts: one line per model for descriptors and memory, drawn from
samples.csv alone."""
from __future__ import annotations

import csv
import os
import tempfile
import unittest

from plot.soak_charts import draw_soak_charts, read_samples, soak_series


class SoakChartsTest(unittest.TestCase):
    def test_draws_fds_and_rss_per_model(self):
        with tempfile.TemporaryDirectory() as run:
            with open(os.path.join(run, "samples.csv"), "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=["t_s", "model", "phase", "fds", "rss_kb", "threads"])
                writer.writeheader()
                for model in ("single_thread", "reuseport"):
                    for i in range(8):
                        writer.writerow({"t_s": i * 0.25, "model": model, "phase": "churn" if i < 6 else "after",
                                         "fds": 10 + (i % 3), "rss_kb": 4000 + i, "threads": 3})
            grouped = read_samples(run)
            self.assertEqual(list(grouped), ["single_thread", "reuseport"])
            self.assertEqual(len(grouped["reuseport"]), 8)
            # What each line draws: the samples in file order, memory in MiB.
            rss = soak_series(grouped, "rss_kb", 1 / 1024)
            self.assertEqual(list(rss), ["single_thread", "reuseport"])
            xs, ys = rss["reuseport"]
            self.assertEqual(xs, [i * 0.25 for i in range(8)])
            self.assertEqual(ys, [(4000 + i) / 1024 for i in range(8)])
            self.assertEqual(soak_series(grouped, "fds", 1.0)["single_thread"][1], [10 + (i % 3) for i in range(8)])
            files = draw_soak_charts(run)
            names = sorted(os.path.basename(f) for f in files)
            self.assertEqual(names, ["fds.png", "fds.svg", "rss.png", "rss.svg"])
            for path in files:
                if path.endswith(".svg"):
                    with open(path, encoding="utf-8") as handle:
                        svg = handle.read()
                    # matplotlib writes each text as a comment beside its glyphs:
                    # one legend entry per model, and the axis the chart is about.
                    for text in ("single_thread", "reuseport", "seconds since the model"):
                        self.assertIn("<!-- %s" % text, svg, path)


if __name__ == "__main__":
    unittest.main()
