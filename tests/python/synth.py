"""Synthetic run directories for the plot/ tests.

Writes spec.json, meta.json and trials.jsonl the way docs/DESIGN.md describes
them, with deterministic made-up numbers, then has summary.csv and
metrics.json written by `<ECHOLAB_BINARY or build/echolab> summarize DIR`,
exactly as for a real run: summary statistics are computed only by the C++
side, never here. Without the binary, `make_run_dir` raises
unittest.SkipTest naming the missing binary, so the tests that need a run
directory skip.

spec.json must be a spec `echolab summarize` accepts (it validates it): only
models from `echolab models`, no more threads than a model allows
(single_thread: 1), keys from `echolab help keys`.

Points whose load.workload is a request workload (rr, crr, open) get the
request metrics, `series.requests_per_s` / `series.latency_us_p99` (null in
the first interval: no request completed) and `histograms` with their
latency (and for crr connect) counts in a few buckets of the C++ layout, so
`echolab summarize` writes the `*_merged` columns from them.
"""
from __future__ import annotations

import glob
import hashlib
import itertools
import json
import os
import random
import statistics
import subprocess
import unittest
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from plot.catalogue import echolab_binary

MODEL_SPEED = {"single_thread": 750.0, "shared_listener": 400.0,
               "acceptor_workers": 900.0, "reuseport": 1000.0,
               "io_uring": 1100.0}

DEFAULT_CONFIG = {
    "server": {"model": "single_thread", "threads": 1, "trigger": "edge",
               "read": "drain", "write_interest": "on_demand",
               "read_buffer": 65536, "cpus": "pu:1", "bind": "thread"},
    "load": {"workload": "stream", "connections": 4, "threads": 1,
             "message_bytes": 4096, "cpus": "pu:0", "bind": "thread"},
    "timing": {"warmup_s": 1, "duration_s": 2, "interval_ms": 100},
}
# Request workloads: made-up capacity (requests/s) per model, and the shape
# of a trial's latency distribution as (multiple of its base latency, share
# of its requests), which puts every request in one of five buckets.
REQUEST_WORKLOADS = ("rr", "crr", "open")
MODEL_REQUESTS = {"single_thread": 30000.0, "shared_listener": 20000.0,
                  "acceptor_workers": 40000.0, "reuseport": 60000.0,
                  "io_uring": 70000.0}
LATENCY_SHAPE = ((1.0, 0.5), (1.4, 0.4), (2.5, 0.09), (8.0, 0.009),
                 (20.0, 0.001))
# Which LATENCY_SHAPE value each percentile falls on (cumulative shares
# 0.5, 0.9, 0.99, 0.999, 1).
SHAPE_INDEX = {"p50": 0, "p90": 1, "p99": 2, "p999": 3, "p9999": 4}
# Histogram layout (harness/load/latency_histogram.h): one bucket per ns
# below 2 * 128, then 128 buckets per power of two.
SUB_BITS = 7
# Spec-case annotations (not config keys); trials copy them at top level.
ANNOTATIONS = ("hypothesis", "baseline", "mechanism", "expect", "predicts")
META = {"host": "testbox", "cpu_model": "Test CPU 9000",
        "kernel": "6.1.0-test", "topology": "1 package, 2 cores, 2 PUs",
        "topology_counts": {"packages": 1, "numa_nodes": 1, "l3": 1,
                            "l2": 2, "cores": 2, "pus": 2},
        "usable_pus": [0, 1],
        "compiler": "g++ 12.2", "build_type": "Release",
        "git_commit": "0123abcd", "git_dirty": True,
        "echolab_version": "0.1.0"}


def resolve(varied: Dict[str, Any],
            base: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """`base` (default DEFAULT_CONFIG) with the dotted `varied` keys
    applied, as a new config."""
    config = json.loads(json.dumps(base or DEFAULT_CONFIG))
    for key, value in varied.items():
        section, name = key.split(".", 1)
        config[section][name] = value
    return config


def config_id(config: Dict[str, Any]) -> str:
    """A stable 16-hex-digit id of a resolved config."""
    text = json.dumps(config, sort_keys=True).encode()
    return hashlib.sha1(text).hexdigest()[:16]


def default_throughput(config: Dict[str, Any], repetition: int,
                       rng: random.Random) -> float:
    """Made-up MB/s: model speed, mild thread scaling, +-3 % noise."""
    server = config["server"]
    base = MODEL_SPEED.get(server["model"], 500.0)
    scale = 1.0 + 0.1 * (server["threads"] - 1)
    return base * scale * (1.0 + rng.uniform(-0.03, 0.03))


def make_metrics(config: Dict[str, Any], throughput: float,
                 rng: random.Random,
                 active: Optional[int] = None) -> Dict[str, Any]:
    """Every metric of the contract, consistent with `throughput`. `active`
    server threads move bytes (default all); the others stay idle (0 bytes,
    0 connections), as a shared listener's losers do."""
    threads = config["server"]["threads"]
    active = threads if active is None else max(1, min(active, threads))
    connections = config["load"]["connections"]
    duration = config["timing"]["duration_s"]
    total_bytes = throughput * 1e6 * duration
    shares = [1.0 + 0.3 * i if i < active else 0.0 for i in range(threads)]
    per_thread = []
    for index, share in enumerate(shares):
        per_thread.append({
            "role": "server", "index": index, "cpus_observed": [1],
            "connections": 0 if not share else connections // active + (
                1 if index < connections % active else 0),
            "bytes": int(total_bytes * share / sum(shares)),
            "wakeups": 100 + index, "cpu_user_s": 0.2, "cpu_sys_s": 0.8,
            "ctx_voluntary": 5, "ctx_involuntary": 2, "migrations": 0})
    per_thread.append({"role": "client", "index": 0, "cpus_observed": [0],
                       "connections": connections, "bytes": int(total_bytes)})
    byte_list = [t["bytes"] for t in per_thread if t["role"] == "server"]
    jain = sum(byte_list) ** 2 / (len(byte_list) * sum(b * b for b in byte_list))
    server_cpu = duration * min(threads, 2) * rng.uniform(0.8, 0.95)
    metrics = {
        "throughput_mb_s": throughput,
        "msgs_per_s": throughput * 1e6 / config["load"]["message_bytes"],
        "server_cpu_s": server_cpu, "client_cpu_s": duration * 0.9,
        "server_cpu_per_gb": server_cpu / (total_bytes / 1e9),
        "ctx_switches_voluntary": rng.randint(10, 100) * threads,
        "ctx_switches_involuntary": rng.randint(0, 20),
        "migrations": rng.randint(0, 3), "spurious_wakeups": rng.randint(0, 9),
        "fairness_jain": jain, "threads": per_thread,
        # Later additions to the catalogue (mechanism and noise figures).
        "server_threads_active": active, "steal_s": rng.uniform(0.0, 0.02),
        "client_ctx_switches_voluntary": rng.randint(5, 50),
        "client_ctx_switches_involuntary": rng.randint(0, 10),
        "client_migrations": rng.randint(0, 2),
        "idle_event_share": rng.uniform(0.0, 0.05) if active == threads
        else rng.uniform(0.3, 0.6),
        "spurious_wakeups_since_start": rng.randint(0, 20),
        "busy_threads": active + 1, "placement_pus": 2,
        "interval_cv_1s": rng.uniform(0.01, 0.1),
        "connection_fairness_jain": rng.uniform(0.9, 1.0),
        "per_connection": [
            {"index": i, "client_thread": i % config["load"]["threads"],
             "bytes": int(total_bytes / connections)}
            for i in range(connections)],
    }
    return metrics


def bucket_index(ns: int) -> int:
    """The C++ histogram's bucket of a value in ns: the value itself below
    256; above, for e = floor(log2 ns) and shift = e - 7,
    256 + (shift - 1) * 128 + ((ns >> shift) - 128)."""
    sub_buckets = 1 << SUB_BITS
    if ns < 2 * sub_buckets:
        return ns
    shift = ns.bit_length() - 1 - SUB_BITS
    return 2 * sub_buckets + (shift - 1) * sub_buckets + \
        ((ns >> shift) - sub_buckets)


def histogram(base_us: float, count: int) -> Dict[str, Any]:
    """A histogram of `count` requests shaped like LATENCY_SHAPE around
    `base_us`, in the trial record's form (the rounding rest in the first
    bucket)."""
    values = [int(base_us * factor * 1000) for factor, _ in LATENCY_SHAPE]
    counts = [int(count * share) for _, share in LATENCY_SHAPE]
    counts[0] += count - sum(counts)
    buckets: Dict[int, int] = {}
    for value, times in zip(values, counts):
        if times:
            index = bucket_index(value)
            buckets[index] = buckets.get(index, 0) + times
    return {"unit": "ns", "sub_bits": SUB_BITS, "count": count,
            "sum_ns": sum(v * c for v, c in zip(values, counts)),
            "buckets": [n for item in sorted(buckets.items()) for n in item]}


def percentiles(prefix: str, base_us: float, names: Sequence[str]
                ) -> Dict[str, float]:
    """The trial's own `<prefix>_<name>` metrics (name p50 ... p9999): the
    LATENCY_SHAPE value that percentile falls on."""
    return {f"{prefix}_{name}": base_us * LATENCY_SHAPE[SHAPE_INDEX[name]][0]
            for name in names}


def request_load(config: Dict[str, Any], rng: random.Random
                 ) -> Tuple[float, float]:
    """(requests/s, base latency in us) of a made-up request trial: the
    model's capacity (+-3 %); rr: depth 4 saturates it, latency by Little's
    law; crr: a quarter of it; open: the offered rate up to the capacity,
    latency growing as the rate nears it and long past it."""
    load = config["load"]
    capacity = MODEL_REQUESTS.get(config["server"]["model"], 25000.0) * (
        1.0 + 0.1 * (config["server"]["threads"] - 1)) * (
        1.0 + rng.uniform(-0.03, 0.03))
    if load["workload"] == "open":
        rate = float(load.get("rate", 10000.0))
        load_share = rate / capacity
        base = 20.0 / max(0.05, 1.0 - load_share) if load_share < 1.0 \
            else 5000.0 * load_share
        return min(rate, capacity), base
    if load["workload"] == "crr":
        return capacity / 4.0, 60.0 + rng.uniform(0.0, 5.0)
    requests = capacity * min(1.0, 0.25 * load.get("depth", 1))
    return requests, 1e6 * load["connections"] * load.get("depth", 1) / \
        requests


def request_metrics(config: Dict[str, Any], requests: float, base_us: float,
                    rng: random.Random) -> Tuple[Dict[str, Any],
                                                 Dict[str, Any]]:
    """(metrics, histograms) of a request trial doing `requests` per second
    with latencies around `base_us`."""
    load = config["load"]
    count = int(requests * config["timing"]["duration_s"])
    latency = histogram(base_us, count)
    per_connection = (rng.uniform(10.0, 12.0) + 20000.0 / load["connections"]) * 1024
    metrics: Dict[str, Any] = {
        "requests_per_s": requests,
        **percentiles("latency_us", base_us, list(SHAPE_INDEX)),
        "latency_us_max": base_us * LATENCY_SHAPE[-1][0] * 1.01,
        "latency_us_mean": latency["sum_ns"] / count / 1000.0,
        "process_rss_per_conn_bytes": per_connection,
        "process_rss_bytes": 5000000 + int(per_connection * load["connections"]),
        "process_rss_hwm_bytes": 5100000 + int(per_connection * load["connections"]),
        "server_rss_bytes": None, "server_rss_per_conn_bytes": None, "client_rss_bytes": None,
        "connect_s": 0.0004 * load["connections"]}
    histograms = {"latency_ns": latency}
    if load["workload"] == "open":
        rate = float(load.get("rate", 10000.0))
        metrics.update(offered_requests_per_s=rate,
                       achieved_rate_share=requests / rate,
                       requests_behind_schedule=int(
                           (rate - requests) * config["timing"]["duration_s"]))
    if load["workload"] == "crr":
        connect_us = base_us / 3.0
        metrics.update(connects_per_s=requests,
                       **percentiles("connect_us", connect_us, ("p50", "p99")))
        histograms["connect_ns"] = histogram(connect_us, count)
    return metrics, histograms


def make_series(throughput: float, config: Dict[str, Any],
                rng: random.Random,
                metrics: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Per-interval throughput samples around `throughput`; with a request
    trial's `metrics`, requests/s and p99 around theirs too, the first
    interval without a completed request (0 requests/s, p99 null)."""
    interval = config["timing"]["interval_ms"]
    count = int(config["timing"]["duration_s"] * 1000 / interval)
    factors = [1 + rng.uniform(-0.1, 0.1) for _ in range(count)]
    series: Dict[str, Any] = {
        "interval_ms": interval,
        "t_s": [round((i + 1) * interval / 1000, 3) for i in range(count)],
        "throughput_mb_s": [throughput * f for f in factors]}
    if metrics and "requests_per_s" in metrics:
        series["requests_per_s"] = [0.0] + [metrics["requests_per_s"] * f
                                            for f in factors[1:]]
        series["latency_us_p99"] = [None] + [metrics["latency_us_p99"] / f
                                             for f in factors[1:]]
    return series


def expand_points(matrix: Dict[str, List[Any]],
                  cases: Sequence[Dict[str, Any]],
                  base: Optional[Dict[str, Any]] = None
                  ) -> List[Dict[str, Any]]:
    """Matrix product plus cases -> [{"label", "varied"}] (varied: all keys,
    unset ones from `base`, default DEFAULT_CONFIG)."""
    keys = list(matrix) + [k for case in cases for k in case
                           if k != "label" and k not in ANNOTATIONS
                           and k not in matrix]
    keys = list(dict.fromkeys(keys))
    points = []
    for values in (itertools.product(*matrix.values()) if matrix else ()):
        points.append({"label": "", "varied": dict(zip(matrix, values))})
    for case in cases:
        points.append({"label": case.get("label", ""),
                       "varied": {k: v for k, v in case.items()
                                  if k != "label" and k not in ANNOTATIONS},
                       "annotations": {k: case[k] for k in ANNOTATIONS
                                       if k in case}})
    for point in points:  # every varied key, with defaults filled in
        config = resolve(point["varied"], base)  # (None: a key it lacks)
        point["varied"] = {k: config[k.split(".")[0]].get(k.split(".", 1)[1])
                           for k in keys}
    return points


def make_run_dir(root: str, name: str = "synthetic",
                 matrix: Optional[Dict[str, List[Any]]] = None,
                 cases: Sequence[Dict[str, Any]] = (), repetitions: int = 3,
                 throughput: Callable[..., float] = default_throughput,
                 defaults: Optional[Dict[str, Any]] = None,
                 series: bool = True,
                 fail: Callable[[Dict[str, Any], int], Optional[str]] =
                 lambda varied, rep: None,
                 active_threads: Callable[[Dict[str, Any], int],
                                          Optional[int]] =
                 lambda varied, rep: None,
                 flags: Callable[[Dict[str, Any], int], Dict[str, Any]] =
                 lambda varied, rep: {},
                 write_summary: bool = True, seed: int = 1,
                 stamp: str = "20240101T000000Z") -> str:
    """Write results/<name>/<stamp>/ under `root`; return its path.

    `fail(varied, repetition)` returns a status ("failed", "timeout",
    "skipped") to make that trial fail, or None. `active_threads(varied,
    repetition)` is how many server threads move bytes (None: all).
    `flags(varied, repetition)` are extra fields of an ok trial's record
    (e.g. {"client_bound": True}). Cases may carry the annotations
    hypothesis/baseline/mechanism/expect/predicts; their trials copy them
    and, when ok with an `expect`, get expect_met and expect_failures as
    the runner writes them. `defaults` are dotted keys
    set for every point (e.g. {"load.workload": "open"}); request workloads
    get their requests/s from `request_load`, not from `throughput`. With
    `write_summary`, summary.csv and metrics.json come from `echolab
    summarize` (SkipTest when there is no binary).
    """
    if write_summary:
        require_binary()
    matrix = matrix if matrix is not None else {
        "server.model": ["single_thread", "shared_listener"]}
    rng = random.Random(seed)
    base = resolve(defaults or {})
    run_dir = os.path.join(root, name, stamp)
    os.makedirs(run_dir)
    spec = {"name": name, "description": f"Synthetic test run {name}?",
            "defaults": base,
            "matrix": matrix, "cases": list(cases), "exclude": []}
    with open(os.path.join(run_dir, "spec.json"), "w") as handle:
        handle.write("// made by tests/python/synth.py\n"
                     + json.dumps(spec, indent=2))
    with open(os.path.join(run_dir, "meta.json"), "w") as handle:
        json.dump(META, handle)
    records = []
    points = expand_points(matrix, cases, base)
    for repetition in range(1, repetitions + 1):
        for point in points:
            config = resolve(point["varied"], base)
            records.append(_trial_record(point, config, repetition, rng,
                                         throughput, series, fail,
                                         active_threads, flags))
    write_trials(run_dir, records)
    if write_summary:
        summarize_run_dir(run_dir)
    os.symlink(stamp, os.path.join(root, name, "latest"))
    return run_dir


def check_expect(expect: Dict[str, Any], metrics: Dict[str, Any]
                 ) -> List[str]:
    """The runner's expectation check: failure texts (empty: met)."""
    failures = []
    for metric, want in expect.items():
        got = metrics.get(metric)
        if isinstance(want, dict):
            low, high = want.get("min"), want.get("max")
            if got is None or (low is not None and got < low) or \
                    (high is not None and got > high):
                failures.append(f"{metric}: expected {low} to {high}, "
                                f"got {got}")
        elif got != want:
            failures.append(f"{metric}: expected {want}, got {got}")
    return failures


def _trial_record(point, config, repetition, rng, throughput, series, fail,
                  active_threads, flags) -> Dict[str, Any]:
    status = fail(point["varied"], repetition)
    record = {
        "schema": 1, "config_id": config_id(config), "repetition": repetition,
        "label": point["label"], "varied": point["varied"], "config": config,
        "status": status or "ok",
        "error": f"synthetic {status}: server exited" if status else "",
        "placement": {"threads": [], "warnings": []},
        "metrics": {}, "unknown_future_key": {"ignored": True}}
    notes = point.get("annotations", {})
    record.update(notes)
    if status:
        return record
    requests = config["load"]["workload"] in REQUEST_WORKLOADS
    if requests:
        rate, base_us = request_load(config, rng)
        value = rate * config["load"]["message_bytes"] / 1e6
    else:
        value = throughput(config, repetition, rng)
    record["metrics"] = make_metrics(
        config, value, rng, active_threads(point["varied"], repetition))
    if requests:
        extra, record["histograms"] = request_metrics(config, rate, base_us,
                                                      rng)
        record["metrics"].update(extra)
    if "expect" in notes:
        failures = check_expect(notes["expect"], record["metrics"])
        record["expect_met"] = not failures
        record["expect_failures"] = failures
    record.update(flags(point["varied"], repetition))
    if series:
        record["series"] = make_series(value, config, rng, record["metrics"])
        samples = record["series"]["throughput_mb_s"]
        record["metrics"]["interval_cv"] = (statistics.pstdev(samples)
                                            / statistics.fmean(samples))
    else:
        record["metrics"]["interval_cv"] = 0.0
    return record


def write_trials(run_dir: str, records: Sequence[Dict[str, Any]],
                 tail: str = "") -> str:
    """Write trials.jsonl (one record per line) plus an optional raw tail."""
    path = os.path.join(run_dir, "trials.jsonl")
    with open(path, "w") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")
        handle.write(tail)
    return path


def binary_missing() -> Optional[str]:
    """Why there is no echolab binary to run, or None when there is one."""
    binary = echolab_binary()
    if os.access(binary, os.X_OK):
        return None
    how = ("from ECHOLAB_BINARY" if os.environ.get("ECHOLAB_BINARY")
           else "the default; set ECHOLAB_BINARY to use another")
    return (f"no echolab binary at {binary} ({how}); build it (make build) "
            "to run the tests that need `echolab summarize`")


def require_binary() -> None:
    """unittest.SkipTest when there is no echolab binary."""
    reason = binary_missing()
    if reason:
        raise unittest.SkipTest(reason)


def run_spec_with_plot(tmp: str, name: str, spec: str, timeout: int = 120):
    """Writes `spec` to TMP/NAME.json and runs `echolab run SPEC --out
    TMP/out --plot` from the repository root, as a user would; returns the
    finished process and the run directory it made. SkipTest without the
    binary."""
    require_binary()
    path = os.path.join(tmp, name + ".json")
    with open(path, "w") as handle:
        handle.write(spec)
    done = subprocess.run(
        [echolab_binary(), "run", path, "--out", os.path.join(tmp, "out"), "--plot"],
        capture_output=True, text=True, timeout=timeout,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    (run_dir,) = [d for d in glob.glob(os.path.join(tmp, "out", "*")) if not d.endswith("latest")]
    return done, run_dir


def summarize_run_dir(run_dir: str) -> None:
    """`<ECHOLAB_BINARY or build/echolab> summarize DIR`: (re)write
    summary.csv and metrics.json. SkipTest without the binary; RuntimeError
    with its stderr when it fails (e.g. a spec it rejects)."""
    require_binary()
    done = _summarize(run_dir)
    if done.returncode != 0:
        raise RuntimeError(f"echolab summarize {run_dir} failed "
                           f"({done.returncode}): {done.stderr.strip()}")


def _summarize(run_dir: str) -> subprocess.CompletedProcess:
    return subprocess.run([echolab_binary(), "summarize", run_dir],
                          capture_output=True, text=True, timeout=60)
