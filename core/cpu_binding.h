#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace echolab {

/// OS indices of the PUs a thread may run on; empty means "not bound".
using CpuList = std::vector<int>;

/// Formats {0,1,2,5} as "0-2,5" (taskset style).
std::string format_cpu_list(const CpuList& cpus);

/// Binds the calling thread to `cpus` (no-op when empty); throws
/// std::system_error when the kernel refuses.
void bind_current_thread(const CpuList& cpus);
/// Binds every thread of process `pid` to `cpus` (external servers).
void bind_process(int pid, const CpuList& cpus);
/// The CPUs the calling thread is bound to now (its affinity mask).
CpuList current_thread_binding();

/// The CPUs planned for each (role, index) thread of one trial; a plain
/// value built by the harness and read by models (any thread).
class CpuPlan {
 public:
  void set(const std::string& role, int index, CpuList cpus) { plan_[{role, index}] = std::move(cpus); }
  /// The plan for a thread; empty when the plan does not name it.
  CpuList cpus(const std::string& role, int index) const {
    auto it = plan_.find({role, index});
    return it == plan_.end() ? CpuList{} : it->second;
  }
  /// Union of every CPU planned for a role.
  CpuList role_union(const std::string& role) const;

 private:
  std::map<std::pair<std::string, int>, CpuList> plan_;
};

}  // namespace echolab
