#!/usr/bin/env bash
# Sweeps across "hosts" that this test builds itself: two network namespaces
# (A and B), each with its own sshd (Debian openssh-server) and a host key
# and an authorized key generated here, joined to each other and to this
# namespace by veth pairs. The server runs "remotely" in A on A's end of the
# A-B link, the client in B; the sweep runs here and reaches both over ssh.
#
# Checks: a small sweep (stream and rr) writes one trials.jsonl whose
# trials ran on both hosts, with per-host placement and meta; an unreachable
# host and a host whose echolab has another results schema are refused
# before anything is written; an ssh connection dropped mid-trial fails that
# trial with ssh's words and the sweep goes on; killing the sweep with
# SIGKILL mid-trial leaves no echolab process in either namespace; a
# ControlPersist line in the user's ssh config leaves no master behind.
# Two parts, each with hosts of its own: `window` (the sweep whose server
# and client windows are compared, and plan: ctest runs it alone) and
# `faults` (the rest, which may run beside other tests).
#
# usage: namespaces_test.sh ECHOLAB_BINARY window|faults     (exit 77: skipped, and why)
set -euo pipefail
BIN=$(readlink -f "${1:?usage: $0 ECHOLAB_BINARY window|faults}")
PART=${2:?usage: $0 ECHOLAB_BINARY window|faults}
case "$PART" in window | faults) ;; *) echo "namespaces_test.sh: unknown part '$PART' (window or faults)" >&2; exit 2 ;; esac
SKIP=77
skip() {
  echo "SKIP: $*"
  exit $SKIP
}
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
[ -n "$PY" ] || skip "no python3 to read the results"
. "$(dirname "$0")/namespace_hosts.sh"
status=0
make_namespace_hosts || status=$?
[ $status = 77 ] && skip "$skip_reason"
[ $status = 0 ] || fail "could not build the namespace hosts"
tmp="$hosts_tmp"

server="ssh://root@$net.1.2"
client="ssh://root@$net.2.2"
write_spec() { # NAME DURATION_S WORKLOADS_JSON
  cat >"$tmp/$1.json" <<EOF
{
  "name": "$1",
  "hosts": {"server": "$server", "clients": ["$client"], "ssh_options": ["-F", "$ssh_config"]},
  "defaults": {
    "server": {"model": "single_thread", "address": "$net.3.1"},
    "load": {"connections": 2, "message_bytes": 4096},
    "timing": {"warmup_s": 0.3, "duration_s": $2, "interval_ms": 100}
  },
  "matrix": {"load.workload": $3}
}
EOF
}
# A trial's part running in a namespace (not the short-lived `echolab host`
# of the sweep's start): runs_in NS serve|load
runs_in() {
  for pid in $(echolabs_in "$1"); do tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q " $2 --control" && return 0; done
  return 1
}
serving_in_a() { runs_in "$nsa" serve; }
running_in_both() { runs_in "$nsa" serve && runs_in "$nsb" load; }
wait_for() { # SECONDS COMMAND...: until COMMAND succeeds, or fail
  local limit=$1
  shift
  for _ in $(seq $((limit * 20))); do "$@" && return 0; sleep 0.05; done # poll interval
  return 1
}

if [ "$PART" = window ]; then
echo "== a sweep across the namespaces"
write_spec across 1 '["stream", "rr"]'
"$BIN" run "$tmp/across.json" --out "$tmp/across" >"$tmp/across.log" 2>&1 || fail "sweep failed: $(cat "$tmp/across.log")"
run_dir=$(ls -d "$tmp"/across/*/ | head -1)
"$PY" - "$run_dir" "$net" <<'EOF' || fail "results of the sweep across namespaces are wrong"
import json, sys
run, net = sys.argv[1], sys.argv[2]
trials = [json.loads(line) for line in open(run + "/trials.jsonl")]
assert len(trials) == 2, trials
server_host, client_host = "root@%s.1.2" % net, "root@%s.2.2" % net
for t in trials:
    assert t["status"] == "ok", (t["status"], t["error"])
    assert t["server_address"].startswith(net + ".3.1:"), t["server_address"]
    assert t["hosts"] == {"server": "ssh://" + server_host, "clients": ["ssh://" + client_host]}, t["hosts"]
    m = t["metrics"]
    assert m["throughput_mb_s"] > 0 and m["bytes_echoed"] > 0, m
    assert m["server_cpu_s"] > 0 and m["client_cpu_s"] > 0, m
    rows = {(r["role"], r.get("host")) for r in m["threads"]}
    assert ("server", server_host) in rows and ("client", client_host) in rows, rows
    placed = {(r["role"], r["host"]) for r in t["placement"]["threads"]}
    assert ("server", server_host) in placed and ("client", client_host) in placed, placed
    server_bytes = sum(r["bytes"] for r in m["threads"] if r["role"] == "server")
    assert abs(server_bytes - m["bytes_echoed"]) <= 0.2 * m["bytes_echoed"] + 65536, (server_bytes, m["bytes_echoed"])
rr = [t for t in trials if t["config"]["load"]["workload"] == "rr"][0]
assert rr["metrics"]["requests_per_s"] > 0 and rr["histograms"]["latency_ns"]["count"] > 0, rr["metrics"]
meta = json.load(open(run + "/meta.json"))
roles = [(h["role"], h["url"]) for h in meta["hosts"]]
assert roles == [("server", "ssh://" + server_host), ("client", "ssh://" + client_host)], roles
for h in meta["hosts"]:
    for key in ("host", "cpu_model", "kernel", "topology", "echolab_version", "git_commit", "schema"):
        assert key in h, (key, h)
    open(run + "/" + h["topology_file"]).read()
print("ok: 2 trials across namespaces, per-host threads, placement and meta")
EOF
[ -z "$(echolabs_in "$nsa")$(echolabs_in "$nsb")" ] || fail "echolab processes left in the namespaces after the sweep"

echo "== plan shows each host's placement"
"$BIN" plan "$tmp/across.json" >"$tmp/plan.log" 2>&1 || fail "plan failed: $(cat "$tmp/plan.log")"
grep -q "on root@$net.1.2: server#0 -> " "$tmp/plan.log" && grep -q "; on root@$net.2.2: client#0 -> " "$tmp/plan.log" ||
  fail "plan does not show the placement per host: $(cat "$tmp/plan.log")"

fi

if [ "$PART" = faults ]; then
echo "== a ControlPersist line in the user's ssh config leaves no ssh master behind"
persist_config="$tmp/ssh_config_persist"
{ printf 'Host *\n  ControlPersist yes\n'; cat "$ssh_config"; } >"$persist_config"
write_spec persist 0.3 '["stream"]'
sed -i "s|\"-F\", \"$ssh_config\"|\"-F\", \"$persist_config\"|" "$tmp/persist.json"
grep -q "$persist_config" "$tmp/persist.json" || fail "the persist spec does not use its ssh config"
"$BIN" run "$tmp/persist.json" --out "$tmp/persist" >"$tmp/persist.log" 2>&1 || fail "sweep failed: $(cat "$tmp/persist.log")"
no_master_left() { ! pgrep -f -- "-F $persist_config" >/dev/null; }
wait_for 5 no_master_left || fail "ssh masters outlived the sweep: $(pgrep -a -f -- "-F $persist_config")"
echo "ok: no ssh master left"

echo "== an unreachable host is refused before anything is written"
write_spec unreachable 1 '["stream"]'
set +e
"$BIN" run "$tmp/unreachable.json" --out "$tmp/unreachable" --hosts.server "ssh://root@$net.1.9" >"$tmp/unreachable.log" 2>&1
code=$?
set -e
[ $code = 2 ] || fail "unreachable host: exit $code, expected 2: $(cat "$tmp/unreachable.log")"
grep -q "hosts.server ssh://root@$net.1.9" "$tmp/unreachable.log" || fail "the error does not name the host: $(cat "$tmp/unreachable.log")"
[ ! -e "$tmp/unreachable" ] || fail "an unreachable host left a results directory"

echo "== a remote echolab with another results schema is refused"
printf '#!/bin/sh\necho %s\n' "'{\"schema\": 99, \"echolab_version\": \"9.9.9\"}'" >"$tmp/other-echolab"
chmod +x "$tmp/other-echolab"
set +e
"$BIN" run "$tmp/unreachable.json" --out "$tmp/schema" --hosts.echolab "$tmp/other-echolab" >"$tmp/schema.log" 2>&1
code=$?
set -e
[ $code = 2 ] || fail "other schema: exit $code, expected 2: $(cat "$tmp/schema.log")"
grep -q "schema 99" "$tmp/schema.log" && grep -q "9.9.9" "$tmp/schema.log" ||
  fail "the error does not give both versions: $(cat "$tmp/schema.log")"

echo "== an ssh connection dropped mid-trial fails that trial; the sweep goes on"
write_spec dropped 3 '["stream", "rr"]'
"$BIN" run "$tmp/dropped.json" --out "$tmp/dropped" >"$tmp/dropped.log" 2>&1 &
run_pid=$!
wait_for 20 serving_in_a || fail "no server started in namespace A: $(cat "$tmp/dropped.log")"
# sshd's session processes in A are its children: killing them drops every
# connection to A (the control master's too) as a cable pulled would.
pkill -KILL -P "${sshd_pids[0]}" || fail "no ssh session to drop in A"
wait "$run_pid" && fail "the sweep with a dropped connection exited 0" || true
"$PY" - "$(ls -d "$tmp"/dropped/*/ | head -1)" <<'EOF' || fail "dropped connection: $(cat "$tmp/dropped.log")"
import json, sys
trials = [json.loads(line) for line in open(sys.argv[1] + "/trials.jsonl")]
assert [t["status"] for t in trials] == ["failed", "ok"], [(t["status"], t["error"]) for t in trials]
error = trials[0]["error"]
assert "server on root@" in error or "client on root@" in error, error
assert "ssh lost the connection" in error and "exit code 255" in error, error
print("ok: dropped trial failed with: " + trials[0]["error"])
EOF

no_echolab_left() { [ -z "$(echolabs_in "$nsa")$(echolabs_in "$nsb")" ]; }
write_spec killed 30 '["stream"]'

echo "== SIGKILL of the sweep mid-trial leaves no echolab process in any namespace"
"$BIN" run "$tmp/killed.json" --out "$tmp/killed" >"$tmp/killed.log" 2>&1 &
run_pid=$!
wait_for 20 running_in_both ||
  fail "the trial did not start on both hosts: $(cat "$tmp/killed.log")"
kill -KILL "$run_pid"
wait "$run_pid" 2>/dev/null || true
wait_for 10 no_echolab_left || fail "echolab processes outlived the killed sweep: A: $(echolabs_in "$nsa") B: $(echolabs_in "$nsb")"
echo "ok: no echolab process left in $nsa or $nsb"
# Its ssh control directory is left (no destructor runs under SIGKILL); the
# next sweep removes it.
killed_dirs=$(ls -d /tmp/echolab-ssh-"$run_pid"-* 2>/dev/null)
[ -n "$killed_dirs" ] || fail "the killed sweep's ssh control directory /tmp/echolab-ssh-$run_pid-* was never made"

echo "== Ctrl-C twice mid-trial aborts it on every host"
"$BIN" run "$tmp/killed.json" --out "$tmp/interrupted" >"$tmp/interrupted.log" 2>&1 &
run_pid=$!
wait_for 20 running_in_both || fail "the trial did not start on both hosts: $(cat "$tmp/interrupted.log")"
kill -INT "$run_pid"
# Signals of one kind don't queue: the second only once the first was seen.
wait_for 10 grep -q "Ctrl-C: stopping" "$tmp/interrupted.log" || fail "the sweep did not take the first Ctrl-C"
kill -INT "$run_pid"
code=0
wait "$run_pid" || code=$?
[ $code = 130 ] || fail "an interrupted sweep exited $code, expected 130: $(cat "$tmp/interrupted.log")"
wait_for 10 no_echolab_left || fail "echolab processes outlived the interrupted trial: A: $(echolabs_in "$nsa") B: $(echolabs_in "$nsb")"
grep -q '"error":"interrupted"' "$tmp"/interrupted/*/trials.jsonl || fail "the aborted trial is not recorded as interrupted"
echo "ok: exit 130, trial recorded as interrupted, nothing left on either host"
for dir in $killed_dirs; do
  [ ! -e "$dir" ] || fail "the next sweep did not remove the killed sweep's ssh control directory $dir"
done
[ -z "$(ls -d /tmp/echolab-ssh-"$run_pid"-* 2>/dev/null)" ] ||
  fail "the interrupted sweep left its ssh control directory: $(ls -d /tmp/echolab-ssh-"$run_pid"-*)"
echo "ok: the killed sweep's ssh control directory was removed by the next sweep, the interrupted one's by itself"
fi
echo "PASS"
