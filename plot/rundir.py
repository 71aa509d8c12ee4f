"""Load a run directory (spec.json, meta.json, trials.jsonl, summary.csv,
metrics.json).

Result: a `Run` with its `Point`s (one per config_id) and their `Trial`s,
each point's summary statistics as summary.csv has them (written by the C++
side; plot/ computes none), and the metric catalogue (plot/catalogue.py).
Problems the user should know about but that do not stop a report (torn last
line, stale summary.csv, unreadable meta.json) become warnings in `Run.notes`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from plot.catalogue import Catalogue, load_catalogue
from plot.cli_support import BadInput, summarize_fix, warn
from plot.jsonc import as_number, load_jsonc_file
from plot.naming import lookup, point_display_name
from plot.summary_csv import FILE_NAME as SUMMARY_FILE
from plot.summary_csv import SummaryRow, read_summary_csv

SUPPORTED_SCHEMA = 1


def _mapping(value: Any) -> Dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


# Spec-case annotations: not config keys (docs/DESIGN.md, spec cases).
ANNOTATIONS = ("hypothesis", "baseline", "mechanism", "expect", "predicts")
# The annotations that are objects ({metric: ...}); the others are text.
MAPPING_ANNOTATIONS = ("expect", "predicts")


@dataclass
class Trial:
    """One line of trials.jsonl (unknown keys dropped)."""
    config_id: str
    repetition: int
    label: str
    varied: Dict[str, Any]
    config: Dict[str, Any]
    status: str
    error: str
    placement: Dict[str, Any]
    metrics: Dict[str, Any]
    series: Dict[str, Any]
    source: str = ""
    # The spec case's annotations, copied into each trial by the runner.
    hypothesis: str = ""
    baseline: str = ""
    mechanism: str = ""
    expect: Dict[str, Any] = field(default_factory=dict)
    predicts: Dict[str, Any] = field(default_factory=dict)
    # Set on ok trials of a point with an expectation: did the trial meet
    # it, and if not, the runner's reasons ("m: expected 2, got 1").
    expect_met: Optional[bool] = None
    expect_failures: List[str] = field(default_factory=list)
    # Set by the runner when the load client, not the server, was the limit
    # (client_bound) or the server fell behind the offered load
    # (overloaded); absent = false. Such a trial is no valid test.
    client_bound: bool = False
    overloaded: bool = False

    @classmethod
    def from_json(cls, record: Dict[str, Any], source: str) -> "Trial":
        """Build from a parsed line; tolerate missing optional parts."""
        repetition = record.get("repetition")
        return cls(
            config_id=str(record["config_id"]),
            repetition=repetition if isinstance(repetition, int) else 0,
            label=str(record.get("label") or ""),
            varied=_mapping(record.get("varied")),
            config=_mapping(record.get("config")),
            status=str(record.get("status") or "unknown"),
            error=str(record.get("error") or ""),
            placement=_mapping(record.get("placement")),
            metrics=_mapping(record.get("metrics")),
            series=_mapping(record.get("series")),
            source=source,
            hypothesis=_text(record.get("hypothesis")),
            baseline=_text(record.get("baseline")),
            mechanism=_text(record.get("mechanism")),
            expect=_mapping(record.get("expect")),
            predicts=_mapping(record.get("predicts")),
            expect_met=(record.get("expect_met")
                        if isinstance(record.get("expect_met"), bool)
                        else None),
            expect_failures=[str(f) for f in record.get("expect_failures")
                             or [] if isinstance(f, (str, int, float))]
            if isinstance(record.get("expect_failures"), list) else [],
            client_bound=record.get("client_bound") is True,
            overloaded=record.get("overloaded") is True)

    def metric(self, name: str) -> Optional[float]:
        """A numeric metric, or None when absent."""
        return as_number(self.metrics.get(name))


@dataclass
class Point:
    """All repetitions of one configuration, plus its summary row."""
    config_id: str
    label: str
    varied: Dict[str, Any]
    config: Dict[str, Any]
    trials: List[Trial]
    summary: SummaryRow
    name: str = ""

    @property
    def ok_trials(self) -> List[Trial]:
        return [t for t in self.trials if t.status == "ok"]

    @property
    def model(self) -> str:
        return str(self.value("server.model") or "unknown")

    def annotation(self, name: str) -> Any:
        """A spec-case annotation (one of ANNOTATIONS) as the point's trials
        carry it; "" / {} (expect, predicts) when none does."""
        for trial in self.trials:
            value = getattr(trial, name)
            if value:
                return value
        return {} if name in MAPPING_ANNOTATIONS else ""

    @property
    def has_expectation(self) -> bool:
        return bool(self.annotation("expect")) or any(
            t.expect_met is not None for t in self.trials)

    def value(self, dotted_key: str) -> Any:
        """This point's value of a key: from `varied`, else the config."""
        if dotted_key in self.varied:
            return self.varied[dotted_key]
        return lookup(self.config, dotted_key)

    def stat(self, metric: str, name: str) -> Optional[float]:
        """A summary statistic (median, p25, ...) of a metric."""
        return self.summary.stat(metric, name)

    def merged(self, metric: str) -> Optional[float]:
        """`metric` over all ok repetitions' merged latency histograms
        (summary.csv's `<metric>_merged`), or None."""
        return self.summary.merged_stat(metric)

    @property
    def n_requests(self) -> int:
        """Requests timed over all ok repetitions (0 when none or unknown)."""
        return self.summary.n_requests or 0

    def repetition_values(self, metric: str) -> List[float]:
        """The metric of each successful repetition, in repetition order."""
        values = (t.metric(metric) for t in self.ok_trials)
        return [v for v in values if v is not None]

    def median_trial(self, metric: str = "throughput_mb_s") -> Optional[Trial]:
        """The successful repetition whose `metric` is nearest the median of
        summary.csv; the first successful one when either is missing."""
        candidates = [t for t in self.ok_trials if t.metric(metric) is not None]
        median = self.stat(metric, "median")
        if not candidates or median is None:
            return self.ok_trials[0] if self.ok_trials else None
        return min(candidates, key=lambda t: (abs(t.metric(metric) - median),
                                              t.repetition))


@dataclass
class Run:
    """A run directory as read from disk."""
    path: str
    spec: Dict[str, Any]
    meta: Dict[str, Any]
    trials: List[Trial]
    points: List[Point]
    varied_keys: List[str]
    catalogue: Catalogue
    notes: List[str] = field(default_factory=list)
    findings: str = ""

    @property
    def name(self) -> str:
        spec_name = self.spec.get("name")
        if isinstance(spec_name, str) and spec_name:
            return spec_name
        return os.path.basename(os.path.dirname(os.path.realpath(self.path)))

    @property
    def stamp(self) -> str:
        """The run's directory name (its UTC time stamp), symlinks resolved."""
        return os.path.basename(os.path.realpath(self.path))

    @property
    def ok_points(self) -> List[Point]:
        return [p for p in self.points if p.ok_trials]

    def distinct_values(self, dotted_key: str) -> List[Any]:
        """The different values the points take for a key, in point order."""
        seen: List[Any] = []
        for point in self.points:
            value = point.value(dotted_key)
            if value is not None and value not in seen:
                seen.append(value)
        return seen


def _read_optional_json(path: str, notes: List[str]) -> Dict[str, Any]:
    if not os.path.exists(path):
        warn(f"{path} is missing; continuing without it", notes)
        return {}
    try:
        data = load_jsonc_file(path)
    except BadInput as error:
        warn(f"{error}; continuing without it", notes)
        return {}
    if not isinstance(data, dict):
        warn(f"{path} is not a JSON object; continuing without it", notes)
        return {}
    return data


def read_trials(path: str, notes: List[str]) -> List[Trial]:
    """Parse trials.jsonl; drop a torn last line, refuse other schemas."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().split("\n")
    except OSError as error:
        raise BadInput(f"cannot read {path}: {error.strerror}") from None
    numbered = [(i + 1, line) for i, line in enumerate(lines) if line.strip()]
    last_number = numbered[-1][0] if numbered else 0
    by_key: Dict[tuple, Trial] = {}
    for number, line in numbered:
        source = f"{path}:{number}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict):
            what = ("dropped a torn last line (the run was probably killed "
                    "while writing it)" if number == last_number
                    else "skipped a line that is not a JSON object")
            warn(f"{source}: {what}", notes)
            continue
        schema = record.get("schema")
        if schema != SUPPORTED_SCHEMA:
            raise BadInput(f"unsupported schema {schema} in {source} "
                           f"(this plot/ reads schema {SUPPORTED_SCHEMA})")
        if "config_id" not in record:
            warn(f"{source}: skipped a trial without config_id", notes)
            continue
        trial = Trial.from_json(record, source)
        key = (trial.config_id, trial.repetition)
        if key in by_key:
            warn(f"{source}: repetition {trial.repetition} of "
                 f"{trial.config_id} appears again; keeping this later one",
                 notes)
            del by_key[key]
        by_key[key] = trial
    return list(by_key.values())


def _group_trials(trials: List[Trial]) -> Dict[str, List[Trial]]:
    """Trials by config_id (first appearance order), by repetition within."""
    grouped: Dict[str, List[Trial]] = {}
    for trial in trials:
        grouped.setdefault(trial.config_id, []).append(trial)
    return {cid: sorted(group, key=lambda t: t.repetition)
            for cid, group in grouped.items()}


def _summary_rows(run_dir: str, grouped: Dict[str, List[Trial]],
                  catalogue: Catalogue, notes: List[str]
                  ) -> Dict[str, SummaryRow]:
    """summary.csv's rows of the points in trials.jsonl, in summary.csv
    order; a point it lacks gets an empty row (its figures show as missing)."""
    csv_path = os.path.join(run_dir, SUMMARY_FILE)
    csv_rows, _ = read_summary_csv(csv_path, catalogue)
    rows: Dict[str, SummaryRow] = {}
    for row in csv_rows:
        group = grouped.get(row.config_id)
        if group is None:
            warn(f"{csv_path}: point {row.config_id} has no trial in "
                 "trials.jsonl; ignored", notes)
            continue
        if row.n_trials != len(group):
            warn(f"{csv_path}: point {point_display_name(row.label, row.varied)}"
                 f" counts {row.n_trials} trials but trials.jsonl has "
                 f"{len(group)}; statistics may be stale "
                 f"({summarize_fix(run_dir)})", notes)
        rows[row.config_id] = row
    for config_id, group in grouped.items():
        if config_id not in rows:
            warn(f"{csv_path} has no row for point {config_id}; its "
                 f"statistics show as missing ({summarize_fix(run_dir)})",
                 notes)
            rows[config_id] = SummaryRow(config_id, group[0].label,
                                         dict(group[0].varied))
    return rows


def _varied_keys(trials: List[Trial], spec: Dict[str, Any]) -> List[str]:
    keys: Dict[str, None] = {}
    for trial in trials:
        for key in trial.varied:
            keys.setdefault(key, None)
    if not keys:
        for key in _mapping(spec.get("matrix")):
            keys.setdefault(key, None)
        for case in spec.get("cases") or []:
            for key in _mapping(case):
                if key != "label" and key not in ANNOTATIONS:
                    keys.setdefault(key, None)
    return list(keys)


def _name_points(points: List[Point]) -> None:
    """Give every point a display name, unique within the run."""
    for point in points:
        point.name = (point_display_name(point.label, point.varied)
                      or point.model or point.config_id)
    counts: Dict[str, int] = {}
    for point in points:
        counts[point.name] = counts.get(point.name, 0) + 1
    for point in points:
        if counts[point.name] > 1:
            point.name = f"{point.name} [{point.config_id[:6]}]"


def resolve_run_dir(path: str) -> str:
    """Accept results/<name> for results/<name>/latest; else `path` as is."""
    latest = os.path.join(path, "latest")
    if path and not os.path.exists(os.path.join(path, "trials.jsonl")) \
            and os.path.isdir(latest):
        return latest
    return path


def _check_run_dir(run_dir: str) -> str:
    if not run_dir or not os.path.exists(run_dir):
        raise BadInput(f"run directory {run_dir or '(empty path)'} does not "
                       "exist")
    if not os.path.isdir(run_dir):
        raise BadInput(f"{run_dir} is not a directory")
    if not os.listdir(run_dir):
        raise BadInput(f"run directory {run_dir} is empty (no spec.json, "
                       "meta.json or trials.jsonl)")
    trials_path = os.path.join(run_dir, "trials.jsonl")
    if not os.path.isfile(trials_path):
        raise BadInput(f"{trials_path} is missing (is {run_dir} a run "
                       "directory written by `echolab run`?)")
    return trials_path


def load_run(run_dir: str) -> Run:
    """Read a run directory (or results/<name>, meaning its latest run);
    raise BadInput when it cannot be plotted."""
    run_dir = resolve_run_dir(run_dir)
    trials_path = _check_run_dir(run_dir)
    notes: List[str] = []
    trials = read_trials(trials_path, notes)
    if not trials:
        raise BadInput(f"{trials_path} holds no trial (the run finished none)")
    spec = _read_optional_json(os.path.join(run_dir, "spec.json"), notes)
    meta = _read_optional_json(os.path.join(run_dir, "meta.json"), notes)
    catalogue = load_catalogue(run_dir)
    grouped = _group_trials(trials)
    rows = _summary_rows(run_dir, grouped, catalogue, notes)
    points = [Point(config_id=config_id, label=grouped[config_id][0].label,
                    varied=grouped[config_id][0].varied,
                    config=grouped[config_id][0].config,
                    trials=grouped[config_id], summary=row)
              for config_id, row in rows.items()]
    _name_points(points)
    findings_path = os.path.join(run_dir, "findings.md")
    findings = ""
    if os.path.isfile(findings_path):
        with open(findings_path, encoding="utf-8", errors="replace") as handle:
            findings = handle.read()
    return Run(path=run_dir, spec=spec, meta=meta, trials=trials,
               points=points, varied_keys=_varied_keys(trials, spec),
               catalogue=catalogue, notes=notes, findings=findings)
