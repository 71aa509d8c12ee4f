// Cross-thread wake-up round trips between two placed threads: through an
// eventfd watched by epoll (how acceptor_workers' HandoffQueue and
// EventLoop::post wake a loop) and through a mutex + condition variable.
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <system_error>

#include "core/unique_fd.h"
#include "harness/micro/micro_benchmarks.h"
#include "harness/micro/placed_threads.h"

namespace echolab::micro {
namespace {

/// Owns an eventfd and an epoll instance watching it, as an EventLoop
/// does. signal() from any thread; wait() from the one receiving thread.
class EventfdSignal {
 public:
  EventfdSignal() : event_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)), epoll_(epoll_create1(EPOLL_CLOEXEC)) {
    if (!event_ || !epoll_) throw std::system_error(errno, std::generic_category(), "eventfd/epoll_create1");
    epoll_event registration{};
    registration.events = EPOLLIN;
    if (epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, event_.get(), &registration) != 0) {
      throw std::system_error(errno, std::generic_category(), "epoll_ctl");
    }
  }

  void signal() {
    const uint64_t one = 1;
    while (::write(event_.get(), &one, sizeof one) < 0 && errno == EINTR) {
    }
  }

  /// Blocks in epoll_wait until signalled, then consumes the signal.
  void wait() {
    epoll_event ready;
    while (epoll_wait(epoll_.get(), &ready, 1, -1) != 1) {
    }
    uint64_t value;
    while (::read(event_.get(), &value, sizeof value) < 0 && errno == EINTR) {
    }
  }

 private:
  UniqueFd event_;
  UniqueFd epoll_;
};

void eventfd_round_trip(benchmark::State& state, const Placement& placement) {
  EventfdSignal ping, pong;
  std::atomic<bool> stopping{false};
  PlacedPair pair(
      placement,
      [&] {
        for (;;) {
          ping.wait();
          if (stopping.load(std::memory_order_acquire)) return;
          pong.signal();
        }
      },
      [&] {
        stopping.store(true, std::memory_order_release);
        ping.signal();
      });
  MeasuredTime time;
  for (auto _ : state) {
    ping.signal();
    pong.wait();
  }
  report_per_op(state, "roundtrip", time);
}

/// A turn counter guarded by a mutex, with the condition variable both
/// threads wait on; shared by the two threads of one benchmark run.
struct CondvarTurns {
  std::mutex mutex;
  std::condition_variable changed;
  uint64_t turn = 0;  // odd: the partner's turn; even: the benchmark thread's
  bool stopping = false;
};

void condvar_round_trip(benchmark::State& state, const Placement& placement) {
  CondvarTurns turns;
  PlacedPair pair(
      placement,
      [&] {
        std::unique_lock lock(turns.mutex);
        for (;;) {
          turns.changed.wait(lock, [&] { return turns.stopping || turns.turn % 2 == 1; });
          if (turns.stopping) return;
          ++turns.turn;
          turns.changed.notify_one();
        }
      },
      [&] {
        std::lock_guard lock(turns.mutex);
        turns.stopping = true;
        turns.changed.notify_one();
      });
  MeasuredTime time;
  for (auto _ : state) {
    std::unique_lock lock(turns.mutex);
    ++turns.turn;
    turns.changed.notify_one();
    turns.changed.wait(lock, [&] { return turns.turn % 2 == 0; });
  }
  report_per_op(state, "roundtrip", time);
}

}  // namespace

void register_wakeup_benchmarks(const std::vector<Placement>& placements) {
  register_per_pair(placements, "BM_EventfdRoundTrip", eventfd_round_trip, IterationTime::kReal);
  register_per_pair(placements, "BM_CondvarRoundTrip", condvar_round_trip, IterationTime::kReal);
}

}  // namespace echolab::micro
