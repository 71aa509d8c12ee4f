#pragma once

#include <time.h>

#include <cstdint>

namespace echolab {

/// CLOCK_MONOTONIC in nanoseconds (steady_clock's clock, read through the
/// vDSO): the one timestamp of hand-off queues, request latencies and the
/// reference clients. Any thread.
inline uint64_t monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace echolab
