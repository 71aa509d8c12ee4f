"""Errors, warnings and the top-level guard shared by the plot/ commands.

Bad input (missing files, wrong schema, invalid JSON) raises `BadInput`, which
the guard turns into one line on stderr and exit code 2. Nothing reaches the
user as a Python traceback unless ECHOLAB_PLOT_DEBUG=1 is set.
"""
from __future__ import annotations

import os
import sys
from typing import Callable, List, Optional, Sequence

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2


class BadInput(Exception):
    """Input the user has to fix. The message is one line naming the file."""


def summarize_fix(run_dir: str) -> str:
    """How to (re)write a run's summary.csv and metrics.json."""
    return f"`echolab summarize {run_dir or '.'}` writes it"


def warn(message: str, notes: Optional[List[str]] = None) -> None:
    """Print `warning: message` on stderr and remember it in `notes` if given."""
    print(f"warning: {message}", file=sys.stderr)
    if notes is not None:
        notes.append(message)


def guarded_main(main: Callable[[Sequence[str]], int],
                 argv: Optional[Sequence[str]] = None) -> int:
    """Run `main(argv)` and map every failure to a one-line message + exit code."""
    if argv is None:
        argv = sys.argv[1:]
    try:
        return main(list(argv))
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # e.g. `compare.py A B | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # top-level guard: no traceback for users
        if os.environ.get("ECHOLAB_PLOT_DEBUG"):
            raise
        print(f"error: internal error: {type(error).__name__}: {error} "
              "(set ECHOLAB_PLOT_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_FAILED

