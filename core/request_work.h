#pragma once

#include <cstddef>
#include <cstdint>

#include "core/thread_counters.h"

namespace echolab {

/// The work a server does per request (server.work_cpu_us,
/// server.work_block_us), and the request size it counts requests by; a
/// plain value. With both times 0 nothing is done and nothing is counted.
struct WorkPerRequest {
  size_t message_bytes = 0;  // a request is this many received bytes (load.message_bytes)
  double cpu_us = 0;         // computation on the serving thread (a calibrated loop)
  double block_us = 0;       // then a blocking wait of the serving thread (a timed sleep)
  bool any() const { return message_bytes > 0 && (cpu_us > 0 || block_us > 0); }
};

/// Iterations of spin_iterations() that take one microsecond of CPU on this
/// machine: measured once per process, on first use, in the calibrating
/// thread's CPU time (the best of 5 runs of about 2 ms), so time the thread
/// spent preempted does not count. Any thread.
double spin_iterations_per_us();

/// Runs `iterations` rounds of integer mixing that the compiler cannot
/// remove or fold; returns the mix so the caller can keep it. Any thread.
uint64_t spin_iterations(uint64_t iterations);

/// Does `requests` requests' work on the calling thread: cpu_us of the
/// calibrated loop, then block_us of sleep (to an absolute deadline, timer
/// slack 1 us), each request in turn, and counts into `counters` the
/// requests worked and the wall time spent in each kind (a preempted
/// thread's loop takes longer than its cpu_us: the time says so).
void do_request_work(const WorkPerRequest& work, ThreadCounters& counters, uint64_t requests);

/// Counts one connection's received bytes into whole requests of
/// WorkPerRequest::message_bytes, so the work of a request split over reads
/// happens once its last byte has arrived (before that byte is echoed).
/// Owned by one connection; called by the thread serving it.
class RequestCounter {
 public:
  explicit RequestCounter(size_t message_bytes) : message_bytes_(message_bytes) {}
  /// The counter a connection keeps for `work`: it counts only when there
  /// is work to do.
  static RequestCounter for_work(const WorkPerRequest& work) {
    return RequestCounter(work.any() ? work.message_bytes : 0);
  }
  /// `bytes` more arrived: how many requests they complete.
  uint64_t complete(size_t bytes) {
    if (message_bytes_ == 0) return 0;
    const size_t total = into_request_ + bytes;
    into_request_ = total % message_bytes_;
    return total / message_bytes_;
  }
  /// Bytes of the request now arriving (received after the last complete one).
  size_t partial_bytes() const { return into_request_; }

 private:
  size_t message_bytes_;
  size_t into_request_ = 0;  // bytes of the request now arriving
};

/// `bytes` more arrived on a connection whose requests `requests` counts:
/// does the work of each request they complete, on the calling thread,
/// before the caller echoes them (nothing, one branch, without work).
inline void work_on_arrival(const WorkPerRequest& work, RequestCounter& requests, ThreadCounters& counters,
                            size_t bytes) {
  if (work.any()) do_request_work(work, counters, requests.complete(bytes));
}

}  // namespace echolab
