"""Charts from inside one repetition per point: timelines, per-thread load.

Each draws the point's "median repetition": the successful repetition whose
throughput (or, for latency, requests/s) is nearest the point's median
(`Point.median_trial`), so the picture is typical rather than best or worst.
Per-trial figures (interval CV, Jain's index) are the trial's own metrics;
when one is absent it shows as "-", it is never recomputed here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from matplotlib.figure import Figure

from plot.chartkit import (ChartResult, caption_for, format_number,
                           label_bars, layout_by_model, new_figure,
                           save_figure, wrap_label)
from plot.jsonc import as_number
from plot.palette import ModelColours


def _numbers(values: Any, gaps: bool = False) -> Optional[List[float]]:
    """A list of finite numbers, or None if `values` is not one; with
    `gaps`, null entries (an interval without a figure) become NaN, which
    matplotlib leaves as a gap in the line."""
    if not isinstance(values, list) or not values:
        return None
    numbers = [math.nan if gaps and v is None else as_number(v)
               for v in values]
    return None if any(n is None for n in numbers) else numbers


def percent(value: Optional[float]) -> str:
    """0.041 -> '4.1%'; None -> '-'."""
    return "-" if value is None else f"{100.0 * value:.1f}%"


def _grid(count: int, max_columns: int = 3) -> Tuple[int, int]:
    columns = min(max_columns, count)
    return math.ceil(count / columns), columns


@dataclass
class TimelineEntry:
    """One point's median repetition and one of its per-interval series."""
    point: Any
    trial: Any
    t_s: List[float]
    values: List[float]  # NaN where the interval has no figure

    @property
    def drawn(self) -> List[Optional[float]]:
        """The values as drawn, None for the gaps (for ChartResult.data)."""
        return [None if math.isnan(v) else v for v in self.values]


def timeline_entries(run: Any, series_key: str, median_metric: str
                     ) -> List[TimelineEntry]:
    """Each point's median repetition by `median_metric` whose series has
    `series_key` beside `t_s` with at least one figure."""
    entries = []
    for point in run.points:
        trial = point.median_trial(median_metric)
        if trial is None:
            continue
        t_s = _numbers(trial.series.get("t_s"))
        values = _numbers(trial.series.get(series_key), gaps=True)
        if t_s and values and len(t_s) == len(values) and \
                not all(math.isnan(v) for v in values):
            entries.append(TimelineEntry(point, trial, t_s, values))
    return entries


def timeline_grid(entries: Sequence[TimelineEntry], colours: ModelColours,
                  subtitle: Callable[[TimelineEntry], str],
                  marker: str = "") -> Tuple[Figure, List[Any]]:
    """One panel per entry (up to 3 columns, shared axes), titled with the
    point's name over `subtitle(entry)`; returns the figure and its
    visible panels. A `marker` shows samples that gaps leave isolated."""
    rows, columns = _grid(len(entries))
    figure, _ = new_figure(4.0 * columns, 2.3 * rows + 0.7, rows, columns,
                           sharex=True, sharey=True)
    panels = figure.axes  # row-major, whatever the grid shape
    for ax, entry in zip(panels, entries):
        ax.plot(entry.t_s, entry.values, color=colours(entry.point.model),
                linewidth=1.1, marker=marker, markersize=2.5)
        # What a legend would say goes under the title: a legend inside
        # the panel would sit on the line.
        ax.set_title(f"{wrap_label(entry.point.name, 48)}\n"
                     f"{subtitle(entry)}", fontsize=7.5)
    for index in range(len(entries), len(panels)):
        panels[index].set_visible(False)  # empty cell: label the one above
        panels[index - columns].xaxis.set_tick_params(labelbottom=True)
    figure.supxlabel("time in the measured window (s)")
    return figure, panels[:len(entries)]


def every_interval(entries: Sequence[TimelineEntry]) -> str:
    """` every 100 ms` from the first entry's series, or ""."""
    interval = entries[0].trial.series.get("interval_ms")
    return f" every {format_number(interval)} ms" if interval else ""


def timelines(run: Any, out_dir: str, colours: ModelColours
              ) -> Optional[ChartResult]:
    """Chart 3: per-interval throughput of each point's median repetition."""
    entries = timeline_entries(run, "throughput_mb_s", "throughput_mb_s")
    if not entries:
        return None
    figure, panels = timeline_grid(
        entries, colours,
        lambda e: f"rep {e.trial.repetition} (median of "
                  f"{len(e.point.ok_trials)}), interval CV "
                  f"{percent(e.trial.metric('interval_cv'))}")
    panels[0].set_ylim(0, 1.05 * max(v for e in entries for v in e.drawn
                                      if v is not None))
    figure.suptitle(f"Throughput per interval{every_interval(entries)}, "
                    "median repetition of each point")
    figure.supylabel(run.catalogue.axis_label("throughput_mb_s"))
    data = {e.point.name: {"config_id": e.point.config_id,
                           "repetition": e.trial.repetition, "t_s": e.t_s,
                           "throughput_mb_s": e.drawn,
                           "interval_cv": e.trial.metric("interval_cv")}
            for e in entries}
    files = save_figure(figure, out_dir, "timeline", caption_for(run))
    return ChartResult(
        "timeline", "Throughput over time",
        "Throughput per sampling interval of each point's median repetition: "
        "a flat line is steady, a jagged one is the forum's fluctuation.",
        files, data)


def server_threads(trial: Any) -> List[Dict[str, Any]]:
    """Every server thread of the trial, by index, idle ones included: a
    thread the record lacks (index below server.threads) is listed with 0
    connections and 0 bytes and `"reported": False`."""
    threads = trial.metrics.get("threads")
    if not isinstance(threads, list):
        return []
    server = [t for t in threads if isinstance(t, dict)
              and t.get("role") == "server"]
    server = sorted(server, key=lambda t: t.get("index", 0)
                    if isinstance(t.get("index"), int) else 0)
    configured = as_number((trial.config.get("server") or {}).get("threads")) \
        if isinstance(trial.config.get("server"), dict) else None
    if server and configured:
        present = {t.get("index") for t in server}
        missing = [{"role": "server", "index": i, "connections": 0,
                    "bytes": 0, "reported": False}
                   for i in range(int(configured)) if i not in present]
        server = sorted(server + missing, key=lambda t: t.get("index", 0)
                        if isinstance(t.get("index"), int) else 0)
    return server


IDLE_MARKER = dict(marker="x", color="#c0392b", s=22, linewidths=1.1,
                   zorder=4, clip_on=False)


def _draw_thread_bars(axes: Sequence[Any], x: float, series: Sequence[
        List[float]], colour: str, idle: Sequence[bool]) -> None:
    """One narrow bar per thread, side by side in the slot centred on x;
    an idle thread (0 bytes) gets an empty outlined slot and a red cross on
    the axis, so "1 of 4 threads did everything" shows."""
    width = 0.8 / len(series[0])
    offsets = [x - 0.4 + width * (i + 0.5) for i in range(len(series[0]))]
    for ax, values in zip(axes, series):
        ax.bar(offsets, values, width=width * 0.9, color=colour, alpha=0.75,
               edgecolor="black", linewidth=0.4)
        idle_x = [o for o, is_idle in zip(offsets, idle) if is_idle]
        if idle_x:
            ax.scatter(idle_x, [0.0] * len(idle_x), **IDLE_MARKER)


MAX_THREADS_DRAWN = 64


def thread_distribution(run: Any, out_dir: str, colours: ModelColours
                        ) -> Optional[ChartResult]:
    """Chart 5: connections and bytes per server thread, Jain's index.

    Drawn when some point has two or more server threads; points with more
    than MAX_THREADS_DRAWN server threads are left out.
    """
    found = {}
    for point in run.points:
        trial = point.median_trial()
        threads = server_threads(trial) if trial else []
        # A bar per thread stops being readable (and the SVG balloons) with
        # thousands of threads; such points are left out of this chart.
        if threads and len(threads) <= MAX_THREADS_DRAWN:
            found[point.config_id] = (trial, threads)
    if not any(len(threads) >= 2 for _, threads in found.values()):
        return None
    layout = layout_by_model([p for p in run.points if p.config_id in found],
                             colours)
    figure, (ax_conn, ax_bytes) = new_figure(
        max(6.0, 2.4 + 0.85 * len(layout.points)), 5.6, nrows=2, sharex=True)
    data: Dict[str, Any] = {}
    for point, x in zip(layout.points, layout.xs):
        trial, threads = found[point.config_id]
        connections = [as_number(t.get("connections")) or 0.0 for t in threads]
        megabytes = [(as_number(t.get("bytes")) or 0.0) / 1e6 for t in threads]
        idle = [mb == 0.0 for mb in megabytes]
        _draw_thread_bars((ax_conn, ax_bytes), x, (connections, megabytes),
                          colours(point.model), idle)
        jain = trial.metric("fairness_jain")
        active = len(threads) - sum(idle)
        ax_bytes.annotate(
            f"{active}/{len(threads)} active\nJain "
            + ("-" if jain is None else f"{jain:.2f}"),
            (x, 1.0), xycoords=("data", "axes fraction"), ha="center",
            va="bottom", fontsize=6.5)
        data[point.name] = {
            "config_id": point.config_id, "repetition": trial.repetition,
            "index": [t.get("index") for t in threads],
            "connections": connections, "megabytes": megabytes, "jain": jain,
            "idle": idle, "active": active,
            "reported": [t.get("reported", True) is not False
                         for t in threads]}
    ax_conn.set_ylabel("connections per thread")
    ax_conn.set_title("Load per server thread (one slot per thread, idle "
                      "threads marked ×; median repetition)")
    ax_conn.grid(False, axis="x")
    ax_bytes.set_ylabel("bytes echoed per thread (MB)")
    ax_bytes.set_title("Active server threads and Jain's fairness index over "
                       "bytes above each point (1 = even)", pad=22)
    label_bars(ax_bytes, layout.xs, layout.labels, layout.spans)
    _thread_legend(ax_conn, layout.legend)
    files = save_figure(figure, out_dir, "threads", caption_for(run))
    return ChartResult(
        "threads", "Load per server thread",
        "Connections and bytes handled by each server thread (median "
        "repetition); Jain's index 1 means evenly shared.", files, data)


def _thread_legend(ax: Any, models: Optional[Dict[str, str]]) -> None:
    """Outside, right of the top panel: model colours and the idle mark."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles = [Patch(facecolor=colour, alpha=0.75, edgecolor="black",
                     linewidth=0.4, label=name)
               for name, colour in (models or {}).items()]
    handles.append(Line2D([], [], marker="x", linestyle="",
                          color=IDLE_MARKER["color"], markersize=5,
                          label="idle thread (0 bytes)"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=7, framealpha=0.85)
