// epoll costs on one thread: epoll_wait returning K ready fds in level vs
// edge mode, and an EPOLLONESHOT re-arm (EPOLL_CTL_MOD) per event, as
// dispatch_pool pays. Each iteration times only the epoll calls (manual
// time); edge mode's re-trigger writes are timed apart as a counter.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "core/unique_fd.h"
#include "harness/micro/micro_benchmarks.h"
#include "harness/micro/placed_threads.h"

namespace echolab::micro {
namespace {

/// Owns an epoll instance and K eventfds registered in it with `events`,
/// each already readable; the benchmark thread only.
class ReadyEventfds {
 public:
  ReadyEventfds(size_t count, uint32_t events) : epoll_(epoll_create1(EPOLL_CLOEXEC)), ready_(count) {
    if (!epoll_) throw std::system_error(errno, std::generic_category(), "epoll_create1");
    for (size_t i = 0; i < count; ++i) {
      fds_.emplace_back(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
      if (!fds_.back()) throw std::system_error(errno, std::generic_category(), "eventfd");
      signal(i);
      epoll_event registration{};
      registration.events = events;
      registration.data.u64 = i;
      if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fds_.back().get(), &registration) != 0) {
        throw std::system_error(errno, std::generic_category(), "epoll_ctl add");
      }
    }
  }

  /// Adds 1 to eventfd `i`: new readiness, so an edge-triggered entry is
  /// reported again.
  void signal(size_t i) {
    const uint64_t one = 1;
    if (::write(fds_[i].get(), &one, sizeof one) != sizeof one) {
      throw std::system_error(errno, std::generic_category(), "eventfd write");
    }
  }
  void signal_all() {
    for (size_t i = 0; i < fds_.size(); ++i) signal(i);
  }

  /// epoll_wait without blocking; throws unless every fd was reported.
  void wait_all() {
    const int n = epoll_wait(epoll_.get(), ready_.data(), static_cast<int>(ready_.size()), 0);
    if (n != static_cast<int>(ready_.size())) {
      throw std::runtime_error("epoll_wait returned " + std::to_string(n) + " of " + std::to_string(ready_.size()) +
                               " ready fds");
    }
  }

  void rearm(size_t i, uint32_t events) {
    epoll_event registration{};
    registration.events = events;
    registration.data.u64 = i;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, fds_[i].get(), &registration) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl mod");
    }
  }

 private:
  UniqueFd epoll_;
  std::vector<UniqueFd> fds_;
  std::vector<epoll_event> ready_;
};

void epoll_wait_ready(benchmark::State& state, const Placement& placement, size_t count, bool edge) {
  ScopedBinding binding(placement.a);
  ReadyEventfds fds(count, edge ? EPOLLIN | EPOLLET : EPOLLIN);
  double retrigger_ns = 0;
  MeasuredTime time;
  for (auto _ : state) {
    if (edge) {
      const Clock::time_point before = Clock::now();
      fds.signal_all();
      retrigger_ns += seconds_between(before, Clock::now()) * 1e9;
    }
    const Clock::time_point start = Clock::now();
    fds.wait_all();
    time.iteration(state, start, Clock::now());
  }
  report_per_op(state, "wait", time);
  report_per_op(state, "ready_fd", time, static_cast<double>(count));
  if (edge)
    state.counters["retrigger_ns_per_wait"] = benchmark::Counter(retrigger_ns, benchmark::Counter::kAvgIterations);
}

void epoll_oneshot_rearm(benchmark::State& state, const Placement& placement) {
  ScopedBinding binding(placement.a);
  constexpr uint32_t kOneshot = EPOLLIN | EPOLLONESHOT;
  ReadyEventfds fds(1, kOneshot);
  fds.wait_all();  // the first report disarms the entry
  double rearm_ns = 0;
  MeasuredTime time;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    fds.rearm(0, kOneshot);
    const Clock::time_point rearmed = Clock::now();
    fds.wait_all();
    const Clock::time_point end = Clock::now();
    rearm_ns += seconds_between(start, rearmed) * 1e9;
    time.iteration(state, start, end);
  }
  report_per_op(state, "event", time);
  state.counters["rearm_ns_per_event"] = benchmark::Counter(rearm_ns, benchmark::Counter::kAvgIterations);
}

}  // namespace

void register_epoll_benchmarks(const Placement& single) {
  for (bool edge : {false, true}) {
    for (size_t count : {1, 16, 256}) {
      const std::string name = std::string("BM_EpollWait_") + (edge ? "edge" : "level") + "_k" + std::to_string(count);
      register_guarded(single.single_name(name), [single, count, edge](benchmark::State& state) {
        epoll_wait_ready(state, single, count, edge);
      })->UseManualTime();
    }
  }
  register_guarded(single.single_name("BM_EpollOneshotRearm"), [single](benchmark::State& state) {
    epoll_oneshot_rearm(state, single);
  })->UseManualTime();
}

}  // namespace echolab::micro
