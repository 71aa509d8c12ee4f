"""The metric catalogue: names, titles, units and better-direction of metrics.

The C++ side owns it. Every run directory has it as metrics.json; for a run
written before that file existed, the same JSON comes from
`echolab help metrics --json` (the binary is $ECHOLAB_BINARY, else
<repo>/build/echolab). plot/ keeps no list of its own.

Format (schema 1):
    {"schema": 1, "metrics": [{"name": "throughput_mb_s", "title":
     "Throughput", "unit": "MB/s", "better": "higher", "scope": "trial",
     "threads": "sum", "repetitions": "median", "summary": true,
     "description": "..."}, ...]}
"""
from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

from plot.cli_support import BadInput, summarize_fix
from plot.jsonc import load_jsonc_file

SUPPORTED_SCHEMA = 1
FILE_NAME = "metrics.json"
BETTER_VALUES = ("higher", "lower", "none")
REQUIRED_TEXT = ("name", "title", "unit", "better", "scope")
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY_TIMEOUT_S = 30
# Where the catalogue came from, as REPORT.md shows it (no machine-specific
# path in a committed report); error messages name the full path.
FROM_BINARY = "`echolab help metrics --json` (the run has no metrics.json)"


@dataclass(frozen=True)
class Metric:
    """One catalogue entry."""
    name: str
    title: str
    unit: str
    better: str
    scope: str
    summary: bool
    description: str = ""

    @property
    def higher_is_better(self) -> Optional[bool]:
        """True / False from `better`; None when neither direction is better."""
        return {"higher": True, "lower": False}.get(self.better)

    @property
    def axis_label(self) -> str:
        """`Throughput (MB/s)`."""
        return f"{self.title} ({self.unit})" if self.unit else self.title


@dataclass
class Catalogue:
    """The metrics of one run, by name, and where they were read from."""
    metrics: Dict[str, Metric]
    source: str

    def metric(self, name: str) -> Metric:
        """The entry for `name`; BadInput when the catalogue lacks it."""
        if name not in self.metrics:
            raise BadInput(f"{self.source} has no metric {name!r} (plot/ "
                           "needs it; is the catalogue from an older echolab?)")
        return self.metrics[name]

    def title(self, name: str) -> str:
        """`server_cpu_per_gb` -> `Server CPU per GB echoed`."""
        return self.metric(name).title

    def axis_label(self, name: str) -> str:
        """`throughput_mb_s` -> `Throughput (MB/s)`."""
        return self.metric(name).axis_label

    def higher_is_better(self, name: str) -> Optional[bool]:
        """True, False, or None (`better: none`)."""
        return self.metric(name).higher_is_better

    def summary_metrics(self, header: Sequence[str]) -> List[str]:
        """Names of the summary metrics that have columns in `header`
        (summary.csv's first row), in catalogue order."""
        columns = set(header)
        return [m.name for m in self.metrics.values()
                if m.summary and f"{m.name}_median" in columns]


def _metric_from_json(entry: Any, source: str, index: int) -> Metric:
    """One entry, checked; BadInput naming the entry when it is malformed."""
    where = f"{source}: metrics[{index}]"
    if not isinstance(entry, dict):
        raise BadInput(f"{where} is not a JSON object")
    for key in REQUIRED_TEXT:
        if not isinstance(entry.get(key), str):
            raise BadInput(f"{where} has no text field {key!r}")
    if entry["better"] not in BETTER_VALUES:
        raise BadInput(f"{where}: better is {entry['better']!r}, expected "
                       f"one of {', '.join(BETTER_VALUES)}")
    return Metric(name=entry["name"], title=entry["title"],
                  unit=entry["unit"], better=entry["better"],
                  scope=entry["scope"], summary=entry.get("summary") is True,
                  description=str(entry.get("description") or ""))


def parse_catalogue(data: Any, source: str) -> Catalogue:
    """A Catalogue from parsed JSON; BadInput naming `source` when invalid."""
    if not isinstance(data, dict) or not isinstance(data.get("metrics"), list):
        raise BadInput(f"{source}: not a metric catalogue (expected an "
                       "object with a \"metrics\" list)")
    if data.get("schema") != SUPPORTED_SCHEMA:
        raise BadInput(f"{source}: unsupported schema {data.get('schema')} "
                       f"(this plot/ reads schema {SUPPORTED_SCHEMA})")
    metrics = [_metric_from_json(entry, source, index)
               for index, entry in enumerate(data["metrics"])]
    return Catalogue({m.name: m for m in metrics}, source)


def read_catalogue_file(path: str) -> Catalogue:
    """Parse a metrics.json file."""
    return parse_catalogue(load_jsonc_file(path), path)


def echolab_binary() -> str:
    """$ECHOLAB_BINARY if set, else <repo>/build/echolab."""
    return os.environ.get("ECHOLAB_BINARY") or os.path.join(REPO, "build",
                                                            "echolab")


def catalogue_from_binary(binary: str, missing: str) -> Catalogue:
    """`binary help metrics --json`, parsed; BadInput mentioning the missing
    file `missing` and how to write it when the binary cannot tell."""
    command = f"{binary} help metrics --json"
    fix = (f"{summarize_fix(os.path.dirname(missing))} (or set "
           "ECHOLAB_BINARY to an echolab that has `help metrics --json`)")
    if not os.access(binary, os.X_OK):
        raise BadInput(f"{missing} is missing and there is no {binary} to "
                       f"ask instead; {fix}")
    try:
        done = subprocess.run([binary, "help", "metrics", "--json"],
                              capture_output=True, text=True,
                              timeout=BINARY_TIMEOUT_S)
        data = json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, json.JSONDecodeError):
        data = None
    if data is None:
        raise BadInput(f"{missing} is missing and `{command}` printed no "
                       f"metric catalogue; {fix}")
    catalogue = parse_catalogue(data, f"`{command}`")
    catalogue.source = FROM_BINARY
    return catalogue


def load_catalogue(run_dir: str) -> Catalogue:
    """The run's metrics.json, else the binary's catalogue (older runs)."""
    path = os.path.join(run_dir, FILE_NAME)
    if not os.path.exists(path):
        return catalogue_from_binary(echolab_binary(), path)
    catalogue = read_catalogue_file(path)
    catalogue.source = FILE_NAME
    return catalogue
