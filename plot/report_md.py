"""REPORT.md: the question, the machine, the numbers, the charts, the failures.

Plain GitHub-flavoured Markdown with relative links, so the file renders as it
is in the repository browser. Statistics are summary.csv's; metric titles and
units are the run's metric catalogue's; the verdicts of hypothesis cases
(Short answer, Hypotheses) are plot/verdicts.py's.
"""
from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any, Callable, List, Optional, Sequence

from plot.chartkit import ChartResult, format_number, placement_text
from plot.charts_detail import percent
from plot.hypotheses import (hypothesis_section, mechanism_section,
                             short_answer_section)
from plot.naming import format_value

# Report choices: the summary table shows throughput (median, p25-p75, CV
# across repetitions), these medians, and the median interval CV.
MAIN_METRIC = "throughput_mb_s"
MEDIAN_COLUMNS = ("server_cpu_per_gb", "ctx_switches_voluntary",
                  "ctx_switches_involuntary", "spurious_wakeups")
PERCENT_COLUMN = "interval_cv"
# Medians shown after those when the run's catalogue has the metric (newer
# echolab): mechanism figures and noise (steal time), "-" where summary.csv
# has no figure.
OPTIONAL_MEDIAN_COLUMNS = ("server_threads_active", "idle_event_share",
                           "steal_s", "interval_cv_1s",
                           "connection_fairness_jain")
# The latency table (request workloads): request rate, the percentiles of
# the merged histograms shown (those summary.csv has), and the open loop's
# schedule figures.
REQUEST_RATE = "requests_per_s"
MERGED_PERCENTILES = ("latency_us_p50", "latency_us_p99", "latency_us_p999",
                      "connect_us_p50", "connect_us_p99")
OPEN_COLUMNS = ("offered_requests_per_s", "achieved_rate_share",
                "requests_behind_schedule")


def cell(text: Any) -> str:
    """Text safe inside a Markdown table cell."""
    value = " ".join(str(text).split())
    return value.replace("|", "\\|").replace("<", "&lt;") or " "


def table(header: Sequence[str], rows: Sequence[Sequence[Any]],
          left_columns: int = 1) -> List[str]:
    """A Markdown table: the first `left_columns` left-aligned (text), the
    rest right-aligned (numbers)."""
    aligns = [":--" if i < left_columns else "--:" for i in range(len(header))]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "| " + " | ".join(aligns) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return lines


def _spread(point: Any, metric: str) -> str:
    low, high = point.stat(metric, "p25"), point.stat(metric, "p75")
    if low is None or high is None:
        return "-"
    return f"{format_number(low)}–{format_number(high)}"


def _trial_counts(run: Any) -> str:
    counts = Counter(t.status for t in run.trials)
    ok = counts.pop("ok", 0)
    text = f"{ok} ok of {len(run.trials)}"
    if counts:
        text += " (" + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) \
            + ")"
    return text


def _commit(meta: dict) -> Optional[str]:
    commit = meta.get("git_commit")
    if not commit:
        return None
    return f"`{commit}`" + (" (dirty tree)" if meta.get("git_dirty") else "")


def machine_section(run: Any) -> List[str]:
    """Key facts about where and how the run was made."""
    meta = run.meta
    build = " ".join(str(meta[k]) for k in ("compiler", "build_type")
                     if meta.get(k))
    swept = "; ".join(
        f"{key} ({', '.join(format_value(v) for v in run.distinct_values(key))})"
        for key in run.varied_keys)
    facts = [
        ("Run directory", f"`{run.path}`"),
        ("Host", meta.get("host")), ("CPU", meta.get("cpu_model")),
        ("Topology", meta.get("topology")), ("Kernel", meta.get("kernel")),
        ("Build", build or None), ("Commit", _commit(meta)),
        ("echolab", meta.get("echolab_version")),
        ("Varied", swept or None),
        ("Server placement", placement_text(run.points, "server")),
        ("Client placement", placement_text(run.points, "load")),
        ("Trials", _trial_counts(run)),
        ("Statistics from", "summary.csv"),
        ("Metric definitions", run.catalogue.source),
    ]
    lines = ["## Machine and run", "", "| | |", "| :-- | :-- |"]
    lines += [f"| {label} | {cell(value)} |" for label, value in facts
              if value not in (None, "")]
    if not meta:
        lines += ["", "meta.json was missing or unreadable: machine unknown."]
    return lines + [""]


def optional_columns(catalogue: Any) -> List[str]:
    """The OPTIONAL_MEDIAN_COLUMNS this run's catalogue knows."""
    return [m for m in OPTIONAL_MEDIAN_COLUMNS if m in catalogue.metrics]


def _summary_header(catalogue: Any) -> List[str]:
    """Column titles; metric titles and units from the catalogue."""
    return (["Point", "ok/n", f"{catalogue.axis_label(MAIN_METRIC)}, median",
             "p25–p75", "CV"]
            + [catalogue.axis_label(metric) for metric in MEDIAN_COLUMNS]
            + [catalogue.title(PERCENT_COLUMN)]
            + [catalogue.title(m) if _is_ratio(catalogue, m)
               else catalogue.axis_label(m)
               for m in optional_columns(catalogue)])


def _is_ratio(catalogue: Any, metric: str) -> bool:
    """A metric whose unit is a ratio shows as a percentage."""
    return catalogue.metric(metric).unit == "ratio"


def _median_text(point: Any, metric: str, ratio: bool) -> str:
    """A point's median of `metric`, as a percentage when it is a ratio;
    "-" where summary.csv has no figure."""
    median = point.stat(metric, "median")
    return percent(median) if ratio else format_number(median)


def _summary_row(point: Any, extra: Sequence[str],
                 ratios: Sequence[str] = ()) -> List[str]:
    """A point's cells; "-" where summary.csv has no figure; metrics in
    `ratios` as percentages."""
    def median(metric: str) -> str:
        return _median_text(point, metric, metric in ratios)
    return ([point.name, f"{len(point.ok_trials)}/{len(point.trials)}",
             median(MAIN_METRIC), _spread(point, MAIN_METRIC),
             percent(point.stat(MAIN_METRIC, "cv"))]
            + [median(metric) for metric in MEDIAN_COLUMNS]
            + [percent(point.stat(PERCENT_COLUMN, "median"))]
            + [median(metric) for metric in extra])


def summary_section(run: Any) -> List[str]:
    """One row per point, the numbers behind the charts."""
    header = _summary_header(run.catalogue)
    extra = optional_columns(run.catalogue)
    ratios = [m for m in extra if _is_ratio(run.catalogue, m)]
    rows = [_summary_row(point, extra, ratios) for point in run.points]
    lines = ["## Summary", ""]
    if not run.ok_points:
        lines += ["**No successful trial**: every trial failed, timed out or "
                  "was skipped, so there is nothing to chart. The failures "
                  "are listed below.", ""]
    lines += ["Medians over repetitions; CV is the coefficient of variation "
              "of throughput across repetitions, interval CV the median "
              "fluctuation within a repetition.", ""]
    return lines + table(header, rows) + [""]


def _with_figures(points: Sequence[Any], metrics: Sequence[str],
                  figure: Callable[[Any, str], Optional[float]]) -> List[str]:
    """The `metrics` for which some point has a `figure(point, metric)`."""
    return [m for m in metrics if any(figure(p, m) is not None
                                      for p in points)]


def latency_section(run: Any) -> List[str]:
    """Per point with timed requests: requests/s (median, p25-p75), the
    merged-histogram percentiles, the request count and, for open-loop
    points, offered rate, achieved share and requests behind schedule."""
    points = [p for p in run.points if p.n_requests > 0]
    if not points:
        return []
    catalogue = run.catalogue
    merged = _with_figures(points, MERGED_PERCENTILES,
                           lambda p, m: p.merged(m))
    schedule = _with_figures(
        points, [m for m in OPEN_COLUMNS if m in catalogue.metrics],
        lambda p, m: p.stat(m, "median"))
    header = (["Point", f"{catalogue.axis_label(REQUEST_RATE)}, median",
               "p25–p75"]
              + [catalogue.axis_label(m) for m in merged] + ["Requests"]
              + [catalogue.title(m) for m in schedule])
    rows = [[point.name, format_number(point.stat(REQUEST_RATE, "median")),
             _spread(point, REQUEST_RATE)]
            + [format_number(point.merged(m)) for m in merged]
            + [f"{point.n_requests:,}"]
            + [_median_text(point, m, _is_ratio(catalogue, m))
               for m in schedule]
            for point in points]
    lines = ["## Latency", "",
             "Requests/s is the median over repetitions (p25–p75 beside it). "
             "Latency percentiles are over all ok repetitions' requests "
             "together: summary.csv's `*_merged` columns, read off the merged "
             "latency histograms (not medians of per-repetition "
             "percentiles); Requests is how many they count."]
    if schedule:
        lines[-1] += (" Open loop: offered rate, achieved share of it and "
                      "requests sent late are medians over repetitions; "
                      "latency counts from each request's intended send time.")
    return lines + [""] + table(header, rows) + [""]


def charts_section(charts: Sequence[ChartResult], out_dir: str) -> List[str]:
    """Each chart embedded with a relative link and a one-line reading."""
    if not charts:
        return []
    lines = ["## Charts", ""]
    for chart in charts:
        png = os.path.relpath(chart.png, out_dir).replace(os.sep, "/")
        svg = png[:-4] + ".svg"
        lines += [f"### {chart.title}", "", f"![{chart.title}]({png})", "",
                  f"{chart.description} ([SVG]({svg}))", ""]
    return lines


def failures_section(run: Any) -> List[str]:
    """Trials that did not finish with status ok, with their error."""
    by_id = {p.config_id: p.name for p in run.points}
    failed = [t for t in run.trials if t.status != "ok"]
    if not failed:
        return []
    rows = [[by_id.get(t.config_id, t.config_id), t.repetition, t.status,
             t.error or "(no error message)"] for t in failed]
    return (["## Trials that did not succeed", ""]
            + table(["Point", "Status", "Error", "Repetition"],
                    [[r[0], r[2], r[3], r[1]] for r in rows], left_columns=3)
            + [""])


def findings_section(findings: str) -> List[str]:
    """findings.md under a Findings heading (its own top heading dropped)."""
    text = findings.strip("\n")
    if not text.strip():
        return []
    text = re.sub(r"\A\s*#+\s*findings\s*\n", "", text, flags=re.IGNORECASE)
    return ["## Findings", "", text.strip("\n"), ""]


# A point's window is called noisy when the machine gave this share of one
# CPU's time over the window to other guests (steal) or to work outside the
# trial's threads (other processes, interrupts).
NOISE_SHARE = 0.10


def noise_section(run: Any) -> List[str]:
    """Points whose medians of steal_s or other_cpu_s say the machine was busy
    with something else: differences involving them may be noise."""
    noisy = []
    for point in run.ok_points:
        window = point.value("timing.duration_s")
        if not isinstance(window, (int, float)) or window <= 0:
            continue
        for metric, what in (("steal_s", "steal (hypervisor)"),
                             ("other_cpu_s", "CPU outside the trial")):
            value = point.stat(metric, "median")
            if value is not None and value > NOISE_SHARE * window:
                noisy.append(f"{point.name}: {what} {value:.2f} s per "
                             f"{window:.1f} s window (median)")
    if not noisy:
        return []
    return (["## Noise", "",
             f"These points ran while the machine spent more than "
             f"{NOISE_SHARE:.0%} of one CPU's time on something else; a "
             "difference between them and another point may be noise, not "
             "the server:", ""]
            + [f"- {cell(n)}" for n in noisy] + [""])


def instrument_section(run: Any) -> List[str]:
    """Points where the load client, not the server, may have been the
    limit (summary.csv's n_client_bound) or an open loop fell behind its
    offered rate (n_overloaded): their figures describe the client too."""
    limited = []
    for point in run.points:
        row = point.summary
        n_ok = row.n_ok
        if row.n_client_bound:
            busy = point.stat("client_busy_fraction_max", "median")
            busy_text = "" if busy is None else (
                f", busiest client thread {percent(busy)} busy (median)")
            limited.append(f"{point.name}: client-bound in "
                           f"{row.n_client_bound} of {n_ok} ok trials"
                           f"{busy_text}")
        if row.n_overloaded:
            limited.append(f"{point.name}: overloaded (under 95% of the "
                           f"offered rate answered) in {row.n_overloaded} "
                           f"of {n_ok} ok trials")
    if not limited:
        return []
    return (["## Instrument limits", "",
             "In these points a client thread was busy for 90% or more of "
             "the window (client-bound: the client may have set the pace, "
             "not the server), or an open loop answered less than 95% of "
             "its offered rate (overloaded: its latencies include the "
             "client's or server's backlog). Verdicts leave such trials "
             "out.", ""]
            + [f"- {cell(item)}" for item in limited] + [""])


def notes_section(notes: Sequence[str]) -> List[str]:
    """Warnings met while reading the run (torn lines, stale summary)."""
    if not notes:
        return []
    return ["## Notes", ""] + [f"- {cell(n)}" for n in notes] + [""]


def render_report(run: Any, charts: Sequence[ChartResult], out_dir: str,
                  verdicts: Sequence[Any] = ()) -> str:
    """The whole REPORT.md text; `verdicts` are plot/verdicts.py's rows of
    the run (none: no hypothesis case)."""
    lines = [f"# {run.name}", ""]
    description = run.spec.get("description")
    if isinstance(description, str) and description.strip():
        lines += [f"> {' '.join(description.split())}", ""]
    lines += short_answer_section(run, verdicts)
    lines += hypothesis_section(run, verdicts, table)  # the first table
    lines += machine_section(run)
    lines += findings_section(run.findings)
    lines += summary_section(run)
    lines += latency_section(run)
    lines += mechanism_section(run, table)
    lines += charts_section(charts, out_dir)
    lines += failures_section(run)
    lines += instrument_section(run)
    lines += noise_section(run)
    lines += notes_section(run.notes)
    return "\n".join(lines).rstrip("\n") + "\n"
