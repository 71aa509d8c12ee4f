#include "core/thread_counters.h"

#include <sched.h>
#include <unistd.h>

namespace echolab {

void ThreadCounters::attach_current_thread() {
  tid.store(static_cast<int>(::gettid()), std::memory_order_release);
  note_cpu();
}

void ThreadCounters::note_cpu() {
  int cpu = sched_getcpu();
  if (cpu < 0 || cpu >= kMaxCpus) return;
  auto& word = cpus_seen[cpu / 64];
  uint64_t bit = uint64_t{1} << (cpu % 64);
  uint64_t old = word.load(std::memory_order_relaxed);
  if (!(old & bit)) word.store(old | bit, std::memory_order_relaxed);
}

CounterSnapshot ThreadCounters::snapshot() const {
  CounterSnapshot s;
  auto get = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  s.bytes_in = get(bytes_in);
  s.bytes_out = get(bytes_out);
  s.reads = get(reads);
  s.writes = get(writes);
  s.wakeups = get(wakeups);
  s.events = get(events);
  s.accepted = get(accepted);
  s.closed = get(closed);
  s.spurious_wakeups = get(spurious_wakeups);
  s.errors = get(errors);
  s.hops = get(hops);
  s.requests_worked = get(requests_worked);
  s.work_cpu_ns = get(work_cpu_ns);
  s.work_blocked_ns = get(work_blocked_ns);
  s.empty_polls = get(empty_polls);
  s.zerocopy_sends = get(zerocopy_sends);
  s.zerocopy_completed = get(zerocopy_completed);
  s.zerocopy_copied = get(zerocopy_copied);
  s.zerocopy_refused = get(zerocopy_refused);
  s.dropped = get(dropped);
  s.handoffs = get(handoffs);
  s.handoff_ns = get(handoff_ns);
  s.connection_events = get(connection_events);
  s.idle_events = get(idle_events);
  s.accepts_while_busy = get(accepts_while_busy);
  s.listener_rank = listener_rank.load(std::memory_order_acquire);
  s.tid = tid.load(std::memory_order_acquire);
  for (int w = 0; w < kMaxCpus / 64; ++w) {
    uint64_t bits = get(cpus_seen[w]);
    for (int b = 0; bits && b < 64; ++b) {
      if (bits & (uint64_t{1} << b)) s.cpus_seen.push_back(w * 64 + b);
    }
  }
  return s;
}

}  // namespace echolab
