"""Every figure the findings quote (experiments/forum-threadpool.md,
README.md, docs/FORUM.md) recomputes from the committed reference runs:
a quote left stale by a new run, or a document that quotes nothing
checkable, fails here."""
from __future__ import annotations

import os
import subprocess
import sys
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DOCUMENTS = ("experiments/forum-threadpool.md", "README.md", "docs/FORUM.md")


class FindingsQuotesTest(unittest.TestCase):
    def test_every_quoted_figure_recomputes(self):
        done = subprocess.run(
            [sys.executable, os.path.join(REPO, "experiments", "check_quotes.py"),
             *(os.path.join(REPO, d) for d in DOCUMENTS)],
            capture_output=True, text=True, cwd=REPO, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertRegex(done.stdout, r"\d+ quotes checked in 3 files, 0 stale")
