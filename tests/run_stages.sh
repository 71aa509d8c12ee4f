#!/usr/bin/env bash
# `make test`: runs each stage (make test-fast, test-asan, test-tsan,
# test-fuzz, test-soak) in turn, then prints how long each took and which
# tests did not run. A skipped test is never silent: each is listed with its
# reason. Under CI=true a skip that tests/skips-allowed.txt does not explain
# fails the run (each line there: an extended regex matched against
# "STAGE: TEST", then "  # why").
#
# usage: tests/run_stages.sh [STAGE...]   (default: every stage; MAKE as make gives it)
set -uo pipefail
cd "$(dirname "$0")/.."
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(test-fast test-asan test-tsan test-fuzz test-soak)
make=${MAKE:-make}
logs=build-stages
mkdir -p "$logs"
allowed=tests/skips-allowed.txt

seconds=()
codes=()
skips=()

# Compiles the compiler cache answered and compiles it did not, so far
# (CMakeLists.txt compiles through ccache where it is installed).
ccache_counts() {
  ccache --print-stats 2>/dev/null |
    awk '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" { hits += $2 }
         $1 == "cache_miss" { misses += $2 } END { print hits + 0, misses + 0 }'
}
read -r hits_before misses_before < <(ccache_counts)

for stage in "${stages[@]}"; do
  start=$(date +%s)
  # The stage's output goes to the terminal as before and to its log.
  "$make" --no-print-directory "$stage" 2>&1 | tee "$logs/$stage.log"
  codes+=("${PIPESTATUS[0]}")
  seconds+=($(($(date +%s) - start)))
  # ctest lists what did not run after "The following tests did not run:",
  # e.g. "   12 - Herd.X (Skipped)"; the reason is the test's own output.
  while IFS= read -r test; do
    skips+=("$stage: $test")
  done < <(sed -n '/The following tests did not run:/,/^$/p' "$logs/$stage.log" |
    sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (\(Skipped\|Not Run\|Disabled\))$/\1/p')
  # The soak's models that this machine refused (io_uring) are skips too.
  while IFS= read -r model; do
    skips+=("$stage: soak $model")
  done < <(sed -n 's/^soak: \([a-z_]*\) *skipped.*/\1/p' "$logs/$stage.log")
  [ "${codes[-1]}" = 0 ] || break  # as make would: no later stage after a failure
done

echo
echo "make test: stage times"
printf '  %-12s %8s  %s\n' stage seconds result
total=0
failed=0
for i in "${!codes[@]}"; do
  result=ok
  [ "${codes[$i]}" = 0 ] || { result="FAILED (exit ${codes[$i]})"; failed=1; }
  printf '  %-12s %8d  %s\n' "${stages[$i]}" "${seconds[$i]}" "$result"
  total=$((total + seconds[i]))
done
printf '  %-12s %8d\n' total "$total"
if command -v ccache >/dev/null; then
  read -r hits_after misses_after < <(ccache_counts)
  hits=$((hits_after - hits_before))
  echo "make test: compiler cache (ccache): $hits of $((hits + misses_after - misses_before)) compiles found in the cache"
fi

unexplained=0
echo "make test: ${#skips[@]} test(s) skipped"
for skip in "${skips[@]}"; do
  why=""
  if [ -f "$allowed" ]; then
    while IFS= read -r line; do
      pattern=${line%%  #*}
      [ -n "$pattern" ] && [[ $line != \#* ]] || continue
      if [[ $skip =~ $pattern ]]; then
        why=${line#*  # }
        break
      fi
    done <"$allowed"
  fi
  if [ -n "$why" ]; then
    echo "  $skip (allowed: $why)"
  else
    echo "  $skip (not in $allowed)"
    unexplained=$((unexplained + 1))
  fi
done
if [ ${#codes[@]} -eq 0 ]; then
  echo "make test: no stage ran"
  failed=1
fi
if [ "${CI:-}" = true ] && [ $unexplained -gt 0 ]; then
  echo "make test: $unexplained skip(s) not explained in $allowed: under CI=true a skip is a failure"
  failed=1
fi
exit $failed
