// Cache-line ping-pong: two placed threads take turns writing one shared
// atomic, so the line moves between their caches twice per round trip (the
// price of state shared between worker threads).
#include <atomic>
#include <cstdint>

#include "harness/micro/micro_benchmarks.h"
#include "harness/micro/placed_threads.h"

namespace echolab::micro {
namespace {

/// The contended line and, on a line of its own, the stop flag; shared by
/// the two threads of one benchmark run.
struct PingPongLines {
  alignas(64) std::atomic<uint64_t> turn{0};  // odd: the partner's turn
  alignas(64) std::atomic<bool> stopping{false};
};

void cache_line_ping_pong(benchmark::State& state, const Placement& placement) {
  PingPongLines lines;
  PlacedPair pair(
      placement,
      [&] {
        Spinner spinner(placement.shares_pu());
        for (uint64_t mine = 1;; mine += 2) {
          spinner.until(
              [&] {
                return lines.turn.load(std::memory_order_acquire) == mine ||
                       lines.stopping.load(std::memory_order_relaxed);
              },
              "the benchmark thread's turn");
          if (lines.stopping.load(std::memory_order_relaxed)) return;
          lines.turn.store(mine + 1, std::memory_order_release);
        }
      },
      [&] { lines.stopping.store(true, std::memory_order_relaxed); });
  Spinner spinner(placement.shares_pu());
  uint64_t next = 1;
  MeasuredTime time;
  for (auto _ : state) {
    lines.turn.store(next, std::memory_order_release);
    spinner.until([&] { return lines.turn.load(std::memory_order_acquire) == next + 1; }, "the partner's turn");
    next += 2;
  }
  report_per_op(state, "roundtrip", time);
}

}  // namespace

void register_cache_line_benchmarks(const std::vector<Placement>& placements) {
  register_per_pair(placements, "BM_CacheLinePingPong", cache_line_ping_pong, IterationTime::kReal);
}

}  // namespace echolab::micro
