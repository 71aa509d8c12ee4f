"""`python3 -m plot {report,compare,micro,verdicts} ...` from the repository
root."""
from __future__ import annotations

import sys

from plot import compare, micro, report, verdicts
from plot.cli_support import EXIT_BAD_INPUT, guarded_main

COMMANDS = {"report": report.main, "compare": compare.main,
            "micro": micro.main, "verdicts": verdicts.main}
USAGE = ("usage: python3 -m plot {report,compare,micro,verdicts} ...\n"
         "  report RUN_DIR [--out DIR] | report --all results/\n"
         "  compare RUN_A RUN_B [--out DIR]\n"
         "  micro RESULT_JSON [--out DIR]\n"
         "  verdicts RUN_DIR")


def main() -> int:
    """Dispatch to the named command."""
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        print(USAGE, file=sys.stderr)
        return EXIT_BAD_INPUT
    return guarded_main(COMMANDS[sys.argv[1]], sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
