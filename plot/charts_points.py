"""Charts of per-point summary statistics: metric bars and metric-vs-axis lines.

Every statistic drawn comes from the point's row of summary.csv (missing cells
are simply not drawn), titles and units from the run's metric catalogue, and
every function returns the numbers it drew in `ChartResult.data`.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, List, Optional

from plot.chartkit import (LINE_STYLES, MARKERS, MODEL_KEY, ChartResult,
                           caption_for, draw_spread, label_bars,
                           layout_by_model, new_figure, save_figure,
                           spread_legend)
from plot.naming import (display_keys, format_axis_value, format_value,
                         key_axis_label)
from plot.palette import ModelColours
from plot.summary_csv import STATS

# Chart choice: the metrics drawn against a numeric swept key.
LINE_METRICS = ("throughput_mb_s", "server_cpu_per_gb")


def metric_bars(run: Any, out_dir: str, colours: ModelColours, metric: str,
                stem: str, description: str) -> Optional[ChartResult]:
    """Bars of each point's median `metric` with p25-p75, min-max and reps.

    Grouped by model when the model varies. None when no point has data.
    """
    if all(p.stat(metric, "median") is None for p in run.points):
        return None
    layout = layout_by_model(run.points, colours)
    figure, ax = new_figure(max(5.5, 2.4 + 0.85 * len(layout.points)), 4.2)
    data: Dict[str, List[Any]] = {"names": [], "config_ids": [],
                                  "repetitions": [], **{s: [] for s in STATS}}
    for point, x in zip(layout.points, layout.xs):
        stats = {s: point.stat(metric, s) for s in STATS}
        repetitions = point.repetition_values(metric)
        draw_spread(ax, x, stats, repetitions, colours(point.model))
        data["names"].append(point.name)
        data["config_ids"].append(point.config_id)
        data["repetitions"].append(repetitions)
        for name, value in stats.items():
            data[name].append(value)
    title = run.catalogue.title(metric)
    label_bars(ax, layout.xs, layout.labels, layout.spans)
    ax.set_ylabel(run.catalogue.axis_label(metric))
    ax.set_ylim(bottom=0)
    ax.set_title(f"{title} per point: median of "
                 f"{_repetition_text(layout.points)}")
    spread_legend(ax, layout.legend)
    files = save_figure(figure, out_dir, stem, caption_for(run))
    return ChartResult(stem, title, description, files, data)


def _repetition_text(points: List[Any]) -> str:
    counts = sorted({len(p.trials) for p in points})
    if len(counts) == 1:
        return f"{counts[0]} repetition" + ("s" if counts[0] != 1 else "")
    return f"{counts[0]}-{counts[-1]} repetitions"


def throughput_bars(run: Any, out_dir: str, colours: ModelColours
                    ) -> Optional[ChartResult]:
    """Chart 1: median throughput per point with its spread."""
    return metric_bars(
        run, out_dir, colours, "throughput_mb_s", "throughput",
        "Median echo throughput per point (bar), p25-p75 (thick), "
        "min-max (whisker) and each repetition (dot).")


def cpu_per_gb_bars(run: Any, out_dir: str, colours: ModelColours
                    ) -> Optional[ChartResult]:
    """Chart 4: server CPU seconds per GB echoed, median and spread."""
    return metric_bars(
        run, out_dir, colours, "server_cpu_per_gb", "cpu-per-gb",
        "Server CPU seconds spent per GB echoed: lower means cheaper bytes.")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def matrix_keys(run: Any) -> List[str]:
    """Keys the spec's `matrix` sweeps (two or more values). A case-only
    spec, or a run without a readable spec.json, sweeps none: its cases
    change several keys at once, so a line across them would suggest a
    trend that was never measured."""
    matrix = run.spec.get("matrix")
    if not isinstance(matrix, dict):
        return []
    return [key for key, values in matrix.items()
            if isinstance(values, list) and len(values) >= 2]


def numeric_axes(run: Any) -> List[str]:
    """Keys the matrix sweeps whose points take at least two values, all
    of them numbers."""
    axes = []
    for key in matrix_keys(run):
        values = run.distinct_values(key)
        if len(values) >= 2 and all(_is_number(v) for v in values):
            axes.append(key)
    return axes


def line_chart_stem(axis_key: str) -> str:
    """`server.threads` -> `lines-server-threads`: from the full key, so
    server.threads and load.threads get a file each."""
    return "lines-" + axis_key.replace(".", "-").replace("/", "-")


def _series_of(run: Any, axis_key: str) -> "OrderedDict[tuple, List[Any]]":
    """Points on the axis grouped by every other varied key, sorted by x."""
    series: "OrderedDict[tuple, List[Any]]" = OrderedDict()
    for point in run.points:
        if not _is_number(point.value(axis_key)):
            continue
        key = (point.model,) + tuple(
            (k, format_value(point.value(k))) for k in run.varied_keys
            if k not in (axis_key, MODEL_KEY))
        series.setdefault(key, []).append(point)
    for members in series.values():
        members.sort(key=lambda p: p.value(axis_key))
    return series


def _series_labels(series: "OrderedDict[tuple, List[Any]]",
                   axis_key: str = "") -> List[str]:
    """Legend text per series: a shared case label, else the model plus the
    other keys that tell this series apart (keys equal everywhere omitted)."""
    keys = list(series)
    telling = [i for i in range(1, max(map(len, keys)))
               if len({k[i] if i < len(k) else None for k in keys}) > 1]
    labels = []
    for key, members in series.items():
        names = {p.label for p in members}
        if len(names) == 1 and "" not in names:
            labels.append(names.pop())
            continue
        shown = display_keys([axis_key] + [k[0] for k in key[1:]])
        others = [f"{shown[key[i][0]]}={key[i][1]}" for i in telling
                  if i < len(key)]
        labels.append(", ".join([key[0]] + others))
    return labels


def _set_axis_scale(ax: Any, key: str, xs: List[float]) -> None:
    """Log2 x axis for wide positive ranges (buffer sizes), ticks at values."""
    if min(xs) > 0 and max(xs) / min(xs) >= 16:
        ax.set_xscale("log", base=2)
        ax.minorticks_off()
    ax.set_xticks(xs)
    ax.set_xticklabels([format_axis_value(key, x) for x in xs])


def axis_lines(run: Any, out_dir: str, colours: ModelColours,
               axis_key: str) -> Optional[ChartResult]:
    """Chart 2: throughput and CPU/GB against a numeric axis, line per model.

    Median line with a p25-p75 band; series that differ in other varied keys
    share the model's colour and differ in line style.
    """
    series = _series_of(run, axis_key)
    if not any(p.stat(m, "median") is not None for members in series.values()
               for p in members for m in LINE_METRICS):
        return None
    figure, axes = new_figure(7.0, 6.0, nrows=len(LINE_METRICS), sharex=True)
    data: Dict[str, Any] = {"axis": axis_key}
    all_x = sorted({float(p.value(axis_key)) for members in series.values()
                    for p in members})
    for ax, metric in zip(axes, LINE_METRICS):
        data[metric] = _draw_metric_lines(ax, series, colours, axis_key,
                                          metric)
        ax.set_ylabel(run.catalogue.axis_label(metric))
        ax.set_ylim(bottom=0)
        ax.set_title(f"{run.catalogue.title(metric)} vs {axis_key}")
    _set_axis_scale(axes[-1], axis_key, all_x)
    axes[-1].set_xlabel(key_axis_label(axis_key))
    # Outside the axes, right of the top panel: never over a line.
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                   framealpha=0.85)
    stem = line_chart_stem(axis_key)
    files = save_figure(figure, out_dir, stem, caption_for(run))
    return ChartResult(
        stem, f"Throughput and CPU vs {axis_key}",
        f"Median throughput and server CPU per GB as {axis_key} changes, one "
        "line per model (band: p25-p75).", files, data)


def _draw_metric_lines(ax: Any, series: "OrderedDict[tuple, List[Any]]",
                       colours: ModelColours, axis_key: str,
                       metric: str) -> Dict[str, Dict[str, List[Any]]]:
    """Draw one metric's lines and return {series label: drawn arrays}."""
    drawn: Dict[str, Dict[str, List[Any]]] = {}
    style_index: Dict[str, int] = {}
    for (key, members), label in zip(series.items(),
                                    _series_labels(series, axis_key)):
        points = [p for p in members if p.stat(metric, "median") is not None]
        if not points:
            continue
        model = key[0]
        index = style_index.get(model, 0)
        style_index[model] = index + 1
        while label in drawn:
            label += "'"
        arrays = {"x": [p.value(axis_key) for p in points],
                  "config_ids": [p.config_id for p in points],
                  **{s: [p.stat(metric, s) for p in points]
                     for s in ("median", "p25", "p75")}}
        colour = colours(model)
        ax.plot(arrays["x"], arrays["median"], color=colour, label=label,
                linestyle=LINE_STYLES[index % len(LINE_STYLES)],
                marker=MARKERS[index % len(MARKERS)], markersize=4)
        if all(v is not None for v in arrays["p25"] + arrays["p75"]):
            ax.fill_between(arrays["x"], arrays["p25"], arrays["p75"],
                            color=colour, alpha=0.15, linewidth=0)
        drawn[label] = arrays
    return drawn
