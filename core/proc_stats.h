#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace echolab {

/// What the kernel tells about one thread (from /proc); a plain value.
struct OsThreadStats {
  int tid = 0;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  uint64_t ctx_voluntary = 0;
  uint64_t ctx_involuntary = 0;
  uint64_t migrations = 0;
  bool migrations_known = false;
  int last_cpu = -1;

  OsThreadStats minus(const OsThreadStats& earlier) const;
};

/// Reads /proc/<pid>/task/<tid>/{stat,status,sched}; nullopt when the
/// thread is gone. pid 0 means this process. Any thread may call.
std::optional<OsThreadStats> read_thread_stats(pid_t pid, pid_t tid);
/// Steal time of the whole machine so far (all CPUs, from /proc/stat), in
/// seconds; nullopt where the kernel does not report it. Any thread.
std::optional<double> read_machine_steal_s();

/// Every thread of a process (for the external model).
std::vector<OsThreadStats> read_process_threads(pid_t pid);

}  // namespace echolab
