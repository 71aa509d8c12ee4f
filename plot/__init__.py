"""echolab plot/: charts, REPORT.md and run comparison from result files.

Reads only files that `echolab run`, `echolab summarize` and `echolab micro`
wrote (see docs/DESIGN.md, "Results (contract)"), never the C++ code; for a
run without metrics.json it asks `echolab help metrics --json`. Entry points:

    python3 plot/report.py RUN_DIR [--out DIR]     charts + REPORT.md for a run
    python3 plot/report.py --all results/          the `latest` of every experiment
    python3 plot/compare.py RUN_A RUN_B [--out DIR] B against A, with p-values
    python3 plot/micro.py RESULT_JSON [--out DIR]  Google Benchmark JSON -> chart
    python3 plot/verdicts.py RUN_DIR               hypothesis verdicts, verdicts.json

`python3 -m plot {report,compare,micro,verdicts} ...` runs the same
commands (`python3 -m plot.verdicts RUN_DIR` too). Needs the standard
library, numpy, matplotlib (Agg backend) and scipy (statistical tests:
Mann-Whitney U, bootstrap intervals; Debian python3-scipy).
"""
