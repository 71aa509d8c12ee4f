#pragma once

// The mechanism micro-benchmark families (one .cc each) and what they share:
// registration with errors turned into skipped runs, per-operation counters.
#include <benchmark/benchmark.h>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "harness/micro/placement.h"

namespace echolab::micro {

using Clock = std::chrono::steady_clock;

/// Seconds from `start` to `end`.
inline double seconds_between(Clock::time_point start, Clock::time_point end) {
  return std::chrono::duration<double>(end - start).count();
}

/// The wall-clock time of one benchmark run's measured loop, for the
/// per-operation counters: the sum of the manual iteration times when
/// iteration() is used, else the time since construction (create it just
/// before `for (auto _ : state)`). Benchmark thread only.
class MeasuredTime {
 public:
  MeasuredTime() : start_(Clock::now()) {}

  /// Manual timing: reports one iteration's time to `state` and sums it.
  void iteration(benchmark::State& state, Clock::time_point start, Clock::time_point end) {
    const double seconds = seconds_between(start, end);
    state.SetIterationTime(seconds);
    manual_seconds_ += seconds;
    manual_ = true;
  }
  double seconds() const { return manual_ ? manual_seconds_ : seconds_between(start_, Clock::now()); }

 private:
  Clock::time_point start_;
  double manual_seconds_ = 0;
  bool manual_ = false;
};

/// Registers `body` as benchmark `name`; an exception it throws becomes
/// State::SkipWithError (the run is reported as an error, the rest go on).
benchmark::internal::Benchmark* register_guarded(const std::string& name, std::function<void(benchmark::State&)> body);

/// How a benchmark's iteration time is taken.
enum class IterationTime { kReal, kManual };

/// Registers `body` once per placement pair as "<name>/<placement>/<cpus>"
/// (through register_guarded), timed as `timing` says.
void register_per_pair(const std::vector<Placement>& placements, const std::string& name,
                       void (*body)(benchmark::State&, const Placement&), IterationTime timing);

/// Adds the counters "ns_per_<op>" (wall-clock nanoseconds per operation)
/// and "<op>s_per_s" (operations per second), for `per_iteration`
/// operations in each iteration; needs UseRealTime or UseManualTime.
void report_per_op(benchmark::State& state, const std::string& op, const MeasuredTime& time, double per_iteration = 1);

/// Eventfd and mutex + condition variable wake-up round trips.
void register_wakeup_benchmarks(const std::vector<Placement>& placements);
/// Two threads taking turns on one cache line.
void register_cache_line_benchmarks(const std::vector<Placement>& placements);
/// A socket handed to a worker loop through HandoffQueue.
void register_handoff_benchmarks(const std::vector<Placement>& placements);
/// epoll_wait with K ready fds (level, edge) and EPOLLONESHOT re-arming;
/// single thread, on `single.a`.
void register_epoll_benchmarks(const Placement& single);
/// N threads' epolls sharing one listening socket, with and without
/// EPOLLEXCLUSIVE.
void register_accept_benchmarks(const std::vector<Placement>& placements);
/// A 4 KiB loopback TCP echo round trip.
void register_loopback_benchmarks(const std::vector<Placement>& placements);

}  // namespace echolab::micro
