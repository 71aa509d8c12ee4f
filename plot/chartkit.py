"""Shared chart machinery: figures, saving PNG + SVG, captions, spread bars.

Every chart module draws through these helpers so that all charts share one
look: the same caption, the same way of showing a median with its spread,
the same colour per model.
"""
from __future__ import annotations

import os
import textwrap
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import matplotlib

from plot.naming import point_display_name

matplotlib.use("Agg")  # never needs a display
from matplotlib.figure import Figure  # noqa: E402  (after choosing Agg)
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

matplotlib.rcParams.update({
    "svg.hashsalt": "echolab",   # stable SVG ids: re-rendering diffs cleanly
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.axisbelow": True,
})

PNG_DPI = 130
LINE_STYLES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]


@dataclass
class ChartResult:
    """A chart written to disk and the numbers it drew (for tests/report)."""
    stem: str
    title: str
    description: str
    files: List[str] = field(default_factory=list)
    data: Dict[str, Any] = field(default_factory=dict)

    @property
    def png(self) -> str:
        return next(f for f in self.files if f.endswith(".png"))


def new_figure(width: float, height: float, nrows: int = 1, ncols: int = 1,
               **subplot_kw: Any) -> Tuple[Figure, Any]:
    """A constrained-layout figure and its axes (squeezed like pyplot)."""
    figure = Figure(figsize=(width, height), layout="constrained")
    axes = figure.subplots(nrows, ncols, squeeze=True,
                           **subplot_kw)
    return figure, axes


def save_figure(figure: Figure, out_dir: str, stem: str,
                caption: str = "") -> List[str]:
    """Write `stem`.png and `stem`.svg into out_dir, caption underneath."""
    os.makedirs(out_dir, exist_ok=True)
    if caption:
        width_chars = max(60, int(figure.get_figwidth() * 15))
        figure.text(0.005, 0.0, textwrap.fill(caption, width_chars),
                    ha="left", va="top", fontsize=7, color="#444444")
    # The tight box (the caption hangs below the axes) is found by one draw
    # and given to both formats: bbox_inches="tight" would draw each twice.
    figure.set_dpi(PNG_DPI)
    renderer = FigureCanvasAgg(figure).get_renderer()
    figure.draw(renderer)
    box = figure.get_tightbbox(renderer).padded(0.1)
    paths = []
    for extension in ("png", "svg"):
        path = os.path.join(out_dir, f"{stem}.{extension}")
        metadata = {"Date": None} if extension == "svg" else {"Software": None}
        figure.savefig(path, dpi=PNG_DPI, bbox_inches=box, metadata=metadata)
        paths.append(path)
    return paths


def placement_text(points: Sequence[Any], side: str) -> str:
    """`cpus pu:1, bind thread`, or the distinct settings with their points."""
    settings: "OrderedDict[str, List[str]]" = OrderedDict()
    for point in points:
        text = (f"cpus {point.value(side + '.cpus') or '?'}, "
                f"bind {point.value(side + '.bind') or '?'}")
        settings.setdefault(text, []).append(point.name)
    if len(settings) == 1:
        return next(iter(settings))
    parts = []
    for text, names in settings.items():
        who = ", ".join(names) if len(names) <= 2 else f"{len(names)} points"
        parts.append(f"{text} ({who})")
    return "; ".join(parts)


def machine_text(meta: Dict[str, Any]) -> str:
    """`host, CPU, topology, kernel` from meta.json, skipping what is absent."""
    parts = [str(meta[k]) for k in ("host", "cpu_model", "topology", "kernel")
             if meta.get(k)]
    return ", ".join(parts) if parts else "machine unknown (no meta.json)"


def caption_for(run: Any, points: Optional[Sequence[Any]] = None) -> str:
    """Machine and placement caption shown under every run chart."""
    points = list(points if points is not None else run.points)
    return (f"Machine: {machine_text(run.meta)}. "
            f"Server: {placement_text(points, 'server')}. "
            f"Client: {placement_text(points, 'load')}. "
            f"Run: {run.name}/{run.stamp}.")


MODEL_KEY = "server.model"


def model_styles(models: Sequence[str]) -> List[Tuple[str, str]]:
    """(line style, marker) per line, in order: the n-th line of a model gets
    the n-th style, so lines sharing a model's colour stay apart."""
    seen: Dict[str, int] = {}
    styles = []
    for model in models:
        index = seen.get(model, 0)
        seen[model] = index + 1
        styles.append((LINE_STYLES[index % len(LINE_STYLES)],
                       MARKERS[index % len(MARKERS)]))
    return styles


@dataclass
class BarLayout:
    """Where each point's bar goes: grouped by model when the model varies."""
    points: List[Any]
    xs: List[float]
    labels: List[str]
    spans: List[Tuple[float, float]]
    legend: Optional[Dict[str, str]]  # model -> colour, when grouped


def _bar_label(point: Any, grouped_by_model: bool) -> str:
    """A bar's x label: its name, minus the model when bars are grouped."""
    if not grouped_by_model or point.label:
        return point.name
    rest = {k: v for k, v in point.varied.items() if k != MODEL_KEY}
    return point_display_name("", rest) or point.model


def layout_by_model(points: Sequence[Any], colours: Callable[[str], str],
                    gap: float = 0.8) -> BarLayout:
    """One bar slot per point; models in groups separated by `gap`."""
    groups: "OrderedDict[str, List[Any]]" = OrderedDict()
    for point in points:
        groups.setdefault(point.model, []).append(point)
    grouped = len(groups) > 1
    if not grouped:
        groups = OrderedDict([("", list(points))])
    layout = BarLayout([], [], [], [], None)
    x = 0.0
    for members in groups.values():
        start = x
        for point in members:
            layout.points.append(point)
            layout.xs.append(x)
            layout.labels.append(_bar_label(point, grouped))
            x += 1.0
        layout.spans.append((start, x - 1.0))
        x += gap
    if grouped:
        layout.legend = OrderedDict((m, colours(m)) for m in groups)
    return layout


def draw_spread(ax: Any, x: float, stats: Dict[str, Optional[float]],
                repetitions: Sequence[float], colour: str,
                width: float = 0.7, horizontal: bool = False) -> bool:
    """A bar at the median, p25-p75 as a thick bar, min-max as a whisker,
    and one dot per repetition. Returns False (draws 'no data') when there
    is no median."""
    median = stats.get("median")
    if median is None:
        ax.annotate("no data", (x, 0), ha="center", va="bottom",
                    fontsize=7, color="#888888")
        return False
    ax.bar(x, median, width=width, color=colour, alpha=0.55,
           edgecolor=colour, linewidth=1)
    low, high = stats.get("min"), stats.get("max")
    if low is not None and high is not None:
        ax.vlines(x, low, high, color="black", linewidth=0.9)
        ax.hlines([low, high], x - width * 0.15, x + width * 0.15,
                  color="black", linewidth=0.9)
    p25, p75 = stats.get("p25"), stats.get("p75")
    if p25 is not None and p75 is not None:
        ax.vlines(x, p25, p75, color="black", linewidth=4.5)
    if repetitions:
        offsets = _jitter(len(repetitions), width * 0.3)
        ax.scatter([x + o for o in offsets], repetitions, s=11, zorder=3,
                   color="white", edgecolors="black", linewidths=0.7)
    return True


def _jitter(count: int, spread: float) -> List[float]:
    """Evenly spaced, deterministic horizontal offsets for repetition dots."""
    if count == 1:
        return [0.0]
    return [-spread + 2 * spread * i / (count - 1) for i in range(count)]


def spread_legend(ax: Any, colours: Optional[Dict[str, str]] = None,
                  show_spread: bool = True) -> None:
    """One legend right of the plot: colour per model (if given) and, when
    `show_spread`, the median/p25-p75/min-max/repetition encoding."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=colour, alpha=0.55, edgecolor=colour,
                     label=name) for name, colour in (colours or {}).items()]
    if show_spread:
        handles += [
            Line2D([], [], color="black", linewidth=4.5, label="p25-p75"),
            Line2D([], [], color="black", linewidth=0.9, label="min-max"),
            Line2D([], [], marker="o", linestyle="", markerfacecolor="white",
                   markeredgecolor="black", markersize=4, label="repetition"),
        ]
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                  fontsize=7, framealpha=0.85)


def wrap_label(label: str, width: int = 16) -> str:
    """Break `a=1, b=2, c=3` at its commas into lines of about `width`;
    a part longer than `width` (a free-text label) breaks at its spaces."""
    lines: List[str] = []
    for part in label.split(", "):
        if lines and len(lines[-1]) + 2 + len(part) <= width:
            lines[-1] += ", " + part
        else:
            lines.extend(textwrap.wrap(part, width, break_on_hyphens=False)
                         or [part])
    return "\n".join(lines)


# Bar labels: about this wide per character at font size 7 (inches), and
# at most this many lines before labels are turned instead of stacked.
LABEL_CHAR_IN = 0.054
LABEL_MAX_LINES = 3
# Space the y label, ticks and an outside legend take from a figure's width.
AXES_MARGIN_IN = 2.6


def _chars_per_slot(ax: Any, xs: Sequence[float]) -> int:
    """How many label characters fit in one bar slot (1 x unit) without
    touching the neighbour's label."""
    left, right = ax.get_xlim()
    span = max(right - left, max(xs, default=0) - min(xs, default=0) + 1, 1)
    axes_in = max(1.0, ax.figure.get_figwidth() - AXES_MARGIN_IN)
    return max(4, int(0.9 * axes_in / span / LABEL_CHAR_IN))


def bar_tick_labels(labels: Sequence[str], fits: int
                    ) -> Tuple[List[str], bool]:
    """(tick texts, turned): wrapped to the slot width when every label
    then fits in a few lines, else wrapped wider to be drawn turned."""
    wrapped = [wrap_label(label, fits) for label in labels]
    lines = [line for text in wrapped for line in text.split("\n")]
    if all(len(text.split("\n")) <= LABEL_MAX_LINES for text in wrapped) \
            and all(len(line) <= fits for line in lines):
        return wrapped, False
    return [wrap_label(label, 34) for label in labels], True


def label_bars(ax: Any, xs: Sequence[float], labels: Sequence[str],
               spans: Sequence[Tuple[float, float]]) -> None:
    """Bar labels on the x axis, groups split by lines. A label is wrapped
    to its slot's width; when labels would not fit in a few lines they are
    turned 35 degrees instead, so neighbours never overlap."""
    ax.set_xticks(list(xs))
    texts, turned = bar_tick_labels(labels, _chars_per_slot(ax, xs))
    if turned:
        ax.set_xticklabels(texts, fontsize=6.5, rotation=35, ha="right",
                           rotation_mode="anchor")
    else:
        ax.set_xticklabels(texts, fontsize=7)
    ax.grid(False, axis="x")
    for (_, left_end), (right_start, _) in zip(spans, spans[1:]):
        ax.axvline((left_end + right_start) / 2.0, color="#bbbbbb",
                   linewidth=0.8)


def plain_numbers(axis: Any) -> None:
    """Tick labels as format_number writes them (1,000 rather than 1e3)."""
    from matplotlib.ticker import FuncFormatter, NullFormatter
    axis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v)))
    axis.set_minor_formatter(NullFormatter())


def log_scale(ax: Any, which: str = "y") -> None:
    """Log scale on one axis of `ax`, ticks at 1, 2 and 5 times powers of
    ten written as plain numbers (latencies: 200, 500, 1,000)."""
    from matplotlib.ticker import LogLocator
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis = ax.yaxis if which == "y" else ax.xaxis
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    plain_numbers(axis)


def format_number(value: Optional[float], digits: int = 3) -> str:
    """Human number: 3 significant digits, thousands kept whole."""
    if value is None:
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"
