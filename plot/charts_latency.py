"""Latency charts of the request workloads (rr, crr, open): the percentile
distribution of each point, latency against achieved request rate over an
open-loop rate sweep with its knee, and p99 over time.

Percentiles across repetitions are summary.csv's `<metric>_merged` columns:
the C++ side merges the latency histograms of a point's ok repetitions and
reads the percentiles off the merged counts, so they are never medians of
per-repetition percentiles, and nothing is computed here. The timeline is
one repetition's own per-interval p99 (`series.latency_us_p99`).
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence

from matplotlib.lines import Line2D

from plot.chartkit import (ChartResult, caption_for, format_number,
                           log_scale, model_styles, new_figure,
                           plain_numbers, save_figure)
from plot.charts_detail import every_interval, timeline_entries, timeline_grid
from plot.charts_points import (StyledSeries, matrix_keys, series_along,
                                styled_series)
from plot.palette import ModelColours

# Chart choice: the percentiles drawn, each with its quantile, and the
# maximum drawn as a marker right of them.
PERCENTILES = (("latency_us_p50", 0.5), ("latency_us_p90", 0.9),
               ("latency_us_p99", 0.99), ("latency_us_p999", 0.999),
               ("latency_us_p9999", 0.9999))
MAX_METRIC = "latency_us_max"
MAX_X = 5.0  # one step right of p99.99 on the nines scale
# Latency against rate: drawn over a matrix sweep of the open loop's rate.
RATE_KEY = "load.rate"
OPEN_WORKLOAD = "open"
RATE_PANELS = ("latency_us_p50", "latency_us_p99")
# The knee of a rate sweep: the highest offered rate at which the median
# achieved share of that rate is at least this (server and client kept up).
KNEE_SHARE = 0.95
KNEE_DEFINITION = (
    "Knee (ringed): the highest offered rate (load.rate) whose median "
    f"achieved share of the offered rate is at least {KNEE_SHARE:.0%}, i.e. "
    "the highest rate server and client together kept up with (the open loop's send lag shows when the client was the limit).")
MERGED_NOTE = ("percentiles over all ok repetitions' requests together "
               "(merged histograms)")


def nines(quantile: float) -> float:
    """Position on the nines scale: -log10(1 - q); p90 -> 1, p99.9 -> 3."""
    return -math.log10(1.0 - quantile)


def percentile_label(quantile: float) -> str:
    """0.999 -> `p99.9`."""
    return f"p{100.0 * quantile:g}"


def request_points(run: Any) -> List[Any]:
    """Points whose ok repetitions timed at least one request."""
    return [p for p in run.points if p.n_requests > 0]


def _latency_label(run: Any) -> str:
    return f"request latency ({run.catalogue.metric(PERCENTILES[0][0]).unit})"


def _outside_legend(ax: Any, handles: Optional[List[Any]] = None) -> None:
    """Legend right of the axes, never over a line."""
    ax.legend(handles=handles, fontsize=7, loc="upper left",
              bbox_to_anchor=(1.01, 1.0), framealpha=0.85)


def latency_percentiles(run: Any, out_dir: str, colours: ModelColours
                        ) -> Optional[ChartResult]:
    """Latency at p50 ... p99.99 (and max) per point on a nines scale."""
    points = request_points(run)
    if not points:
        return None
    figure, ax = new_figure(7.5, 4.4)
    data: Dict[str, Any] = {}
    styles = model_styles([p.model for p in points])
    for point, (linestyle, marker) in zip(points, styles):
        pairs = [(q, point.merged(m)) for m, q in PERCENTILES
                 if point.merged(m) is not None]
        colour = colours(point.model)
        ax.plot([nines(q) for q, _ in pairs], [v for _, v in pairs],
                color=colour, linestyle=linestyle, marker=marker,
                markersize=4, label=point.name)
        highest = point.merged(MAX_METRIC)
        if highest is not None:
            ax.plot([MAX_X], [highest], color=colour, marker=marker,
                    markerfacecolor="none", linestyle="")
        data[point.name] = {
            "config_id": point.config_id, "n_requests": point.n_requests,
            "quantiles": [q for q, _ in pairs],
            "x": [nines(q) for q, _ in pairs],
            "latency_us": [v for _, v in pairs], "max_us": highest}
    ax.set_xticks([nines(q) for _, q in PERCENTILES] + [MAX_X])
    ax.set_xticklabels([percentile_label(q) for _, q in PERCENTILES]
                       + ["max"])
    log_scale(ax)
    ax.set_xlabel("percentile (nines scale: each step right is ten times "
                  "rarer)")
    ax.set_ylabel(_latency_label(run) + ", log scale")
    ax.set_title("Latency percentiles per point (all ok repetitions' "
                 "requests, merged histograms)")
    _outside_legend(ax)
    files = save_figure(figure, out_dir, "latency-percentiles",
                        caption_for(run, points))
    return ChartResult(
        "latency-percentiles", "Latency percentiles",
        "Request latency at p50, p90, p99, p99.9 and p99.99 on a nines "
        "scale, the maximum as an open marker at the right; "
        f"{MERGED_NOTE}. Lower is better; a line that climbs steeply to the "
        "right has a long tail.", files, data)


def rate_sweep_points(run: Any) -> List[Any]:
    """Open-loop points of a run whose matrix sweeps load.rate, when they
    take two or more rates; else []."""
    if RATE_KEY not in matrix_keys(run):
        return []
    points = [p for p in run.points
              if p.value("load.workload") == OPEN_WORKLOAD
              and isinstance(p.value(RATE_KEY), (int, float))]
    return points if len({p.value(RATE_KEY) for p in points}) >= 2 else []


def knee_point(points: Sequence[Any]) -> Optional[Any]:
    """The point with the highest offered rate whose median achieved share
    of that rate is at least KNEE_SHARE; None when no point kept up."""
    kept_up = [p for p in points
               if (p.stat("achieved_rate_share", "median") or 0.0)
               >= KNEE_SHARE]
    return max(kept_up, key=lambda p: p.value(RATE_KEY), default=None)


def _rate_arrays(line: StyledSeries) -> Dict[str, List[Any]]:
    """A rate series' drawn numbers: points that have an achieved rate."""
    points = [p for p in line.points
              if p.stat("requests_per_s", "median") is not None]
    arrays: Dict[str, List[Any]] = {
        "config_ids": [p.config_id for p in points],
        "offered": [p.value(RATE_KEY) for p in points],
        "achieved_rate_share": [p.stat("achieved_rate_share", "median")
                                for p in points],
        **{f"requests_per_s_{s}": [p.stat("requests_per_s", s)
                                   for p in points]
           for s in ("median", "p25", "p75")}}
    for metric in RATE_PANELS:
        arrays[metric] = [p.merged(metric) for p in points]
    return arrays


def _x_error(arrays: Dict[str, List[Any]]) -> Optional[List[List[float]]]:
    """p25-p75 of requests/s as errorbar offsets; None when incomplete."""
    medians = arrays["requests_per_s_median"]
    low, high = arrays["requests_per_s_p25"], arrays["requests_per_s_p75"]
    if any(v is None for v in low + high):
        return None
    return [[m - l for m, l in zip(medians, low)],
            [h - m for m, h in zip(medians, high)]]


def _draw_rate_line(ax: Any, line: StyledSeries, arrays: Dict[str, Any],
                    metric: str, knee: Optional[Any], row: int) -> None:
    """One series' latency against achieved rate, its knee ringed and
    labelled (the label `row` lines up, so series' labels do not overlap)."""
    keep = [i for i, y in enumerate(arrays[metric]) if y is not None]
    if not keep:
        return
    xs = [arrays["requests_per_s_median"][i] for i in keep]
    ys = [arrays[metric][i] for i in keep]
    error = _x_error(arrays)
    ax.errorbar(xs, ys, xerr=None if error is None else
                [[side[i] for i in keep] for side in error],
                color=line.colour, linestyle=line.linestyle,
                marker=line.marker, markersize=4, capsize=2, elinewidth=0.8,
                label=line.label)
    if knee is None or knee.config_id not in arrays["config_ids"]:
        return
    index = arrays["config_ids"].index(knee.config_id)
    if index in keep:
        at = (arrays["requests_per_s_median"][index], arrays[metric][index])
        ax.scatter(*at, s=140, facecolors="none", zorder=4,
                   edgecolors=line.colour, linewidths=1.6)
        ax.annotate(f"knee {format_number(knee.value(RATE_KEY))}/s", at,
                    xytext=(-9, 4 + 9 * row), textcoords="offset points",
                    ha="right",
                    fontsize=6.5, color=line.colour)


def latency_throughput(run: Any, out_dir: str, colours: ModelColours
                       ) -> Optional[ChartResult]:
    """Merged p50 and p99 latency against achieved requests/s over an
    open-loop rate sweep, one line per series, the knee ringed."""
    points = rate_sweep_points(run)
    if not points:
        return None
    series = styled_series(series_along(run, RATE_KEY, points), colours,
                           RATE_KEY)
    figure, axes = new_figure(7.5, 6.4, nrows=len(RATE_PANELS), sharex=True)
    data: Dict[str, Any] = {}
    achieved: List[float] = []
    for row, line in enumerate(series):
        arrays = _rate_arrays(line)
        knee = knee_point(line.points)
        for ax, metric in zip(axes, RATE_PANELS):
            _draw_rate_line(ax, line, arrays, metric, knee, row)
        achieved += arrays["requests_per_s_median"]
        data[line.label] = {**arrays, "knee": None if knee is None else {
            "config_id": knee.config_id, "offered": knee.value(RATE_KEY)}}
    if not achieved:
        return None
    for ax, metric in zip(axes, RATE_PANELS):
        log_scale(ax)
        ax.set_ylabel(f"{run.catalogue.title(metric)} "
                      f"({run.catalogue.metric(metric).unit}), merged")
        ax.set_title(f"{run.catalogue.title(metric)} against achieved "
                     "request rate")
    if min(achieved) > 0 and max(achieved) / min(achieved) >= 16:
        log_scale(axes[-1], "x")
    else:
        plain_numbers(axes[-1].xaxis)
    axes[-1].set_xlabel(f"{run.catalogue.axis_label('requests_per_s')}, "
                        "median (bars: p25-p75 over repetitions)")
    _outside_legend(axes[0], _rate_legend(axes[0]))
    files = save_figure(figure, out_dir, "latency-throughput",
                        KNEE_DEFINITION + " " + caption_for(run, points))
    return ChartResult(
        "latency-throughput", "Latency against request rate",
        "Merged p50 and p99 latency against the achieved requests/s (median, "
        f"p25-p75 as horizontal bars) as the offered rate rises; {MERGED_NOTE}"
        f". {KNEE_DEFINITION} Past the knee the server falls behind and "
        "latency counted from each request's intended send time grows.",
        files, data)


def _rate_legend(ax: Any) -> List[Any]:
    """The series' handles plus the knee ring."""
    handles, _ = ax.get_legend_handles_labels()
    return handles + [Line2D([], [], marker="o", markersize=9,
                             markerfacecolor="none", markeredgecolor="black",
                             linestyle="", label=f"knee (achieved ≥ "
                             f"{KNEE_SHARE:.0%} of offered)")]


def latency_timeline(run: Any, out_dir: str, colours: ModelColours
                     ) -> Optional[ChartResult]:
    """Per-interval p99 latency of each point's median repetition (median
    by requests/s)."""
    entries = timeline_entries(run, "latency_us_p99", "requests_per_s")
    if not entries:
        return None
    figure, panels = timeline_grid(
        entries, colours,
        lambda e: f"rep {e.trial.repetition} (median of "
                  f"{len(e.point.ok_trials)} by requests/s)", marker="o")
    log_scale(panels[0])
    figure.suptitle(f"Latency p99 per interval{every_interval(entries)}, "
                    "median repetition of each point")
    figure.supylabel(run.catalogue.axis_label("latency_us_p99")
                     + ", log scale")
    data = {e.point.name: {"config_id": e.point.config_id,
                           "repetition": e.trial.repetition, "t_s": e.t_s,
                           "latency_us_p99": e.drawn} for e in entries}
    files = save_figure(figure, out_dir, "latency-timeline",
                        caption_for(run, [e.point for e in entries]))
    return ChartResult(
        "latency-timeline", "Latency p99 over time",
        "p99 latency of the requests completed in each sampling interval of "
        "each point's median repetition (by requests/s); a gap is an interval "
        "in which no request completed, a spike a stall.", files, data)
