"""Charts of per-point summary statistics: metric bars and metric-vs-axis lines.

Every statistic drawn comes from the point's row of summary.csv (missing cells
are simply not drawn; latency percentiles from its `*_merged` columns), titles
and units from the run's metric catalogue, and every function returns the
numbers it drew in `ChartResult.data`.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from plot.chartkit import (MODEL_KEY, ChartResult, caption_for, draw_spread,
                           label_bars, layout_by_model, log_scale,
                           model_styles, new_figure, plain_numbers,
                           save_figure, spread_legend)
from plot.naming import (display_keys, format_axis_value, format_value,
                         key_axis_label)
from plot.palette import ModelColours
from plot.summary_csv import MERGED_SUFFIX, STATS


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


def series_along(run: Any, axis_key: str, points: Optional[List[Any]] = None
                 ) -> "OrderedDict[tuple, List[Any]]":
    """Points (default: all the run's) with a number for `axis_key`,
    grouped by model and every other varied key, each group sorted by x."""
    series: "OrderedDict[tuple, List[Any]]" = OrderedDict()
    for point in run.points if points is None else points:
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
    telling = [i for i in range(1, max(map(len, keys), default=1))
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


@dataclass
class StyledSeries:
    """One line of a lines chart: its points, legend label and look."""
    label: str
    points: List[Any]
    colour: str
    linestyle: str
    marker: str


def styled_series(series: "OrderedDict[tuple, List[Any]]",
                  colours: ModelColours, axis_key: str) -> List[StyledSeries]:
    """Each series with a unique label, its model's colour, and a line style
    and marker that tell apart the series of one model (same in every
    panel)."""
    models = [key[0] for key in series]
    styled: List[StyledSeries] = []
    for members, label, model, (linestyle, marker) in zip(
            series.values(), _series_labels(series, axis_key), models,
            model_styles(models)):
        while label in {s.label for s in styled}:
            label += "'"
        styled.append(StyledSeries(label, members, colours(model), linestyle,
                                   marker))
    return styled


def set_axis_scale(ax: Any, key: str, xs: List[float]) -> None:
    """Log x axis for wide positive ranges (16x or more: buffer sizes,
    connection counts), ticks at the values."""
    if min(xs) > 0 and max(xs) / min(xs) >= 16:
        ax.set_xscale("log", base=2)
        ax.minorticks_off()
    ax.set_xticks(xs)
    ax.set_xticklabels([format_axis_value(key, x) for x in xs])


@dataclass(frozen=True)
class LinePanel:
    """One panel of a lines chart: a summary metric's median with its
    p25-p75 band, or (`merged`) its value over all ok repetitions' merged
    latency histograms, which has no spread."""
    metric: str
    merged: bool = False
    log_y: bool = False

    @property
    def key(self) -> str:
        """Its entry in ChartResult.data: the metric, or `<metric>_merged`."""
        return self.metric + MERGED_SUFFIX if self.merged else self.metric

    @property
    def central(self) -> str:
        """The statistic the line joins: `median`, or `merged`."""
        return "merged" if self.merged else "median"

    def values(self, point: Any) -> Dict[str, Optional[float]]:
        """The point's line value (and p25/p75 for summary metrics)."""
        if self.merged:
            return {"merged": point.merged(self.metric)}
        return {s: point.stat(self.metric, s) for s in ("median", "p25", "p75")}

    def title(self, catalogue: Any, axis_key: str) -> str:
        """Panel title from the catalogue."""
        merged = " (all repetitions' requests, merged)" if self.merged else ""
        return f"{catalogue.title(self.metric)}{merged} vs {axis_key}"


# Chart choice: the panels of a lines chart, each drawn when some point has
# its figure (throughput and CPU/GB always; request rate and merged p99 for
# request workloads; memory per connection when it was measured).
LINE_PANELS = (LinePanel("throughput_mb_s"), LinePanel("server_cpu_per_gb"),
               LinePanel("requests_per_s"),
               LinePanel("latency_us_p99", merged=True, log_y=True),
               LinePanel("server_rss_per_conn_bytes"),
               LinePanel("process_rss_per_conn_bytes"))


def _panels_with_data(run: Any, points: List[Any]) -> List[LinePanel]:
    return [panel for panel in LINE_PANELS
            if panel.metric in run.catalogue.metrics
            and any(panel.values(p)[panel.central] is not None
                    for p in points)]


def axis_lines(run: Any, out_dir: str, colours: ModelColours,
               axis_key: str) -> Optional[ChartResult]:
    """Chart 2: throughput and CPU/GB (and, where measured, requests/s,
    merged p99 latency and memory per connection) against a numeric axis.

    Median line with a p25-p75 band, one line per model; series that differ
    in other varied keys share the model's colour and differ in line style.
    """
    series = styled_series(series_along(run, axis_key), colours, axis_key)
    panels = _panels_with_data(run, [p for s in series for p in s.points])
    if not panels:
        return None
    figure, _ = new_figure(7.0, 0.4 + 2.8 * len(panels), nrows=len(panels),
                           sharex=True)
    axes = figure.axes  # a list, whatever the panel count
    all_x = sorted({float(p.value(axis_key)) for s in series for p in s.points})
    data: Dict[str, Any] = {"axis": axis_key,
                            "panels": [panel.key for panel in panels]}
    for ax, panel in zip(axes, panels):
        data[panel.key] = _draw_panel_lines(ax, series, axis_key, panel)
        ax.set_ylabel(run.catalogue.axis_label(panel.metric))
        if panel.log_y:
            log_scale(ax)
        else:
            ax.set_ylim(bottom=0)
            plain_numbers(ax.yaxis)
        ax.set_title(panel.title(run.catalogue, axis_key))
    set_axis_scale(axes[-1], axis_key, all_x)
    data["x_scale"] = axes[-1].get_xscale()
    axes[-1].set_xlabel(key_axis_label(axis_key))
    # Outside the axes, right of the top panel: never over a line.
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0),
                   framealpha=0.85)
    stem = line_chart_stem(axis_key)
    files = save_figure(figure, out_dir, stem, caption_for(run))
    return ChartResult(
        stem, f"{_joined_titles(run.catalogue, panels)} vs {axis_key}",
        _lines_description(axis_key, panels), files, data)


def _joined_titles(catalogue: Any, panels: List[LinePanel]) -> str:
    titles = [catalogue.title(panel.metric) for panel in panels]
    return titles[0] if len(titles) == 1 else \
        ", ".join(titles[:-1]) + " and " + titles[-1]


def _lines_description(axis_key: str, panels: List[LinePanel]) -> str:
    text = (f"Medians as {axis_key} changes, one line per model (band: "
            "p25-p75 over repetitions)")
    if any(panel.merged for panel in panels):
        text += ("; latency percentiles are over all ok repetitions' "
                 "requests together (merged histograms), so they have no band")
    return text + "."


def _draw_panel_lines(ax: Any, series: List[StyledSeries], axis_key: str,
                      panel: LinePanel) -> Dict[str, Dict[str, List[Any]]]:
    """Draw one panel's lines and return {series label: drawn arrays}."""
    drawn: Dict[str, Dict[str, List[Any]]] = {}
    for line in series:
        values = [(p, panel.values(p)) for p in line.points]
        values = [(p, v) for p, v in values if v[panel.central] is not None]
        if not values:
            continue
        arrays = {"x": [p.value(axis_key) for p, _ in values],
                  "config_ids": [p.config_id for p, _ in values],
                  **{name: [v[name] for _, v in values]
                     for name in values[0][1]}}
        ax.plot(arrays["x"], arrays[panel.central], color=line.colour,
                label=line.label, linestyle=line.linestyle,
                marker=line.marker, markersize=4)
        low, high = arrays.get("p25"), arrays.get("p75")
        if low and high and all(v is not None for v in low + high):
            ax.fill_between(arrays["x"], low, high, color=line.colour,
                            alpha=0.15, linewidth=0)
        drawn[line.label] = arrays
    return drawn
