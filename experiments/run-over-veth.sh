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
. tests/hosts/namespace_hosts.sh
veth_spec_across_namespace_hosts run-over-veth "$SPEC" -veth
"$BIN" run "$veth_spec" --plot "${@:2}"
