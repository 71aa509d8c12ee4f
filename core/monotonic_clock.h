#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <thread>

namespace echolab {

/// CLOCK_MONOTONIC in nanoseconds (steady_clock's clock, read through the
/// vDSO): the one timestamp of hand-off queues, request latencies and the
/// reference clients. Any thread.
inline uint64_t monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1'000'000'000u + static_cast<uint64_t>(now.tv_nsec);
}

/// Seconds since the epoch (CLOCK_REALTIME): the one clock hosts share
/// (through NTP), used to line up the measured windows of a trial whose
/// parts run on several hosts. Any thread.
inline double wall_clock_s() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// Sleeps until wall-clock second `epoch_s`; returns at once if it is past.
inline void sleep_until_wall_clock(double epoch_s) {
  std::this_thread::sleep_until(std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::duration<double>(epoch_s))));
}

}  // namespace echolab
