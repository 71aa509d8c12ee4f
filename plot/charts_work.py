"""Work per request (server.work_cpu_us, server.work_block_us): requests/s and
p99 latency against the work each request costs, one line per server
configuration (model, threads, workers), each with its bound dashed in the
line's colour:

- blocking work of b us: at most min(T, connections x depth) requests in
  service at once, T the threads that can block side by side (the loops of
  an epoll model, offload_pool's workers, blocking_pool's threads, one
  thread per connection), so the rate is at most that / b (Little's law);
- CPU work of c us: the server's PUs (from the trials' placement) / c,
  whatever the threads.

Drawn when the run has closed-loop points with work (open-loop points, whose
rate is offered, are left out); the no-work point of each line sits at the
left edge, marked "0". Every number drawn is returned in
ChartResult.data.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, List, Optional, Tuple

import numpy

from plot.chartkit import (ChartResult, caption_for, model_styles, new_figure,
                           save_figure)
from plot.palette import ModelColours

KINDS = (("server.work_cpu_us", "CPU work per request (us)", "cpu"),
         ("server.work_block_us", "blocking work per request (us)", "block"))
PANELS = (("requests_per_s", "requests/s (median of repetitions)"),
          ("latency_us_p99", "p99 latency (us, all repetitions merged)"))
STEM = "work-per-request"
CLIENT_ROLES = ("client", "sampler")


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(
        value, bool) else 0.0


def _work(point: Any, key: str) -> float:
    return _number(point.value(key))


def server_pus(point: Any) -> int:
    """PUs the server's threads were planned on (from its trials)."""
    pus = set()
    for trial in point.ok_trials:
        for thread in (trial.placement or {}).get("threads", []):
            if thread.get("role") not in CLIENT_ROLES:
                pus.update(thread.get("planned", []))
    return len(pus)


def threads_that_block(point: Any) -> int:
    """Threads of this configuration that can wait in work side by side."""
    model = point.model
    connections = int(_number(point.value("load.connections"))) or 1
    depth = int(_number(point.value("load.depth"))) or 1
    in_flight = connections * depth
    if model == "offload_pool":
        threads = int(_number(point.value("server.workers")))
    elif model == "thread_per_connection":
        threads = connections
    else:
        threads = int(_number(point.value("server.threads"))) or 1
    return max(1, min(threads, in_flight))


def bound_per_s(point: Any, key: str, work_us: float) -> Optional[float]:
    """The most requests/s this configuration can finish at `work_us`."""
    if work_us <= 0:
        return None
    if key == "server.work_block_us":
        return threads_that_block(point) * 1e6 / work_us
    pus = server_pus(point)
    return pus * 1e6 / work_us if pus else None


def _config_key(point: Any) -> Tuple[str, str, str]:
    workers = point.value("server.workers") if point.model == "offload_pool" else ""
    return (point.model, str(point.value("server.threads")), str(workers or ""))


def _config_label(key: Tuple[str, str, str]) -> str:
    model, threads, workers = key
    if workers:
        return f"{model}, {workers} workers"
    return f"{model} x{threads}" if threads not in ("1", "None", "") else model


def work_lines(run: Any, key: str, other: str
               ) -> "OrderedDict[Tuple[str, str, str], List[Any]]":
    """Points with only this kind of work (the other kind 0), grouped by
    server configuration, each sorted by work; the no-work points too."""
    lines: "OrderedDict[Tuple[str, str, str], List[Any]]" = OrderedDict()
    for point in run.points:
        if _work(point, other) > 0 or not point.ok_trials:
            continue
        if point.value("load.workload") == "open":
            continue  # a fixed offered rate: its rate is set, not measured
        lines.setdefault(_config_key(point), []).append(point)
    for members in lines.values():
        members.sort(key=lambda p: _work(p, key))
    return OrderedDict((k, v) for k, v in lines.items()
                       if any(_work(p, key) > 0 for p in v))


def work_per_request(run: Any, out_dir: str, colours: ModelColours
                     ) -> Optional[ChartResult]:
    """Requests/s and p99 against work, per kind of work, bounds dashed."""
    kinds = [(key, label, short) for key, label, short in KINDS
             if any(_work(p, key) > 0 for p in run.points)]
    if not kinds:
        return None
    figure, axes = new_figure(11.0, 3.8 * len(kinds), nrows=len(kinds),
                              ncols=len(PANELS))
    axes = numpy.atleast_2d(axes)  # one row per kind of work
    data: Dict[str, Any] = {}
    for row, (key, xlabel, short) in enumerate(kinds):
        other = [k for k, _, _ in KINDS if k != key][0]
        lines = work_lines(run, key, other)
        smallest = min(_work(p, key) for v in lines.values() for p in v
                       if _work(p, key) > 0)
        zero_x = smallest / 4  # where a line's no-work point is drawn
        styles = model_styles([k[0] for k in lines])
        for column, (metric, ylabel) in enumerate(PANELS):
            ax = axes[row][column]
            for (config, members), (linestyle, marker) in zip(lines.items(), styles):
                colour = colours(config[0])
                label = _config_label(config)
                xs = [_work(p, key) or zero_x for p in members]
                ys = [p.stat(metric, "median") if metric == "requests_per_s"
                      else p.summary.merged_stat(metric) for p in members]
                drawn = [(x, y) for x, y in zip(xs, ys) if y is not None]
                if not drawn:
                    continue
                ax.plot([x for x, _ in drawn], [y for _, y in drawn],
                        color=colour, linestyle=linestyle, marker=marker,
                        label=label, linewidth=1.3, markersize=4)
                entry = data.setdefault(f"{short}:{label}", {"work_us": [
                    _work(p, key) for p in members]})
                entry[metric] = ys
                if metric == "requests_per_s":
                    bounds = [bound_per_s(p, key, _work(p, key)) for p in members]
                    entry["bound_per_s"] = bounds
                    shown = [(x, b) for x, b in zip(xs, bounds) if b is not None]
                    if shown:
                        ax.plot([x for x, _ in shown], [b for _, b in shown],
                                color=colour, linestyle=":", linewidth=0.9)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ticks = sorted({_work(p, key) for v in lines.values() for p in v
                            if _work(p, key) > 0})
            ax.set_xticks([zero_x] + ticks)
            ax.set_xticklabels(["0"] + [f"{t:g}" for t in ticks])
            ax.minorticks_off()
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, which="major", alpha=0.3)
            if column == len(PANELS) - 1:
                ax.legend(fontsize=6.5, loc="upper left",
                          bbox_to_anchor=(1.01, 1.0), framealpha=0.85)
    figure.suptitle("Work per request: requests/s (dotted: each line's bound) "
                    "and p99 latency", fontsize=10)
    description = ("Requests/s and p99 latency against the work each request "
                   "costs, per server configuration; the dotted line in a "
                   "line's colour is its bound (blocking: threads that can "
                   "wait side by side / work; CPU: server PUs / work).")
    files = save_figure(figure, out_dir, STEM, caption_for(run))
    return ChartResult(STEM, "Work per request", description, files, data)
