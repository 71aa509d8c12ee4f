#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
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

/// The whole machine's CPU time so far (all CPUs, /proc/stat), in seconds;
/// a plain value. Any thread may read it.
struct MachineCpu {
  double busy_s = 0;   // user + nice + system + irq + softirq
  double steal_s = 0;  // given by the hypervisor to other guests
};
std::optional<MachineCpu> read_machine_cpu();

/// Mean current frequency of the CPUs in MHz: cpufreq's scaling_cur_freq
/// where the kernel exposes it, else /proc/cpuinfo's "cpu MHz" (on a VM the
/// hypervisor's figure); nullopt where neither exists.
std::optional<double> read_cpu_mhz();
/// Where read_cpu_mhz() takes its figure on this machine, or why it has none.
std::string cpu_mhz_source();

/// `root` and every process descended from it now (a forking server's
/// children), root first; `depth` generations only when it is >= 0.
std::vector<pid_t> process_tree(pid_t root, int depth = -1);

/// Which processes hold the listening TCP sockets (IPv4 and IPv6, any
/// address) on `port` in this network namespace: one pid per socket, or -1
/// for a socket no process visible here holds. Empty: nothing listens.
std::vector<pid_t> listening_socket_holders(uint16_t port);

/// A process's command name (/proc/PID/comm), or "" if it is gone.
std::string process_name(pid_t pid);

/// User + system CPU seconds so far of process `root` and its descendants:
/// all their threads, the exited ones included, and their waited-for
/// children. Process-wide ticks keep what per-thread ticks lose when
/// thousands of threads each run for less than one tick.
std::optional<double> read_process_cpu_s(pid_t root);

/// A process's resident memory (/proc/PID/status), in KiB; a plain value.
struct MemoryStats {
  uint64_t rss_kb = 0;  // VmRSS
  uint64_t hwm_kb = 0;  // VmHWM: the peak of VmRSS
};
/// Memory of process `pid` (0: this process); nullopt if unreadable.
std::optional<MemoryStats> read_memory(pid_t pid);
/// Memory of `root` and its descendants, summed (pages they share count
/// once per process).
std::optional<MemoryStats> read_tree_memory(pid_t root);

/// The path of the running executable (/proc/self/exe), or "echolab".
std::string this_binary_path();

/// Raises RLIMIT_NOFILE (soft, and hard where permitted) to at least
/// `needed` descriptors; returns "" or a message naming the limit.
std::string raise_fd_limit(uint64_t needed);

/// Every thread of a process (for the external model).
std::vector<OsThreadStats> read_process_threads(pid_t pid);

}  // namespace echolab
