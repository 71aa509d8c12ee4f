"""Run a plot/ command in-process and capture its exit code and output."""
from __future__ import annotations

import contextlib
import io
import re
from typing import Callable, Sequence, Tuple

from plot.cli_support import guarded_main


def run_cli(main: Callable[[Sequence[str]], int],
            argv: Sequence[str]) -> Tuple[int, str, str]:
    """(exit code, stdout, stderr) of `main(argv)` behind the top-level guard.

    argparse usage errors raise SystemExit; its code is returned as well.
    """
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = guarded_main(main, argv)
        except SystemExit as exit_request:
            code = exit_request.code
    return code, out.getvalue(), err.getvalue()


@contextlib.contextmanager
def quietly():
    """Swallow stdout/stderr (expected warnings); yields the stderr buffer."""
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), \
            contextlib.redirect_stderr(err):
        yield err


def markdown_table_rows(markdown, heading=None):
    """The cells of the first Markdown table (after the line `heading`,
    when given), one list of stripped cells per row, header and rule
    included; `\\|` inside a cell does not split it."""
    lines = markdown.split("\n")
    begin = lines.index(heading) if heading is not None else 0
    start = next(i for i in range(begin, len(lines))
                 if lines[i].startswith("| "))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in
                     re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows
