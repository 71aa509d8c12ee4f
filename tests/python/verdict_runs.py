"""Synthetic runs for the verdict tests (tests/python/test_verdicts*.py).

Each case's throughput per repetition is scripted (by the point's model and
read buffer, the keys that tell the cases apart), so every verdict, ratio
and p-value is known before plot/verdicts.py computes it. Also an
independent exact Mann-Whitney p (every split of the pooled values
enumerated) to check scipy's against.
"""
from __future__ import annotations

import itertools
import json
import os
from typing import Any, Dict, List, Sequence

from plot.jsonc import load_jsonc_file
from tests.python.synth import make_run_dir

BASE = [100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0]
SLOWER = [60.0, 61.0, 62.0, 63.0, 64.0, 65.0, 66.0]
OVERLAP = [100.5, 101.5, 102.5, 103.5, 104.5, 105.5, 106.5]
# Repetitions 1-4 are invalid (expectation missed, client-bound,
# overloaded) and fast; the valid 5-7 are slow: all ok trials would put the
# case above its baseline, the valid ones put it below.
FLIPPED = [300.0, 300.0, 300.0, 300.0, 60.0, 61.0, 62.0]
FASTER = [150.0, 151.0, 152.0, 153.0, 154.0, 155.0, 156.0]

SINGLE = "single_thread"
POOL = "shared_listener"
PORT = "reuseport"
EXPECT_TWO = {"server_threads_active": 2}


def case(label: str, model: str, read_buffer: int, **notes: Any
         ) -> Dict[str, Any]:
    """A spec case; two threads for the shared listener."""
    keys: Dict[str, Any] = {"label": label, "server.model": model,
                            "server.read_buffer": read_buffer}
    if model == POOL:
        keys["server.threads"] = 2
    return {**keys, **notes}


def hypothesis(label: str, model: str, read_buffer: int, predicts: Any,
               baseline: str = "base", **notes: Any) -> Dict[str, Any]:
    """A hypothesis case against `baseline` predicting `predicts`."""
    extra = {"predicts": predicts} if predicts else {}
    return case(label, model, read_buffer, hypothesis=f"{label} hypothesis",
                baseline=baseline, **extra, **notes)


MAIN_CASES = [
    case("base", SINGLE, 4096),
    hypothesis("slower", SINGLE, 8192, {"throughput_mb_s": "lower",
                                        "server_cpu_per_gb": "higher"}),
    hypothesis("slower, predicted faster", SINGLE, 16384,
               {"throughput_mb_s": "higher"}),
    hypothesis("same", SINGLE, 32768, {"throughput_mb_s": "higher"}),
    hypothesis("never valid", SINGLE, 65536, {"throughput_mb_s": "lower"},
               expect=EXPECT_TWO),
    hypothesis("flipped by invalid trials", POOL, 4096,
               {"throughput_mb_s": "lower"}, expect=EXPECT_TWO),
    case("flaky base", POOL, 8192, expect=EXPECT_TWO),
    hypothesis("against a flaky base", PORT, 4096,
               {"throughput_mb_s": "higher"}, baseline="flaky base"),
    hypothesis("no prediction", PORT, 8192, None),
]
MAIN_VALUES = {(SINGLE, 4096): BASE, (SINGLE, 8192): SLOWER,
               (SINGLE, 16384): SLOWER, (SINGLE, 32768): OVERLAP,
               (SINGLE, 65536): SLOWER, (POOL, 4096): FLIPPED,
               (POOL, 8192): BASE, (PORT, 4096): FASTER,
               (PORT, 8192): SLOWER}


def scripted(values: Dict[Any, Sequence[float]]):
    """A synth `throughput`: values[(model, read_buffer)][repetition - 1]."""
    def throughput(config: Dict[str, Any], repetition: int, rng: Any
                   ) -> float:
        server = config["server"]
        return values[(server["model"], server["read_buffer"])][
            repetition - 1]
    return throughput


def main_active_threads(varied: Dict[str, Any], repetition: int):
    """Pool cases: one busy thread (expectation missed) in repetitions 1-2
    of `flipped by invalid trials`, 1-5 of `flaky base`."""
    if varied["server.model"] != POOL:
        return None
    last_idle = 2 if varied["server.read_buffer"] == 4096 else 5
    return 1 if repetition <= last_idle else 2


def main_flags(varied: Dict[str, Any], repetition: int) -> Dict[str, Any]:
    """`flipped by invalid trials`: repetition 3 client-bound, 4
    overloaded, 5 both flags present and false."""
    if (varied["server.model"], varied["server.read_buffer"]) != (POOL, 4096):
        return {}
    return {3: {"client_bound": True}, 4: {"overloaded": True},
            5: {"client_bound": False, "overloaded": False}
            }.get(repetition, {})


def main_run(root: str) -> str:
    """Every rule in one run of 7 repetitions (see MAIN_CASES)."""
    return make_run_dir(root, "verdicts", matrix={}, cases=MAIN_CASES,
                        repetitions=7, series=False,
                        throughput=scripted(MAIN_VALUES),
                        active_threads=main_active_threads, flags=main_flags)


def scripted_run(root: str, name: str, groups: Sequence[Sequence[Any]],
                 repetitions: int) -> str:
    """A run of single-thread cases, one per (label, values, predicts)
    group, the first the baseline `base` of all others (read buffers 4096,
    8192, ... tell them apart)."""
    cases, values = [], {}
    for index, (label, numbers, predicts) in enumerate(groups):
        read_buffer = 4096 << index
        values[(SINGLE, read_buffer)] = numbers
        cases.append(hypothesis(label, SINGLE, read_buffer, predicts)
                     if index else case(label, SINGLE, read_buffer))
    return make_run_dir(root, name, matrix={}, cases=cases,
                        repetitions=repetitions, series=False,
                        throughput=scripted(values))


def exact_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided exact Mann-Whitney p of untied samples, by enumerating
    every split of the pooled values: 2 * the smaller tail, at most 1."""
    def u(xs: Sequence[float], ys: Sequence[float]) -> int:
        return sum(1 for x in xs for y in ys if x > y)
    pooled = list(a) + list(b)
    observed = u(a, b)
    counts: List[int] = []
    for chosen in itertools.combinations(range(len(pooled)), len(a)):
        rest = [pooled[i] for i in range(len(pooled)) if i not in chosen]
        counts.append(u([pooled[i] for i in chosen], rest))
    low = sum(1 for c in counts if c <= observed) / len(counts)
    high = sum(1 for c in counts if c >= observed) / len(counts)
    return min(1.0, 2 * min(low, high))


def rewrite_annotation(run_dir: str, label: str, name: str, value: Any,
                       where: Sequence[str] = ("trials", "spec")) -> None:
    """Set (value None: remove) annotation `name` of case `label` in
    trials.jsonl and/or spec.json."""
    def apply(record: Dict[str, Any]) -> None:
        if record.get("label") != label:
            return
        if value is None:
            record.pop(name, None)
        else:
            record[name] = value
    if "trials" in where:
        path = os.path.join(run_dir, "trials.jsonl")
        with open(path) as handle:
            records = [json.loads(line) for line in handle if line.strip()]
        for record in records:
            apply(record)
        with open(path, "w") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in records)
    if "spec" in where:
        path = os.path.join(run_dir, "spec.json")
        spec = load_jsonc_file(path)
        for record in spec["cases"]:
            apply(record)
        with open(path, "w") as handle:
            json.dump(spec, handle)
