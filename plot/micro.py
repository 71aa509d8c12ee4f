"""Chart and MICRO.md for `echolab micro` (Google Benchmark JSON output).

    python3 plot/micro.py RESULT_JSON [--out DIR]

Draws nanoseconds per operation by placement, one bar group per benchmark,
into DIR/micro.png + micro.svg and lists the numbers in DIR/MICRO.md
(DIR defaults to the JSON file's directory).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Dict, Sequence

if __name__ == "__main__" and not __package__:  # run as plot/micro.py
    sys.path[0] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

from plot.chartkit import (format_number, label_bars,  # noqa: E402
                           new_figure, save_figure, spread_legend)
from plot.cli_support import BadInput, EXIT_OK, guarded_main  # noqa: E402
from plot.micro_data import MicroResult, load_micro, micro_results  # noqa
from plot.palette import colours_for  # noqa: E402
from plot.report_md import table  # noqa: E402


def micro_chart(results: Sequence[MicroResult], context: Dict[str, Any],
                out_dir: str) -> Dict[str, Any]:
    """Grouped bars of real ns/op; returns {"files", "data"} (data: what
    was drawn, {benchmark: {placement: ns}})."""
    benchmarks = list(dict.fromkeys(r.benchmark for r in results))
    placements = list(dict.fromkeys(r.placement for r in results))
    colours = colours_for(placements)
    width = 0.8 / len(placements)
    figure, ax = new_figure(max(5.5, 2.5 + 1.1 * len(benchmarks)
                                * max(1, len(placements) / 2)), 4.2)
    data: Dict[str, Dict[str, float]] = {}
    for group, benchmark in enumerate(benchmarks):
        for slot, placement in enumerate(placements):
            match = [r for r in results if r.benchmark == benchmark
                     and r.placement == placement and r.real_ns is not None]
            if not match:
                continue
            x = group - 0.4 + width * (slot + 0.5)
            value = match[0].real_ns
            ax.bar(x, value, width=width * 0.9, color=colours[placement],
                   alpha=0.8)
            ax.annotate(format_number(value), (x, value), ha="center",
                        va="bottom", fontsize=7, xytext=(0, 2),
                        textcoords="offset points")
            data.setdefault(benchmark, {})[placement] = value
    values = [v for d in data.values() for v in d.values() if v > 0]
    if values and max(values) / min(values) > 50:
        ax.set_yscale("log")
    label_bars(ax, range(len(benchmarks)), benchmarks, [])
    ax.set_ylabel("time per operation (ns, wall clock)")
    ax.set_title("Mechanism micro-benchmarks by placement")
    spread_legend(ax, colours, show_spread=False)
    host = context.get("host_name", "unknown host")
    caption = (f"Host {host}, {context.get('num_cpus', '?')} CPUs at "
               f"{context.get('mhz_per_cpu', '?')} MHz, "
               f"{context.get('library_build_type', '?')} Google Benchmark "
               f"build, {context.get('date', '')}. Bars: median aggregate "
               "when repeated, else the single run.")
    files = save_figure(figure, out_dir, "micro", caption)
    return {"files": files, "data": data}


def render_micro_md(results: Sequence[MicroResult], context: Dict[str, Any],
                    source: str, png: str) -> str:
    """MICRO.md: context, chart, the numbers and any errors."""
    counter_names = sorted(set().union(*(r.counters for r in results)))
    rows = [[r.benchmark, r.placement, r.cpus or "-", r.source,
             format_number(r.real_ns), format_number(r.cpu_ns)]
            + [format_number(r.counters.get(c)) for c in counter_names]
            for r in results]
    lines = ["# Micro-benchmarks", "", f"Source: `{source}`", ""]
    facts = [(k, context.get(k)) for k in ("host_name", "executable", "date",
                                            "num_cpus", "mhz_per_cpu",
                                            "library_build_type")]
    lines += [f"- {k}: {v}" for k, v in facts if v not in (None, "")]
    lines += ["", f"![ns per operation by placement]({png})", ""]
    lines += table(["Benchmark", "Placement", "CPUs", "From", "Real ns/op",
                    "CPU ns/op", *counter_names], rows, left_columns=4)
    errors = [r for r in results if r.error]
    if errors:
        lines += ["", "## Errors", ""] + [f"- {r.run_name}: {r.error}"
                                          for r in errors]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    """Command line entry; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="micro.py", description="Chart Google Benchmark JSON output.")
    parser.add_argument("result_json")
    parser.add_argument("--out", help="output directory (default: the "
                        "JSON file's directory)")
    args = parser.parse_args(argv)
    data = load_micro(args.result_json)
    results = micro_results(data)
    if not any(r.real_ns is not None for r in results):
        raise BadInput(f"{args.result_json}: no benchmark has a time")
    out_dir = args.out or os.path.dirname(os.path.abspath(args.result_json))
    os.makedirs(out_dir, exist_ok=True)
    context = data.get("context") if isinstance(data.get("context"),
                                                dict) else {}
    chart = micro_chart(results, context, out_dir)
    markdown = os.path.join(out_dir, "MICRO.md")
    with open(markdown, "w", encoding="utf-8") as handle:
        handle.write(render_micro_md(results, context, args.result_json,
                                     "micro.png"))
    print(f"wrote {markdown} and {', '.join(chart['files'])}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(guarded_main(main))
