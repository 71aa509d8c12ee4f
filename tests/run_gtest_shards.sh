#!/usr/bin/env bash
# Runs a gtest binary as SHARDS processes (gtest's own sharding:
# GTEST_TOTAL_SHARDS, GTEST_SHARD_INDEX), JOBS at a time: the sanitizer
# stages of `make test` use it because a sanitized process takes 0.13-0.2 s
# to start, and one process per test (ctest) spent 35-45 s of each stage
# starting them. Each test still runs once; a shard's log is printed in full
# when it fails. Ends with the skipped tests in ctest's words ("The
# following tests did not run:"), which tests/run_stages.sh counts, and
# fails when the shards ran fewer tests than the binary lists.
#
# usage: tests/run_gtest_shards.sh BINARY SHARDS JOBS [GTEST_FILTER]
set -uo pipefail
if [ $# -lt 3 ]; then
  echo "usage: $0 BINARY SHARDS JOBS [GTEST_FILTER]" >&2
  exit 2
fi
binary=$1 shards=$2 jobs=$3 filter=${4:-*}
logs="$(dirname "$binary")/shards"
rm -rf "$logs"
mkdir -p "$logs"

# Tests the filter selects: "Suite.Test" lines (parameterised ones keep
# their "Prefix/Suite.Test/Param" names as gtest prints them).
expected=$("$binary" --gtest_filter="$filter" --gtest_list_tests |
  awk '/^[^ ]/ { suite = $1 } /^  / { print suite $1 }' | wc -l)

start=$(date +%s)
# One shard: its log, then "exit CODE" as the log's last line. A hung shard
# is killed after 600 s (ctest allowed 300 per test).
run_shard() {
  local index=$1
  GTEST_TOTAL_SHARDS=$shards GTEST_SHARD_INDEX=$index timeout -k 10 600 \
    "$binary" --gtest_filter="$filter" --gtest_death_test_style=threadsafe >"$logs/$index.log" 2>&1
  echo "exit $?" >>"$logs/$index.log"
}
export -f run_shard
export binary shards filter logs
seq 0 $((shards - 1)) | xargs -P "$jobs" -I{} bash -c 'run_shard {}'

failed=0 ran=0
declare -a skipped=()
for index in $(seq 0 $((shards - 1))); do
  log="$logs/$index.log"
  code=$(sed -n 's/^exit \([0-9]*\)$/\1/p' "$log" | tail -1)
  count=$(sed -n 's/^\[==========\] \([0-9]*\) tests\? from .* ran\..*/\1/p' "$log" | tail -1)
  ran=$((ran + ${count:-0}))
  while IFS= read -r test; do skipped+=("$test"); done < <(sed -n 's/^\[  SKIPPED \] \([^ ]*\) (.*/\1/p' "$log")
  if [ "$code" != 0 ]; then
    echo "---- shard $index of $shards failed (exit ${code:-?}): $log"
    cat "$log"
    failed=1
  else
    echo "shard $index of $shards: ${count:-0} tests, ok"
  fi
done
echo "$ran of $expected tests ran in $shards shards, $jobs at a time, in $(($(date +%s) - start)) s"
if [ "$failed" = 0 ] && [ "$ran" != "$expected" ]; then
  echo "the shards ran $ran tests where $binary lists $expected for '$filter'"
  failed=1
fi
if [ ${#skipped[@]} -gt 0 ]; then
  echo "The following tests did not run:"
  for i in "${!skipped[@]}"; do echo "	$((i + 1)) - ${skipped[$i]} (Skipped)"; done
  echo
fi
exit $failed
