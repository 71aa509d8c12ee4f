#include "core/proc_stats.h"

#include <dirent.h>
#include <limits.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

namespace echolab {
namespace {

std::string task_dir(pid_t pid, pid_t tid) {
  std::string base = pid == 0 ? "/proc/self" : "/proc/" + std::to_string(pid);
  return base + "/task/" + std::to_string(tid);
}

}  // namespace

OsThreadStats OsThreadStats::minus(const OsThreadStats& earlier) const {
  OsThreadStats d = *this;
  d.cpu_user_s -= earlier.cpu_user_s;
  d.cpu_sys_s -= earlier.cpu_sys_s;
  d.ctx_voluntary -= earlier.ctx_voluntary;
  d.ctx_involuntary -= earlier.ctx_involuntary;
  d.migrations -= earlier.migrations;
  return d;
}

namespace {

// The fields of a /proc stat file from field 3 (state) on: the command name
// may contain spaces, so they resume after the last ')'.
std::optional<std::istringstream> stat_fields(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 > line.size()) return std::nullopt;
  return std::istringstream(line.substr(close + 2));
}

}  // namespace

std::optional<OsThreadStats> read_thread_stats(pid_t pid, pid_t tid) {
  const std::string dir = task_dir(pid, tid);
  OsThreadStats stats;
  stats.tid = tid;
  {
    auto stat = stat_fields(dir + "/stat");
    if (!stat) return std::nullopt;
    std::istringstream& fields = *stat;
    std::string field;
    static const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    // Field 3 is state; utime is field 14, stime 15, processor 39.
    for (int number = 3; fields >> field; ++number) {
      if (number == 14) stats.cpu_user_s = std::stod(field) / ticks;
      if (number == 15) stats.cpu_sys_s = std::stod(field) / ticks;
      if (number == 39) {
        stats.last_cpu = std::stoi(field);
        break;
      }
    }
  }
  {
    std::ifstream in(dir + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("voluntary_ctxt_switches:", 0) == 0) stats.ctx_voluntary = std::stoull(line.substr(24));
      if (line.rfind("nonvoluntary_ctxt_switches:", 0) == 0) stats.ctx_involuntary = std::stoull(line.substr(27));
    }
  }
  {
    // se.nr_migrations exists when the kernel has CONFIG_SCHED_DEBUG.
    std::ifstream in(dir + "/sched");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("se.nr_migrations", 0) == 0) {
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          stats.migrations = std::stoull(line.substr(colon + 1));
          stats.migrations_known = true;
        }
        break;
      }
    }
  }
  return stats;
}

std::vector<OsThreadStats> read_process_threads(pid_t pid) {
  std::vector<OsThreadStats> result;
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = opendir(path.c_str());
  if (!dir) return result;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    if (auto stats = read_thread_stats(pid, std::stoi(entry->d_name))) result.push_back(*stats);
  }
  closedir(dir);
  return result;
}

std::optional<MachineCpu> read_machine_cpu() {
  std::ifstream stat("/proc/stat");
  std::string label;
  // cpu  user nice system idle iowait irq softirq steal ...
  uint64_t fields[8] = {};
  if (!(stat >> label) || label != "cpu") return std::nullopt;
  for (auto& field : fields) {
    if (!(stat >> field)) return std::nullopt;
  }
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  MachineCpu cpu;
  cpu.busy_s = static_cast<double>(fields[0] + fields[1] + fields[2] + fields[5] + fields[6]) / ticks;
  cpu.steal_s = static_cast<double>(fields[7]) / ticks;
  return cpu;
}

namespace {

// Mean of scaling_cur_freq over the CPUs that have cpufreq, in MHz.
std::optional<double> cpufreq_mhz() {
  double total = 0;
  int count = 0;
  for (int cpu = 0; cpu < 4096; ++cpu) {
    std::ifstream in("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/cpufreq/scaling_cur_freq");
    double khz = 0;
    if (!(in >> khz)) {
      if (!std::ifstream("/sys/devices/system/cpu/cpu" + std::to_string(cpu))) break;  // no such CPU: done
      continue;
    }
    total += khz / 1000.0;
    ++count;
  }
  if (count == 0) return std::nullopt;
  return total / count;
}

// Mean of the "cpu MHz" lines of /proc/cpuinfo.
std::optional<double> cpuinfo_mhz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  double total = 0;
  int count = 0;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) != 0) continue;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    try {
      total += std::stod(line.substr(colon + 1));
      ++count;
    } catch (const std::exception&) {
    }
  }
  if (count == 0) return std::nullopt;
  return total / count;
}

}  // namespace

std::optional<double> read_cpu_mhz() {
  if (auto mhz = cpufreq_mhz()) return mhz;
  return cpuinfo_mhz();
}

std::string cpu_mhz_source() {
  if (cpufreq_mhz()) return "cpufreq: mean scaling_cur_freq over the CPUs";
  if (cpuinfo_mhz()) {
    return "/proc/cpuinfo 'cpu MHz' (no cpufreq here): on a virtual machine the clock the hypervisor reports, "
           "which need not follow the real frequency";
  }
  return "none: neither cpufreq nor a 'cpu MHz' line in /proc/cpuinfo, so cpu_mhz is null";
}

}  // namespace echolab

namespace echolab {

std::vector<pid_t> process_tree(pid_t root, int depth) {
  std::map<pid_t, std::vector<pid_t>> children;
  if (DIR* proc = opendir("/proc")) {
    while (dirent* entry = readdir(proc)) {
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      auto stat = stat_fields(std::string("/proc/") + entry->d_name + "/stat");
      std::string state, parent;
      if (stat && *stat >> state >> parent) children[std::stoi(parent)].push_back(std::stoi(entry->d_name));
    }
    closedir(proc);
  }
  std::vector<pid_t> tree = {root};
  std::vector<int> depths = {0};
  for (size_t i = 0; i < tree.size(); ++i) {
    if (depth >= 0 && depths[i] >= depth) continue;
    for (pid_t child : children[tree[i]]) {
      tree.push_back(child);
      depths.push_back(depths[i] + 1);
    }
  }
  return tree;
}

std::vector<pid_t> listening_socket_holders(uint16_t port) {
  // /proc/net/tcp{,6}: "sl local_address rem_address st ... inode", the
  // port in hex after the colon, state 0A is LISTEN.
  std::set<std::string> inodes;
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
        continue;
      const size_t colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;
      if (std::stoul(local.substr(colon + 1), nullptr, 16) == port) inodes.insert("socket:[" + inode + "]");
    }
  }
  std::map<std::string, pid_t> holder;
  if (!inodes.empty()) {
    if (DIR* proc = opendir("/proc")) {
      while (dirent* entry = readdir(proc)) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
        const std::string fds = std::string("/proc/") + entry->d_name + "/fd";
        std::error_code error;
        for (const auto& fd : std::filesystem::directory_iterator(fds, error)) {
          std::error_code link_error;
          const std::string target = std::filesystem::read_symlink(fd.path(), link_error).string();
          if (!link_error && inodes.count(target) && !holder.count(target)) holder[target] = std::stoi(entry->d_name);
        }
      }
      closedir(proc);
    }
  }
  std::vector<pid_t> holders;
  for (const auto& inode : inodes) holders.push_back(holder.count(inode) ? holder[inode] : -1);
  return holders;
}

std::string process_name(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(in, name);
  return name;
}

std::optional<double> read_process_cpu_s(pid_t root) {
  double ticks_total = 0;
  bool seen = false;
  for (pid_t pid : process_tree(root)) {
    auto stat = stat_fields("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) continue;  // exited since the scan
    std::string field;
    // Field 3 is state; utime 14, stime 15, cutime 16, cstime 17.
    for (int number = 3; number <= 17 && *stat >> field; ++number) {
      if (number >= 14) ticks_total += std::stod(field);
    }
    seen = true;
  }
  if (!seen) return std::nullopt;
  return ticks_total / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<MemoryStats> read_tree_memory(pid_t root) {
  std::optional<MemoryStats> total;
  for (pid_t pid : process_tree(root)) {
    if (auto memory = read_memory(pid)) {
      if (!total) total = MemoryStats{};
      total->rss_kb += memory->rss_kb;
      total->hwm_kb += memory->hwm_kb;
    }
  }
  return total;
}

std::optional<MemoryStats> read_memory(pid_t pid) {
  std::ifstream status(pid == 0 ? std::string("/proc/self/status") : "/proc/" + std::to_string(pid) + "/status");
  if (!status) return std::nullopt;
  MemoryStats memory;
  bool seen = false;
  std::string line;
  while (std::getline(status, line)) {
    std::istringstream fields(line);
    std::string name;
    uint64_t kb = 0;
    fields >> name >> kb;
    if (name == "VmRSS:") {
      memory.rss_kb = kb;
      seen = true;
    } else if (name == "VmHWM:") {
      memory.hwm_kb = kb;
    }
  }
  if (!seen) return std::nullopt;
  return memory;
}

std::string raise_fd_limit(uint64_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return "";
  if (limit.rlim_cur >= needed) return "";
  if (limit.rlim_max < needed) {
    rlimit raised{needed, needed};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return "";  // allowed for root (CAP_SYS_RESOURCE)
  }
  limit.rlim_cur = std::min<rlim_t>(limit.rlim_max, needed);
  setrlimit(RLIMIT_NOFILE, &limit);
  getrlimit(RLIMIT_NOFILE, &limit);
  if (limit.rlim_cur >= needed) return "";
  return "needs " + std::to_string(needed) + " file descriptors but RLIMIT_NOFILE allows " +
         std::to_string(limit.rlim_cur) + " (hard limit " + std::to_string(limit.rlim_max) +
         "; raise it with `ulimit -Hn` as root, or use fewer connections)";
}

std::string this_binary_path() {
  char self[PATH_MAX] = {};
  const ssize_t length = ::readlink("/proc/self/exe", self, sizeof self - 1);
  return length > 0 ? std::string(self, static_cast<size_t>(length)) : "echolab";
}

}  // namespace echolab
