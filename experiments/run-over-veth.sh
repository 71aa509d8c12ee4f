#!/usr/bin/env bash
# Runs a spec across two hosts made on this machine: its server in network
# namespace A, its client in B, reached over ssh and joined by a veth pair
# (tests/hosts/namespace_hosts.sh builds them and removes them on exit).
# The run is named after the spec with "-veth" appended, with its report
# and verdicts (--plot). Needs root, iproute2, openssh-server.
#
# usage: experiments/run-over-veth.sh SPEC.json [echolab run options: --out DIR, --repetitions N, ...]
#   e.g. experiments/run-over-veth.sh experiments/claims/zerocopy.json
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 SPEC.json [echolab run options]" >&2; exit 2; }
SPEC=$1
[ -f "$SPEC" ] || { echo "run-over-veth: no spec $SPEC" >&2; exit 2; }
BIN=$(readlink -f build/echolab)
[ -x "$BIN" ] || { echo "run-over-veth: build/echolab is missing: run make build" >&2; exit 2; }
PY=$(for p in /usr/bin/python3 python3; do command -v $p >/dev/null && { command -v $p; break; }; done)
. tests/hosts/namespace_hosts.sh
status=0
make_namespace_hosts || status=$?
[ $status = 77 ] && { echo "run-over-veth: $skip_reason" >&2; exit 2; }
[ $status = 0 ] || exit 1
veth_spec="$hosts_tmp/$(basename "$SPEC")"
PYTHONPATH=. "$PY" experiments/veth_spec.py "$SPEC" "$veth_spec" "$net" "$ssh_config" -veth
"$BIN" run "$veth_spec" --plot "${@:2}"
