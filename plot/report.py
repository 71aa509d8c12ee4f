"""Charts and REPORT.md for one run directory, or for the latest of each.

    python3 plot/report.py RUN_DIR [--out DIR]
    python3 plot/report.py --all results/

Writes OUT/charts/*.png + *.svg, OUT/REPORT.md and, when the spec states
hypotheses, OUT/verdicts.json (plot/verdicts.py; OUT defaults to RUN_DIR).
Which charts are drawn depends on what the spec varied and what the trials
recorded: throughput bars always; lines against every numeric key the
spec's matrix sweeps (one file per key: lines-server-threads, ...);
timelines when series exist; CPU per GB; per-thread load when a point has
several server threads; for request workloads latency percentiles, p99 over
time and, over an open-loop rate sweep, latency against request rate.
Exit codes: 0 written, 2 bad input (one line on stderr), 1 internal error.
"""
from __future__ import annotations

import argparse
import glob
import os
import sys
from dataclasses import dataclass
from functools import partial
from typing import List, Optional, Sequence

if __name__ == "__main__" and not __package__:  # run as plot/report.py
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from plot.chartkit import ChartResult  # noqa: E402
from plot.charts_detail import thread_distribution, timelines  # noqa: E402
from plot.charts_latency import (latency_percentiles,  # noqa: E402
                                 latency_throughput, latency_timeline)
from plot.charts_points import (axis_lines, cpu_per_gb_bars,  # noqa: E402
                                numeric_axes, throughput_bars)
from plot.charts_work import work_per_request  # noqa: E402
from plot.cli_support import (EXIT_BAD_INPUT, EXIT_OK, BadInput,  # noqa: E402
                              guarded_main, warn)
from plot.palette import ModelColours  # noqa: E402
from plot.report_md import render_report  # noqa: E402
from plot.rundir import Run, load_run  # noqa: E402
from plot.verdicts import Verdict, run_verdicts, write_verdicts  # noqa: E402

# Files this script writes into charts/; removed before each re-render so a
# chart that no longer applies does not linger next to a fresh REPORT.md.
CHART_FILE_PATTERNS = ("throughput", "lines-*", "timeline", "cpu-per-gb",
                       "threads", "latency-*", "work-per-request")


@dataclass
class Report:
    """What render_run produced."""
    run: Run
    out_dir: str
    report_path: str
    charts: List[ChartResult]
    verdicts: List[Verdict]


def build_charts(run: Run, charts_dir: str) -> List[ChartResult]:
    """Every chart that applies to this run, in reading order."""
    if not run.ok_points:
        return []
    colours = ModelColours(point.model for point in run.points)
    builders = ([throughput_bars]
                + [partial(axis_lines, axis_key=key) for key in numeric_axes(run)]
                + [timelines, cpu_per_gb_bars, thread_distribution,
                   latency_percentiles, latency_throughput, latency_timeline,
                   work_per_request])
    charts = []
    for builder in builders:
        chart = builder(run, charts_dir, colours)
        if chart is not None:
            charts.append(chart)
    return charts


def _remove_old_charts(charts_dir: str) -> None:
    for pattern in CHART_FILE_PATTERNS:
        for extension in ("png", "svg"):
            for path in glob.glob(os.path.join(charts_dir,
                                               f"{pattern}.{extension}")):
                os.remove(path)


def render_run(run_dir: str, out_dir: Optional[str] = None) -> Report:
    """Load a run, draw its charts, write REPORT.md; BadInput on bad input."""
    run = load_run(run_dir)
    out_dir = out_dir or run.path
    charts_dir = os.path.join(out_dir, "charts")
    try:
        os.makedirs(out_dir, exist_ok=True)
        _remove_old_charts(charts_dir)
    except OSError as error:
        raise BadInput(f"cannot write into {out_dir}: {error.strerror}") \
            from None
    verdicts = run_verdicts(run)
    charts = build_charts(run, charts_dir)
    report_path = os.path.join(out_dir, "REPORT.md")
    with open(report_path, "w", encoding="utf-8") as handle:
        handle.write(render_report(run, charts, out_dir, verdicts))
    if verdicts:
        write_verdicts(verdicts, out_dir)
    if not run.ok_points:
        warn(f"no successful trial in {run.path}: REPORT.md lists the "
             "failures and has no charts")
    return Report(run, out_dir, report_path, charts, verdicts)


def latest_runs(results_dir: str) -> List[str]:
    """results/<name>/latest of every experiment, sorted by name."""
    if not os.path.isdir(results_dir):
        raise BadInput(f"results directory {results_dir} does not exist")
    runs = []
    for name in sorted(os.listdir(results_dir)):
        experiment = os.path.join(results_dir, name)
        if not os.path.isdir(experiment):
            continue
        latest = os.path.join(experiment, "latest")
        if os.path.isdir(latest):
            runs.append(latest)
        else:
            warn(f"{experiment} has no `latest` run; skipped")
    if not runs:
        raise BadInput(f"no results/<name>/latest run under {results_dir}")
    return runs


def _describe(report: Report) -> str:
    return (f"wrote {report.report_path} with {len(report.charts)} chart"
            f"{'' if len(report.charts) == 1 else 's'}")


def render_all(results_dir: str) -> int:
    """Render every latest run; one bad run does not stop the others."""
    status = EXIT_OK
    for run_dir in latest_runs(results_dir):
        try:
            print(_describe(render_run(run_dir)))
        except BadInput as error:
            print(f"error: {error}", file=sys.stderr)
            status = EXIT_BAD_INPUT
    return status


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="report.py", description="Charts and REPORT.md for echolab runs.")
    parser.add_argument("path", help="a run directory, or with --all the "
                        "results/ directory")
    parser.add_argument("--out", help="write charts/ and REPORT.md here "
                        "instead of into the run directory")
    parser.add_argument("--all", action="store_true", help="render "
                        "PATH/<name>/latest for every experiment")
    args = parser.parse_args(argv)
    if args.all and args.out:
        parser.error("--out cannot be combined with --all")
    return args


def main(argv: Sequence[str]) -> int:
    """Command line entry; returns the exit code."""
    args = parse_args(argv)
    if args.all:
        return render_all(args.path)
    print(_describe(render_run(args.path, args.out)))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(guarded_main(main))
