#!/usr/bin/env python3
"""make soak: every server model under churn and abuse, its descriptors and
memory watched.

Each built-in model runs as `echolab serve` for its share of SOAK_S seconds
while, at the same time:

* `echolab load` runs one after another with the stream, rr and crr
  workloads (connections open and close; rr and crr check every echoed byte,
  so a load run that is not ok lost a connection it did not close on
  purpose);
* abusive clients keep coming: some send and never read (until they give
  up and close), some reset the connection (SO_LINGER 0), some half-close
  and read the echo to the end, some connect and close at once.

The server's open descriptors, threads and resident memory are sampled four
times a second, from a baseline taken after a warm-up load run. Verdicts per
model: the server is alive at the end, every load run was ok and served
(moved bytes or answered requests), every half-closed connection got its
whole echo, the descriptors and the threads return to their baseline, and
the memory floor of the last third of the churn (its least sample) is no
more than noise above the middle third's (10% or 4 MiB): a leak raises the
floor, a workload's peak does not. Abusive clients count only when they reached
the server. A model is ok when every verdict holds; "starved" when only
"served" failed (alive, nothing leaked: its threads were all held by
clients that never read); else failed.

Writes results/soak/<UTC stamp>/ (samples.csv, runs.jsonl with each run's
warning, soak.json, SOAK.md, charts/ when matplotlib is there); exit 0 when
no model failed.

usage: experiments/soak.py [--seconds S] [--models a,b] [--out DIR] [--echolab PATH]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time
from typing import Dict, List, Optional

SAMPLE_S = 0.25
RSS_NOISE_SHARE = 0.10
RSS_NOISE_KB = 4096
FD_SLACK = 2  # descriptors a model may open lazily on first use (eventfds)
WORKLOADS = ("stream", "rr", "crr")
ABUSES = ("never_read", "reset", "half_close", "connect_close")


def rss_growth(churn_rss_kb: List[int], baseline_kb: int) -> dict:
    """The memory check over the churn's samples (KiB, in time order).

    Compares the floor (least sample) of the last third with the middle
    third's. A leak raises the floor; a load run's peak does not, and in a
    short soak a third holds one or two load runs: stream's buffers peak
    above rr's, so the thirds' medians compared one workload's peak with
    another's (offload_pool in a 32 s soak: 9.5 MiB through one stream run,
    13.5 through the next, 8.8 right after it, failed on medians).
    """
    third = max(1, len(churn_rss_kb) // 3)
    middle = min(churn_rss_kb[third:2 * third] or [baseline_kb])
    last = min(churn_rss_kb[2 * third:] or [baseline_kb])
    allowed = max(RSS_NOISE_SHARE * middle, RSS_NOISE_KB)
    return {"middle_floor_kb": middle, "last_floor_kb": last, "allowed_kb": allowed,
            "no_growth": last - middle <= allowed}


def models_of(echolab: str) -> List[str]:
    """Built-in models, from `echolab models` (external needs a command)."""
    text = subprocess.run([echolab, "models"], check=True, capture_output=True, text=True).stdout
    names = [line.strip() for line in text.splitlines() if line and not line[0].isspace() and " " not in line]
    return [name for name in names if name != "external"]


class Server:
    """One `echolab serve` process and its /proc figures; main thread starts
    and stops it, the sampler thread reads it."""

    def __init__(self, echolab: str, model: str) -> None:
        self.model = model
        self.process: Optional[subprocess.Popen] = None
        self.address = ("127.0.0.1", 0)
        self.skipped = ""
        for threads in ("2", "1"):  # 2 where the model takes them
            process = subprocess.Popen([echolab, "serve", "--model", model, "--threads", threads, "--port", "0"],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = process.stdout.readline()
            if line.startswith("listening on "):
                host, port = line.split()[-1].rsplit(":", 1)
                self.process, self.address, self.threads = process, (host, int(port)), int(threads)
                return
            error = process.stderr.read().strip()
            process.wait()
            self.skipped = error.splitlines()[-1] if error else "serve exited without a word"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def sample(self) -> Optional[Dict[str, int]]:
        try:
            pid = self.process.pid
            fds = len(os.listdir("/proc/%d/fd" % pid))
            status = open("/proc/%d/status" % pid).read()
        except (OSError, AttributeError):
            return None
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if "VmRSS" not in fields:
            return None  # exited: a zombie has no memory
        return {"fds": fds, "rss_kb": int(fields["VmRSS"].split()[0]), "threads": int(fields["Threads"])}

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Abusers(threading.Thread):
    """Misbehaving clients, one after another until stopped; counts what
    each did and whether half-closed connections got their echo back."""

    def __init__(self, address) -> None:
        super().__init__(daemon=True)
        self.address = address
        self.done = threading.Event()
        self.counts = {name: 0 for name in ABUSES}
        self.half_close_echo_errors: List[str] = []
        self.half_close_starved = 0  # echoes that did not come within 5 s (the server busy elsewhere)
        self.connect_errors = 0
        self.holding: List[socket.socket] = []  # never-reading clients still open

    def connect(self) -> Optional[socket.socket]:
        try:
            return socket.create_connection(self.address, timeout=5)
        except OSError:
            self.connect_errors += 1
            return None

    def never_read(self) -> bool:
        s = self.connect()
        if not s:
            return False
        s.setblocking(False)
        chunk = b"n" * 65536
        try:
            for _ in range(64):  # up to 4 MiB, until the buffers are full
                s.send(chunk)
        except (BlockingIOError, OSError):
            pass
        self.holding.append(s)
        if len(self.holding) > 3:  # hold a few at a time, then give up on the oldest
            self.holding.pop(0).close()
        return True

    def reset(self) -> bool:
        s = self.connect()
        if not s:
            return False
        try:
            s.sendall(os.urandom(4096))
        except OSError:
            pass
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close()  # RST
        return True

    def half_close(self) -> bool:
        s = self.connect()
        if not s:
            return False
        payload = os.urandom(random.randint(1, 8192))
        received = b""
        try:
            s.sendall(payload)
            s.shutdown(socket.SHUT_WR)
            while len(received) < len(payload):
                data = s.recv(65536)
                if not data:
                    break
                received += data
        except socket.timeout:
            # Slow, not lost: a blocking pool whose threads all sit in writes
            # to clients that never read serves nobody else meanwhile.
            self.half_close_starved += 1
        except OSError as error:
            self.half_close_echo_errors.append("%s after %d of %d bytes" % (error, len(received), len(payload)))
        else:
            if received != payload:
                self.half_close_echo_errors.append("echo of %d bytes came back as %d bytes%s" % (
                    len(payload), len(received), "" if len(received) != len(payload) else ", different"))
        s.close()
        return True

    def connect_close(self) -> bool:
        s = self.connect()
        if s:
            s.close()
        return s is not None

    def run(self) -> None:
        while not self.done.is_set():
            name = random.choice(ABUSES)
            if getattr(self, name)():  # counted only when it reached the server
                self.counts[name] += 1
            self.done.wait(0.05)  # pace: about 20 abusive clients a second
        for s in self.holding:
            s.close()


class Sampler(threading.Thread):
    """Samples the server every SAMPLE_S into rows."""

    def __init__(self, server: Server, start: float, rows: List[dict]) -> None:
        super().__init__(daemon=True)
        self.server, self.start_time, self.rows = server, start, rows
        self.phase = "churn"
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            sample = self.server.sample()
            if sample:
                self.rows.append(dict(t_s=round(time.monotonic() - self.start_time, 3), model=self.server.model,
                                      phase=self.phase, **sample))
            self.done.wait(SAMPLE_S)


def load_run(echolab: str, address, workload: str, seconds: float) -> dict:
    """One `echolab load` run; its status and headline figures."""
    command = [echolab, "load", "--target", "%s:%d" % address, "--workload", workload, "--connections", "8",
               "--warmup", "0.2", "--duration", "%.2f" % seconds, "--json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    try:
        result = json.loads(done.stdout)
    except ValueError:
        return {"workload": workload, "status": "failed", "error": (done.stderr or done.stdout).strip()[-300:]}
    metrics = result.get("metrics", {})
    served = (metrics.get("throughput_mb_s") or 0) > 0 or (metrics.get("requests_per_s") or 0) > 0
    return {"workload": workload, "status": result.get("status"), "error": result.get("error", ""),
            "warning": result.get("warning", ""), "served": served,
            "throughput_mb_s": metrics.get("throughput_mb_s"), "requests_per_s": metrics.get("requests_per_s")}


def soak_model(echolab: str, model: str, seconds: float, rows: List[dict], runs: List[dict]) -> dict:
    server = Server(echolab, model)
    if not server.alive():
        return {"model": model, "status": "skipped", "reason": server.skipped}
    # Warm-up: one short load run first, so what a model opens lazily on
    # first use (eventfds, worker threads) is in the baseline.
    load_run(echolab, server.address, "rr", 0.2)
    start = time.monotonic()
    baseline = server.sample()
    sampler = Sampler(server, start, rows)
    sampler.start()
    abusers = Abusers(server.address)
    abusers.start()
    load_s = max(0.5, min(5.0, seconds / 6))
    index = 0
    while time.monotonic() - start < seconds and server.alive():
        run = load_run(echolab, server.address, WORKLOADS[index % len(WORKLOADS)], load_s)
        run.update(model=model, t_s=round(time.monotonic() - start, 2))
        runs.append(run)
        index += 1
    abusers.done.set()
    abusers.join()
    sampler.phase = "after"
    # Every client is gone: the descriptors must come back to the baseline.
    settle_deadline = time.monotonic() + 10
    after = server.sample()
    def settled(sample) -> bool:
        return sample["fds"] <= baseline["fds"] + FD_SLACK and sample["threads"] <= baseline["threads"]
    while after and not settled(after) and time.monotonic() < settle_deadline:
        time.sleep(SAMPLE_S)  # poll interval while the server closes what the clients left
        after = server.sample()
    sampler.done.set()
    sampler.join()
    alive = server.alive()
    server.stop()

    churn = [r for r in rows if r["model"] == model and r["phase"] == "churn"]
    rss = rss_growth([r["rss_kb"] for r in churn], baseline["rss_kb"])
    model_runs = [r for r in runs if r["model"] == model]
    failed_runs = [r for r in model_runs if r["status"] != "ok"]
    unserved_runs = [r for r in model_runs if r["status"] == "ok" and not r["served"]]
    verdicts = {
        "server_alive": alive,
        "load_runs_ok": not failed_runs,
        # A run that moved nothing proves nothing about leaks or growth.
        "load_runs_served": bool(model_runs) and not unserved_runs,
        "half_close_echoes_whole": not abusers.half_close_echo_errors,
        "fds_back_to_baseline": bool(after) and after["fds"] <= baseline["fds"] + FD_SLACK,
        "threads_back_to_baseline": bool(after) and after["threads"] <= baseline["threads"],
        "rss_no_growth": rss["no_growth"],
    }
    failed_checks = [name for name, ok in verdicts.items() if not ok]
    # Starved: alive, nothing leaked or grew, but some load runs got nothing
    # (a blocking pool whose threads all sit in writes to clients that never
    # read): not ok, and not a robustness failure either.
    status = "ok" if not failed_checks else "starved" if failed_checks == ["load_runs_served"] else "failed"
    return {
        "model": model, "threads": server.threads, "seconds": round(time.monotonic() - start, 1),
        "status": status, "verdicts": verdicts,
        "fds_baseline": baseline["fds"], "fds_peak": max(r["fds"] for r in churn) if churn else None,
        "fds_after": after["fds"] if after else None,
        "rss_kb_baseline": baseline["rss_kb"], "rss_kb_middle_third_floor": rss["middle_floor_kb"],
        "rss_kb_last_third_floor": rss["last_floor_kb"],
        "rss_growth_allowed_kb": round(rss["allowed_kb"]), "load_runs": len(model_runs),
        "load_runs_unserved": len(unserved_runs),
        "threads_baseline": baseline["threads"], "threads_after": after["threads"] if after else None,
        "load_runs_failed": [{"workload": r["workload"], "error": r["error"]} for r in failed_runs],
        "abusive_clients": abusers.counts, "abuser_connect_errors": abusers.connect_errors,
        "half_close_echo_errors": abusers.half_close_echo_errors[:5],
        "half_close_starved": abusers.half_close_starved,
    }


def write_report(out: str, results: List[dict], seconds: float) -> None:
    lines = ["# Soak: every model under churn and abuse", "",
             "%d s in all; per model: load runs of %s one after another, abusive clients (%s) "
             "throughout, server descriptors and memory sampled every %.2f s." % (
                 seconds, ", ".join(WORKLOADS), ", ".join(ABUSES), SAMPLE_S), "",
             "| model | result | load runs (failed, served nothing) | fds before / peak / after "
             "| threads before / after | RSS MiB floor, middle / last third "
             "| abusive clients that connected | half-close echoes starved > 5 s | failed checks |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        if r["status"] == "skipped":
            lines.append("| %s | skipped: %s | | | | | | | |" % (r["model"], r["reason"]))
            continue
        failed = [name for name, ok in r["verdicts"].items() if not ok]
        lines.append("| %s | %s | %d (%d, %d) | %d / %d / %s | %d / %s | %.1f / %.1f | %d | %d | %s |" % (
            r["model"], r["status"], r["load_runs"], len(r["load_runs_failed"]), r["load_runs_unserved"],
            r["fds_baseline"], r["fds_peak"] or 0, r["fds_after"], r["threads_baseline"], r["threads_after"],
            r["rss_kb_middle_third_floor"] / 1024, r["rss_kb_last_third_floor"] / 1024,
            sum(r["abusive_clients"].values()), r["half_close_starved"], ", ".join(failed) or "-"))
    lines += ["", "A model is ok only when every load run served (moved bytes or answered requests): a run "
              "that moved nothing proves nothing about leaks. *starved*: alive, nothing leaked or grew, but "
              "some load runs got nothing because the server's threads were all busy (a blocking pool "
              "writing to clients that never read); not ok, and not a robustness failure. "
              "A starved half-close is slow, not lost: its echo did not come within 5 s for the same reason. "
              "Charts: charts/fds.png, charts/rss.png. Raw: samples.csv, runs.jsonl, soak.json."]
    open(os.path.join(out, "SOAK.md"), "w").write("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--models", default="")
    parser.add_argument("--out", default="results/soak")
    parser.add_argument("--echolab", default="build/echolab")
    options = parser.parse_args()
    models = [m for m in options.models.split(",") if m] or models_of(options.echolab)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    out = os.path.join(options.out, stamp)
    os.makedirs(out)
    rows: List[dict] = []
    runs: List[dict] = []
    results = []
    for model in models:
        result = soak_model(options.echolab, model, options.seconds / len(models), rows, runs)
        results.append(result)
        failed = [k for k, v in result.get("verdicts", {}).items() if not v]
        print("soak: %-22s %s %s" % (model, result["status"], failed or ""), flush=True)
    with open(os.path.join(out, "samples.csv"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["t_s", "model", "phase", "fds", "rss_kb", "threads"])
        writer.writeheader()
        writer.writerows(rows)
    with open(os.path.join(out, "runs.jsonl"), "w") as f:
        for run in runs:
            f.write(json.dumps(run) + "\n")
    json.dump({"seconds": options.seconds, "models": results}, open(os.path.join(out, "soak.json"), "w"), indent=2)
    write_report(out, results, options.seconds)
    try:
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        from plot.soak_charts import draw_soak_charts
        draw_soak_charts(out)
    except ImportError as error:
        print("soak: no charts (%s)" % error)
    print("soak: %s/SOAK.md" % out)
    return 0 if all(r["status"] != "failed" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
