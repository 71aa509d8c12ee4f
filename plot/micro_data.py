"""Read Google Benchmark JSON (`echolab micro --benchmark_format=json`).

Benchmark names follow "<benchmark>/<placement>/<cpus>", e.g.
"BM_EventfdPingPong/other_core/pu:0-pu:1". Per run it keeps one number:
Google Benchmark's own "median" aggregate (run with
--benchmark_repetitions=N), else the single iteration run. Several runs
without a median aggregate are reported as such, with no time: plot/ computes
no statistic itself.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from plot.cli_support import BadInput
from plot.jsonc import as_number, load_jsonc_file

TO_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}
STANDARD_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name",
    "run_type", "repetitions", "repetition_index", "threads", "iterations",
    "real_time", "cpu_time", "time_unit", "aggregate_name", "aggregate_unit",
    "error_occurred", "error_message", "label", "skipped", "skip_message",
}
# Parts Google Benchmark itself appends to a name; not part of placement.
GENERATED_PART = re.compile(r"^(real_time|process_time|manual_time|"
                            r"(iterations|repeats|threads|min_time|"
                            r"min_warmup_time):.*)$")


@dataclass
class MicroResult:
    """One benchmark at one placement: ns per operation and counters."""
    benchmark: str
    placement: str
    cpus: str
    run_name: str
    real_ns: Optional[float]
    cpu_ns: Optional[float]
    source: str
    counters: Dict[str, float] = field(default_factory=dict)
    error: str = ""


def split_name(run_name: str) -> tuple:
    """"BM_X/other_core/pu:0-pu:1/real_time" -> (BM_X, other_core, pu:0-pu:1)."""
    parts = [p for p in run_name.split("/") if not GENERATED_PART.match(p)]
    benchmark = parts[0] if parts else run_name
    placement = parts[1] if len(parts) > 1 else "default"
    return benchmark, placement, "/".join(parts[2:])


def _run_name(entry: Dict[str, Any]) -> str:
    if isinstance(entry.get("run_name"), str):
        return entry["run_name"]
    name = str(entry.get("name", "?"))
    aggregate = entry.get("aggregate_name")
    if aggregate and name.endswith(f"_{aggregate}"):
        return name[:-len(aggregate) - 1]
    return name


def _ns(entry: Dict[str, Any], key: str) -> Optional[float]:
    value = as_number(entry.get(key))
    scale = TO_NS.get(str(entry.get("time_unit", "ns")))
    return None if value is None or scale is None else value * scale


def _counters(entry: Dict[str, Any]) -> Dict[str, float]:
    return {k: float(v) for k, v in entry.items()
            if k not in STANDARD_KEYS and as_number(v) is not None}


def _no_time(benchmark: str, placement: str, cpus: str, run_name: str,
             source: str, error: str) -> MicroResult:
    return MicroResult(benchmark, placement, cpus, run_name, None, None,
                       source, {}, error)


def _pick(run_name: str, entries: List[Dict[str, Any]]) -> MicroResult:
    """The median aggregate or the single iteration; else a result saying
    why there is no time."""
    benchmark, placement, cpus = split_name(run_name)
    errors = [str(e.get("error_message") or "error") for e in entries
              if e.get("error_occurred")]
    medians = [e for e in entries if e.get("run_type") == "aggregate"
               and e.get("aggregate_name") == "median"]
    iterations = [e for e in entries if e.get("run_type", "iteration")
                  == "iteration" and not e.get("error_occurred")]
    if medians:
        chosen, source = medians[0], "median aggregate"
    elif len(iterations) == 1:
        chosen, source = iterations[0], "single run"
    elif iterations:
        missing = (f"{len(iterations)} runs but no median aggregate (run "
                   "with --benchmark_repetitions=N)")
        return _no_time(benchmark, placement, cpus, run_name,
                        "no median aggregate",
                        "; ".join(errors + [missing]))
    else:
        return _no_time(benchmark, placement, cpus, run_name, "no result",
                        "; ".join(errors) or "no result")
    return MicroResult(benchmark, placement, cpus, run_name,
                       _ns(chosen, "real_time"), _ns(chosen, "cpu_time"),
                       source, _counters(chosen), "; ".join(errors))


def load_micro(path: str) -> Dict[str, Any]:
    """Parse the file; BadInput when it is not Google Benchmark JSON."""
    data = load_jsonc_file(path)
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"),
                                                    list):
        raise BadInput(f"{path}: no \"benchmarks\" list (is it Google "
                       "Benchmark JSON output?)")
    if not data["benchmarks"]:
        raise BadInput(f"{path}: the \"benchmarks\" list is empty")
    return data


def micro_results(data: Dict[str, Any]) -> List[MicroResult]:
    """One MicroResult per run name, in the order the file lists them."""
    runs: Dict[str, List[Dict[str, Any]]] = {}
    for entry in data["benchmarks"]:
        if isinstance(entry, dict):
            runs.setdefault(_run_name(entry), []).append(entry)
    return [_pick(name, entries) for name, entries in runs.items()]
