"""What compare.py shows: a text table, COMPARE.md and the ratio chart."""
from __future__ import annotations

import math
import os
from typing import Any, List, Sequence

from matplotlib.ticker import FormatStrFormatter

from plot.chartkit import format_number, new_figure, save_figure, wrap_label
from plot.mannwhitney import METHOD_TEXT
from plot.report_md import table

BETTER, WORSE, SAME = "#2ca02c", "#d62728", "#9e9e9e"


def method_text(alpha: float) -> str:
    """How the p-values were computed, in one paragraph."""
    return ("Mann-Whitney U test over the successful repetitions "
            f"({METHOD_TEXT}). A difference is called significant when "
            f"p < {alpha:g}.")


def _ratio_text(ratio: Any) -> str:
    return "-" if ratio is None else f"{ratio:.3f}"


def _p_text(comparison: Any) -> str:
    return "-" if comparison.test is None else f"{comparison.test.p_value:.3g}"


def _run_line(tag: str, run: Any) -> str:
    return f"  {tag}: {run.path} ({run.name}/{run.stamp}, {len(run.points)} points)"


def render_text(run_a: Any, run_b: Any, comparisons: Sequence[Any],
                only_a: Sequence[Any], only_b: Sequence[Any],
                alpha: float) -> str:
    """The table compare.py prints on stdout."""
    lines = ["Comparing B against A", _run_line("A", run_a),
             _run_line("B", run_b), method_text(alpha), "",
             f"  {'metric':<20} {'A median':>10} {'B median':>10} "
             f"{'B/A':>7} {'p-value':>8}  verdict"]
    current = None
    for comparison in comparisons:
        if comparison.name != current:
            current = comparison.name
            lines.append(f"{current}  [matched by {comparison.matched_by}]")
        lines.append(
            f"  {comparison.metric:<20} "
            f"{format_number(comparison.median_a):>10} "
            f"{format_number(comparison.median_b):>10} "
            f"{_ratio_text(comparison.ratio):>7} {_p_text(comparison):>8}  "
            f"{comparison.verdict}")
    for tag, points in (("A", only_a), ("B", only_b)):
        if points:
            lines.append(f"only in {tag}: " + "; ".join(p.name for p in points))
    return "\n".join(lines)


def render_markdown(run_a: Any, run_b: Any, comparisons: Sequence[Any],
                    only_a: Sequence[Any], only_b: Sequence[Any],
                    alpha: float, files: Sequence[str], out_dir: str) -> str:
    """COMPARE.md: runs, method, the table and the chart."""
    rows = [[c.name, c.metric, format_number(c.median_a),
             format_number(c.median_b), _ratio_text(c.ratio), _p_text(c),
             c.verdict] for c in comparisons]
    png = os.path.relpath(files[0], out_dir).replace(os.sep, "/")
    lines = [f"# Comparison: {run_b.name}", "",
             f"- A (baseline): `{run_a.path}` ({run_a.stamp})",
             f"- B: `{run_b.path}` ({run_b.stamp})", "", method_text(alpha),
             "", f"![B/A ratios]({png})", ""]
    lines += table(["Point", "Metric", "A median", "B median", "B/A",
                    "p-value", "Verdict"], rows, left_columns=2)
    for tag, points in (("A", only_a), ("B", only_b)):
        if points:
            lines += ["", f"Only in {tag}: " + "; ".join(p.name for p in points)]
    return "\n".join(lines) + "\n"


def _colour(comparison: Any) -> str:
    if not comparison.significant or comparison.ratio is None \
            or comparison.higher_is_better is None:
        return SAME
    b_higher = comparison.ratio > 1
    return BETTER if b_higher == comparison.higher_is_better else WORSE


def ratio_chart(run_a: Any, run_b: Any, comparisons: Sequence[Any],
                out_dir: str) -> List[str]:
    """Horizontal bars of B/A per point and metric, on a log2 axis around 1.

    Green: significantly better, red: significantly worse, grey: no
    significant difference.
    """
    metrics = list(dict.fromkeys(c.metric for c in comparisons))
    names = list(dict.fromkeys(c.name for c in comparisons))
    figure, axes = new_figure(4.5 * len(metrics), 1.4 + 0.45 * len(names),
                              ncols=len(metrics), sharey=True)
    axes = list(axes) if len(metrics) > 1 else [axes]
    for ax, metric in zip(axes, metrics):
        chosen = {c.name: c for c in comparisons if c.metric == metric}
        ratios = [chosen[n].ratio if n in chosen else None for n in names]
        spread = max([abs(math.log2(r)) for r in ratios if r] + [0.25]) + 1.2
        for y, (name, ratio) in enumerate(zip(names, ratios)):
            if not ratio:
                ax.annotate("no data", (1.0, y), ha="center", va="center",
                            fontsize=7, color="#888888")
                continue
            ax.barh(y, ratio - 1.0, left=1.0, height=0.6,
                    color=_colour(chosen[name]))
            ax.annotate(f"×{ratio:.2f}  p={_p_text(chosen[name])}",
                        (ratio, y), xytext=(4 if ratio >= 1 else -4, 0),
                        textcoords="offset points", va="center", fontsize=7,
                        ha="left" if ratio >= 1 else "right")
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.set_xlim(2 ** -spread, 2 ** spread)
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(f"{run_b.catalogue.title(metric)}: B / A")
        ax.set_xlabel("ratio of medians (log scale)")
        ax.grid(False, axis="y")
    axes[0].set_yticks(range(len(names)))
    axes[0].set_yticklabels([wrap_label(n, 34) for n in names], fontsize=7)
    axes[0].invert_yaxis()
    caption = (f"A: {run_a.name}/{run_a.stamp}; B: {run_b.name}/"
               f"{run_b.stamp}. Green: B significantly better, red: "
               "significantly worse, grey: no significant difference "
               "(two-sided Mann-Whitney U, p < 0.05).")
    return save_figure(figure, out_dir, "compare", caption)
