#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

namespace echolab {

/// Adds n to a counter that only one thread writes: a relaxed load + store,
/// which is a plain add on x86 (no lock prefix) yet race-free for readers.
inline void bump(std::atomic<uint64_t>& counter, uint64_t n = 1) {
  counter.store(counter.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

/// Plain copy of one thread's counters, taken by a sampler; any thread.
struct CounterSnapshot {
  uint64_t bytes_in = 0, bytes_out = 0, reads = 0, writes = 0, wakeups = 0, events = 0;
  uint64_t accepted = 0, closed = 0, spurious_wakeups = 0, errors = 0, hops = 0, dropped = 0;
  uint64_t handoffs = 0, handoff_ns = 0, connection_events = 0, idle_events = 0;
  uint64_t accepts_while_busy = 0;
  uint64_t requests_worked = 0, work_cpu_ns = 0, work_blocked_ns = 0;
  uint64_t empty_polls = 0;
  uint64_t zerocopy_sends = 0, zerocopy_completed = 0, zerocopy_copied = 0, zerocopy_refused = 0;
  int tid = 0;
  int listener_rank = -1;
  std::vector<int> cpus_seen;
  uint64_t connections_open() const { return accepted >= closed ? accepted - closed : 0; }
};

/// Hot-path counters of one thread, written only by that thread (bump) and
/// read by any thread (snapshot) with relaxed atomics; one cache line apart.
struct alignas(64) ThreadCounters {
  static constexpr int kMaxCpus = 1024;

  std::string role;  // "server", "acceptor", "dispatcher", "client"; set before start
  int index = 0;

  std::atomic<uint64_t> bytes_in{0}, bytes_out{0}, reads{0}, writes{0};
  std::atomic<uint64_t> wakeups{0}, events{0};
  std::atomic<uint64_t> accepted{0}, closed{0}, spurious_wakeups{0}, errors{0};
  std::atomic<uint64_t> hops{0}, dropped{0}, handoffs{0}, handoff_ns{0};
  std::atomic<uint64_t> connection_events{0};  // events handled by echo connections
  std::atomic<uint64_t> idle_events{0};        // ... of which moved no byte (busy loop)
  /// Accepts made while the thread was serving connections (it had handled
  /// connection events since the start of its previous wake-up), as opposed
  /// to accepts made by a thread that was idle, woken for the listener.
  std::atomic<uint64_t> accepts_while_busy{0};
  /// Work per request (core/request_work.h): requests worked, and the wall
  /// time spent in the CPU loop and blocked.
  std::atomic<uint64_t> requests_worked{0}, work_cpu_ns{0}, work_blocked_ns{0};
  /// Polls that found nothing: a spinning loop's (wait spin) empty
  /// epoll_wait(0) or completion-queue peeks.
  std::atomic<uint64_t> empty_polls{0};
  /// server.send zerocopy: sends made with MSG_ZEROCOPY, their completions
  /// read from the error queue, those the kernel reported as copied
  /// (SO_EE_CODE_ZEROCOPY_COPIED), and sends that copied because the kernel
  /// refused another notification (ENOBUFS).
  std::atomic<uint64_t> zerocopy_sends{0}, zerocopy_completed{0}, zerocopy_copied{0}, zerocopy_refused{0};
  std::atomic<int> tid{0};
  /// Order in which this thread registered its listening socket among the
  /// threads sharing it (0 = first); -1 without a listener. Written once by
  /// the owning thread during its start.
  std::atomic<int> listener_rank{-1};
  std::atomic<uint64_t> cpus_seen[kMaxCpus / 64] = {};

  /// Called by the owning thread when it starts: records its tid and CPU.
  void attach_current_thread();
  /// Records the CPU the calling (owning) thread runs on now; cheap (vDSO).
  void note_cpu();
  CounterSnapshot snapshot() const;
};

}  // namespace echolab
