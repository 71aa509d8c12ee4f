// Accept under a shared listener: N threads, each blocked in its own epoll
// on one listening socket (shared_listener's design), with and without
// EPOLLEXCLUSIVE. The benchmark thread connects over loopback and waits
// until some thread has accepted; wake-ups and the acceptor threads'
// voluntary context switches are counted per accepted connection.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "core/listener.h"
#include "core/socket_util.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"
#include "harness/micro/micro_benchmarks.h"
#include "harness/micro/placed_threads.h"

namespace echolab::micro {
namespace {

/// One acceptor thread's tallies on a cache line of their own: written by
/// that thread (bump), read by the benchmark thread.
struct alignas(64) AcceptorTally {
  std::atomic<uint64_t> accepted{0}, wakeups{0}, empty_wakeups{0}, voluntary_switches{0};
};

/// Owns a listening socket on 127.0.0.1, a stop eventfd and N acceptor
/// threads, each with its own epoll holding the listener; thread i runs on
/// placement.b when i is even, else placement.a. Created, read and stopped
/// (joined) by the benchmark thread.
class SharedListenerPool {
 public:
  SharedListenerPool(const Placement& placement, int threads, bool exclusive)
      : listener_(listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), ListenOptions{})),
        address_(local_address(listener_.get())),
        stop_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
        tallies_(static_cast<size_t>(threads)) {
    if (!stop_) throw std::system_error(errno, std::generic_category(), "eventfd");
    for (int i = 0; i < threads; ++i) {
      epolls_.emplace_back(epoll_create1(EPOLL_CLOEXEC));
      if (!epolls_.back()) throw std::system_error(errno, std::generic_category(), "epoll_create1");
      add(epolls_.back().get(), listener_.get(), exclusive ? EPOLLIN | EPOLLEXCLUSIVE : EPOLLIN, kListenTag);
      add(epolls_.back().get(), stop_.get(), EPOLLIN, kStopTag);
    }
    for (int i = 0; i < threads; ++i) {
      acceptors_.push_back(std::make_unique<PartnerThread>(
          i % 2 == 0 ? placement.b : placement.a, [this, i] { run(static_cast<size_t>(i)); },
          [this] {
            const uint64_t one = 1;  // never read: wakes every thread, level-triggered
            while (::write(stop_.get(), &one, sizeof one) < 0 && errno == EINTR) {
            }
          }));
    }
  }
  ~SharedListenerPool() { stop(); }

  const SocketAddress& address() const { return address_; }
  uint64_t accepted() const { return sum(&AcceptorTally::accepted); }
  /// Stops and joins the acceptor threads; their tallies stay readable.
  void stop() { acceptors_.clear(); }
  uint64_t sum(std::atomic<uint64_t> AcceptorTally::*field) const {
    uint64_t total = 0;
    for (const AcceptorTally& tally : tallies_) total += (tally.*field).load(std::memory_order_relaxed);
    return total;
  }

 private:
  static constexpr uint64_t kListenTag = 0, kStopTag = 1;

  static void add(int epoll, int fd, uint32_t events, uint64_t tag) {
    epoll_event registration{};
    registration.events = events;
    registration.data.u64 = tag;
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &registration) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl add");
    }
  }

  /// Acceptor thread `index`: wait, accept until EAGAIN, close at once.
  void run(size_t index) {
    AcceptorTally& tally = tallies_[index];
    rusage before{}, after{};
    getrusage(RUSAGE_THREAD, &before);
    epoll_event events[2];
    for (;;) {
      const int n = epoll_wait(epolls_[index].get(), events, 2, -1);
      if (n <= 0) continue;  // EINTR
      bool accepted_any = false;
      for (int e = 0; e < n; ++e) {
        if (events[e].data.u64 == kStopTag) {
          getrusage(RUSAGE_THREAD, &after);
          tally.voluntary_switches.store(static_cast<uint64_t>(after.ru_nvcsw - before.ru_nvcsw));
          return;
        }
        while (UniqueFd connection = accept_nonblocking(listener_.get())) {
          accepted_any = true;
          bump(tally.accepted);
        }
      }
      bump(tally.wakeups);
      if (!accepted_any) bump(tally.empty_wakeups);
    }
  }

  UniqueFd listener_;
  SocketAddress address_;
  UniqueFd stop_;
  std::vector<UniqueFd> epolls_;
  std::vector<AcceptorTally> tallies_;
  std::vector<std::unique_ptr<PartnerThread>> acceptors_;  // last: joined first
};

void shared_accept(benchmark::State& state, const Placement& placement, int threads, bool exclusive) {
  SharedListenerPool pool(placement, threads, exclusive);
  ScopedBinding binding(placement.a);
  Spinner spinner(true);  // acceptor 1 (and 3) run on the benchmark thread's PU
  uint64_t connected = 0;
  MeasuredTime time;
  for (auto _ : state) {
    const Clock::time_point start = Clock::now();
    UniqueFd client = connect_tcp(pool.address());
    ++connected;
    spinner.until([&] { return pool.accepted() == connected; }, "an acceptor thread to accept");
    time.iteration(state, start, Clock::now());
    set_linger_reset(client.get());  // close with RST: no TIME_WAIT piles up
  }
  pool.stop();
  report_per_op(state, "accept", time);
  const auto per_accept = [&](std::atomic<uint64_t> AcceptorTally::*field) {
    return benchmark::Counter(static_cast<double>(pool.sum(field)), benchmark::Counter::kAvgIterations);
  };
  state.counters["wakeups_per_accept"] = per_accept(&AcceptorTally::wakeups);
  state.counters["empty_wakeups_per_accept"] = per_accept(&AcceptorTally::empty_wakeups);
  state.counters["acceptor_switches_per_accept"] = per_accept(&AcceptorTally::voluntary_switches);
}

}  // namespace

void register_accept_benchmarks(const std::vector<Placement>& placements) {
  for (const Placement& placement : placements) {
    for (int threads : {2, 4}) {
      for (bool exclusive : {false, true}) {
        const std::string name = "BM_SharedAccept_n" + std::to_string(threads) + (exclusive ? "_exclusive" : "");
        register_guarded(placement.pair_name(name), [placement, threads, exclusive](benchmark::State& state) {
          shared_accept(state, placement, threads, exclusive);
        })->UseManualTime();
      }
    }
  }
}

}  // namespace echolab::micro
