// Hand-off of a connected socket through HandoffQueue, end to end, as
// acceptor_workers does it: push (enqueue + eventfd write) on the benchmark
// thread, then on the worker's loop thread the eventfd wake-up, dequeue and
// EchoWorker::adopt (which registers the socket in the worker's epoll).
#include <sys/socket.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>

#include "core/echo_options.h"
#include "core/echo_worker.h"
#include "core/handoff_queue.h"
#include "core/loop_thread.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"
#include "harness/micro/micro_benchmarks.h"
#include "harness/micro/placed_threads.h"

namespace echolab::micro {
namespace {

/// Owns a worker LoopThread on one PU with a HandoffQueue attached to its
/// EchoWorker, as one acceptor_workers worker; the benchmark thread pushes
/// and reads the worker's counters.
class HandoffWorker {
 public:
  explicit HandoffWorker(int pu) : queue_(16), loop_(counters_, {pu}) {
    HandoffQueue* queue = &queue_;
    loop_.start(with_echo_worker(counters_, EchoOptions{}, [queue](EchoWorker& worker) {
      queue->attach(worker);
      return std::shared_ptr<void>(queue, [](HandoffQueue* q) { q->detach(); });
    }));
  }
  ~HandoffWorker() { loop_.stop(); }

  HandoffQueue& queue() { return queue_; }
  const ThreadCounters& counters() const { return counters_; }

 private:
  ThreadCounters counters_;
  HandoffQueue queue_;
  LoopThread loop_;
};

void fd_handoff(benchmark::State& state, const Placement& placement) {
  HandoffWorker worker(placement.b);
  ScopedBinding binding(placement.a);
  Spinner spinner(placement.shares_pu());
  const ThreadCounters& counters = worker.counters();
  uint64_t handed = 0;
  MeasuredTime time;
  for (auto _ : state) {
    // Outside the measured time: a fresh connected socket pair.
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends) != 0) {
      throw std::system_error(errno, std::generic_category(), "socketpair");
    }
    UniqueFd ours(ends[0]), theirs(ends[1]);
    const Clock::time_point start = Clock::now();
    if (!worker.queue().push(theirs, HandoffQueue::now_ns())) throw std::runtime_error("HandoffQueue full");
    ++handed;
    spinner.until([&] { return counters.accepted.load(std::memory_order_acquire) == handed; },
                  "the worker to adopt the socket");
    time.iteration(state, start, Clock::now());
    // Outside the measured time: the worker sees EOF and closes its end.
    ours.reset();
    spinner.until([&] { return counters.closed.load(std::memory_order_acquire) == handed; },
                  "the worker to close the socket");
  }
  report_per_op(state, "handoff", time);
  // HandoffQueue's own figure: push() to adopted, measured by the worker.
  const uint64_t handoffs = counters.handoffs.load(std::memory_order_relaxed);
  if (handoffs > 0) {
    state.counters["queue_ns_per_handoff"] =
        static_cast<double>(counters.handoff_ns.load(std::memory_order_relaxed)) / static_cast<double>(handoffs);
  }
}

}  // namespace

void register_handoff_benchmarks(const std::vector<Placement>& placements) {
  register_per_pair(placements, "BM_FdHandoff", fd_handoff, IterationTime::kManual);
}

}  // namespace echolab::micro
