#include "harness/load/stream_workload.h"
#include "harness/load/workload.h"

namespace echolab {

const std::vector<WorkloadInfo>& workload_registry() {
  static const std::vector<WorkloadInfo> workloads = {
      {"stream",
       "write whenever writable, read the echoes back (the forum's client)",
       {{"inflight_messages",
         OptionType::kInt,
         0LL,
         "messages a connection may have in flight (0: no cap, write whenever writable, as the forum's client)",
         {},
         0,
         1 << 20}},
       {"throughput_mb_s", "msgs_per_s", "interval_cv"},
       connect_stream},
  };
  return workloads;
}

const WorkloadInfo* find_workload(std::string_view name) {
  for (const auto& workload : workload_registry()) {
    if (workload.name == name) return &workload;
  }
  return nullptr;
}

}  // namespace echolab
