"""Charts from inside one repetition per point: timelines, per-thread load,
latency CDFs.

Each draws the point's "median repetition": the successful repetition whose
throughput is nearest the point's median (`Point.median_trial`), so the
picture is typical rather than best or worst. Per-trial figures (interval CV,
Jain's index) are the trial's own metrics; when one is absent it shows as
"-", it is never recomputed here.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from plot.chartkit import (LINE_STYLES, ChartResult, caption_for,
                           format_number, label_bars, layout_by_model,
                           new_figure, save_figure, wrap_label)
from plot.jsonc import as_number
from plot.palette import ModelColours


def _numbers(values: Any) -> Optional[List[float]]:
    """A list of finite numbers, or None if `values` is not one."""
    if not isinstance(values, list) or not values:
        return None
    numbers = [as_number(v) for v in values]
    return None if any(n is None for n in numbers) else numbers


def percent(value: Optional[float]) -> str:
    """0.041 -> '4.1%'; None -> '-'."""
    return "-" if value is None else f"{100.0 * value:.1f}%"


def _grid(count: int, max_columns: int = 3) -> Tuple[int, int]:
    columns = min(max_columns, count)
    return math.ceil(count / columns), columns


def timelines(run: Any, out_dir: str, colours: ModelColours
              ) -> Optional[ChartResult]:
    """Chart 3: per-interval throughput of each point's median repetition."""
    entries = []
    for point in run.points:
        trial = point.median_trial()
        if trial is None:
            continue
        t_s = _numbers(trial.series.get("t_s"))
        mb_s = _numbers(trial.series.get("throughput_mb_s"))
        if t_s and mb_s and len(t_s) == len(mb_s):
            entries.append((point, trial, t_s, mb_s))
    if not entries:
        return None
    rows, columns = _grid(len(entries))
    figure, _ = new_figure(4.0 * columns, 2.3 * rows + 0.7, rows, columns,
                           sharex=True, sharey=True)
    panels = figure.axes  # row-major, whatever the grid shape
    data: Dict[str, Any] = {}
    for ax, (point, trial, t_s, mb_s) in zip(panels, entries):
        cv = trial.metric("interval_cv")
        ax.plot(t_s, mb_s, color=colours(point.model), linewidth=1.1)
        # What a legend would say goes under the title: a legend inside
        # the panel would sit on the line.
        ax.set_title(f"{wrap_label(point.name, 48)}\nrep {trial.repetition} "
                     f"(median of {len(point.ok_trials)}), interval CV "
                     f"{percent(cv)}", fontsize=7.5)
        data[point.name] = {"config_id": point.config_id,
                            "repetition": trial.repetition, "t_s": t_s,
                            "throughput_mb_s": mb_s, "interval_cv": cv}
    for index in range(len(entries), len(panels)):
        panels[index].set_visible(False)  # empty cell: label the one above
        panels[index - columns].xaxis.set_tick_params(labelbottom=True)
    panels[0].set_ylim(0, 1.05 * max(max(mb_s) for *_, mb_s in entries))
    interval = entries[0][1].series.get("interval_ms")
    every = f" every {format_number(interval)} ms" if interval else ""
    figure.suptitle(f"Throughput per interval{every}, median repetition "
                    "of each point")
    figure.supxlabel("time in the measured window (s)")
    figure.supylabel(run.catalogue.axis_label("throughput_mb_s"))
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


def thread_distribution(run: Any, out_dir: str, colours: ModelColours
                        ) -> Optional[ChartResult]:
    """Chart 5: connections and bytes per server thread, Jain's index.

    Drawn when some point has two or more server threads.
    """
    found = {}
    for point in run.points:
        trial = point.median_trial()
        threads = server_threads(trial) if trial else []
        if threads:
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


def _latency_trial(point: Any) -> Optional[Tuple[Any, List[List[float]]]]:
    """The median repetition's CDF, else the first repetition that has one."""
    median = point.median_trial()
    candidates = ([median] if median else []) + point.ok_trials
    for trial in candidates:
        latency = trial.metrics.get("latency_us")
        cdf = latency.get("cdf") if isinstance(latency, dict) else None
        if isinstance(cdf, list):
            pairs = [p for p in cdf if isinstance(p, list) and len(p) == 2
                     and _numbers(p) and p[0] > 0]
            if pairs:
                return trial, pairs
    return None


def latency_cdf(run: Any, out_dir: str, colours: ModelColours
                ) -> Optional[ChartResult]:
    """Chart 6: latency CDF per point, when the workload measured latency."""
    entries = [(p, *found) for p in run.points
               if (found := _latency_trial(p)) is not None]
    if not entries:
        return None
    figure, ax = new_figure(7.0, 4.4)
    data: Dict[str, Any] = {}
    style_index: Dict[str, int] = {}
    for point, trial, pairs in entries:
        index = style_index.get(point.model, 0)
        style_index[point.model] = index + 1
        latency = trial.metrics["latency_us"]
        p50, p99 = as_number(latency.get("p50")), as_number(latency.get("p99"))
        xs = [float(us) for us, _ in pairs]
        ys = [float(fraction) for _, fraction in pairs]
        ax.plot(xs, ys, color=colours(point.model), drawstyle="steps-post",
                linestyle=LINE_STYLES[index % len(LINE_STYLES)],
                label=f"{point.name}: p50 {format_number(p50)} µs, "
                      f"p99 {format_number(p99)} µs")
        data[point.name] = {"config_id": point.config_id,
                            "repetition": trial.repetition, "latency_us": xs,
                            "fraction": ys, "p50": p50, "p99": p99}
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 3.0, 5.0)))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("round-trip latency (µs, log scale)")
    ax.set_ylabel("fraction of messages at or below")
    ax.set_title("Latency CDF (median repetition of each point)")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(0.0, -0.2),
              framealpha=0.85)
    files = save_figure(figure, out_dir, "latency-cdf", caption_for(run))
    return ChartResult(
        "latency-cdf", "Latency CDF",
        "Share of messages answered within a given round-trip time: further "
        "left is faster, a long right tail means stalls.", files, data)
