#include "core/request_work.h"

#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cerrno>

#include "core/monotonic_clock.h"

namespace echolab {

uint64_t spin_iterations(uint64_t iterations) {
  uint64_t mix = 0x9e3779b97f4a7c15ULL;
  for (uint64_t i = 0; i < iterations; ++i) {
    mix ^= mix >> 29;
    mix *= 0xbf58476d1ce4e5b9ULL;
    mix += i;
    asm volatile("" : "+r"(mix));  // each round's result is used: the loop stays
  }
  return mix;
}

namespace {

/// CPU time of the calling thread (ns): time it was preempted does not count.
uint64_t thread_cpu_ns() {
  timespec now;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace

double spin_iterations_per_us() {
  static const double per_us = [] {
    constexpr uint64_t kProbe = 1 << 16;
    uint64_t iterations = kProbe;
    double best = 0;
    // Grow the probe to about 2 ms, then keep the fastest of 5 runs. Timed
    // in the thread's CPU time: on a busy machine a wall-clock calibration
    // counted the time other processes held the core (a ctest run beside
    // it made 20 us of work take 7).
    for (int run = 0; run < 5;) {
      const uint64_t start = thread_cpu_ns();
      spin_iterations(iterations);
      const double elapsed_us = static_cast<double>(thread_cpu_ns() - start) / 1000.0;
      if (elapsed_us < 2000 && iterations < (uint64_t{1} << 34)) {
        iterations *= 2;
        continue;
      }
      best = std::max(best, static_cast<double>(iterations) / elapsed_us);
      ++run;
    }
    return best;
  }();
  return per_us;
}

void do_request_work(const WorkPerRequest& work, ThreadCounters& counters, uint64_t requests) {
  if (requests == 0 || !work.any()) return;
  const auto spin = static_cast<uint64_t>(work.cpu_us * spin_iterations_per_us());
  const auto block_ns = static_cast<uint64_t>(work.block_us * 1000.0);
  thread_local bool slack_set = false;
  if (block_ns > 0 && !slack_set) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);  // wake on time, not up to 50 us late
    slack_set = true;
  }
  for (uint64_t r = 0; r < requests; ++r) {
    if (spin > 0) {
      const uint64_t start = monotonic_ns();
      spin_iterations(spin);
      bump(counters.work_cpu_ns, monotonic_ns() - start);
    }
    if (block_ns > 0) {
      const uint64_t start = monotonic_ns();
      const uint64_t until = start + block_ns;
      const timespec deadline{static_cast<time_t>(until / 1'000'000'000u), static_cast<long>(until % 1'000'000'000u)};
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
      }
      bump(counters.work_blocked_ns, monotonic_ns() - start);
    }
    bump(counters.requests_worked);
  }
}

}  // namespace echolab
