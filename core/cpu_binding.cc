#include "core/cpu_binding.h"

#include <dirent.h>
#include <hwloc.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>
#include <system_error>

#include "core/hwloc_bitmap.h"
#include "core/topology.h"

namespace echolab {
namespace {

/// Throws std::system_error(EINVAL) when `cpus` names a PU this machine
/// lacks, so the message says which one rather than hwloc's bare EINVAL.
void check_on_machine(const Topology& machine, const CpuList& cpus, const std::string& what) {
  for (int cpu : cpus) {
    if (!machine.has_pu(cpu)) {
      throw std::system_error(EINVAL, std::generic_category(),
                              what + ": CPU " + std::to_string(cpu) + " is not on this machine (PUs " +
                                  format_cpu_list(machine.all_pus()) + ")");
    }
  }
}

/// Binds each thread listed in /proc/PID/task on its own; threads that
/// exit meanwhile are skipped.
void bind_each_task(const Topology& machine, int pid, const HwlocBitmap& set, const std::string& what) {
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  std::unique_ptr<DIR, int (*)(DIR*)> dir(opendir(path.c_str()), closedir);
  if (!dir) throw std::system_error(errno, std::generic_category(), what + ": list " + path);
  while (dirent* entry = readdir(dir.get())) {
    if (entry->d_name[0] == '.') continue;
    int tid = std::atoi(entry->d_name);
    if (hwloc_set_proc_cpubind(machine.handle(), tid, set.get(), HWLOC_CPUBIND_THREAD) != 0 && errno != ESRCH) {
      throw std::system_error(errno, std::generic_category(), what + " (thread " + std::to_string(tid) + ")");
    }
  }
}

}  // namespace

std::string format_cpu_list(const CpuList& cpus_in) {
  CpuList cpus = cpus_in;
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  std::string out;
  for (size_t i = 0; i < cpus.size();) {
    size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(cpus[i]);
    if (j > i) out += "-" + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

void bind_current_thread(const CpuList& cpus) {
  if (cpus.empty()) return;
  const Topology& machine = Topology::system();
  const std::string what = "bind thread to CPUs " + format_cpu_list(cpus);
  check_on_machine(machine, cpus, what);
  HwlocBitmap set(cpus);
  if (hwloc_set_cpubind(machine.handle(), set.get(), HWLOC_CPUBIND_THREAD) != 0) {
    throw std::system_error(errno, std::generic_category(), what);
  }
}

void bind_process(int pid, const CpuList& cpus) {
  if (cpus.empty()) return;
  const Topology& machine = Topology::system();
  const std::string what = "bind process " + std::to_string(pid) + " to CPUs " + format_cpu_list(cpus);
  check_on_machine(machine, cpus, what);
  HwlocBitmap set(cpus);
  if (hwloc_set_proc_cpubind(machine.handle(), pid, set.get(), HWLOC_CPUBIND_PROCESS) == 0) return;
  if (errno == ESRCH) throw std::system_error(errno, std::generic_category(), what);
  bind_each_task(machine, pid, set, what);
}

CpuList current_thread_binding() {
  HwlocBitmap set;
  if (hwloc_get_cpubind(Topology::system().handle(), set.get(), HWLOC_CPUBIND_THREAD) != 0) {
    throw std::system_error(errno, std::generic_category(), "read this thread's CPU binding");
  }
  return set.to_list();
}

CpuList CpuPlan::role_union(const std::string& role) const {
  std::set<int> all;
  for (const auto& [key, cpus] : plan_) {
    if (key.first == role) all.insert(cpus.begin(), cpus.end());
  }
  return CpuList(all.begin(), all.end());
}

}  // namespace echolab
