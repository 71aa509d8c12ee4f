#include "harness/load/request_workloads.h"
#include "harness/load/stream_workload.h"
#include "harness/load/workload.h"

namespace echolab {

namespace {

// Functions, not globals: the table may be built during static initialisation.
OptionSpec depth_option() {
  return {"depth", OptionType::kInt,
          1LL,     "requests each connection keeps in flight (rr: 1 = ping-pong, more = pipelining)",
          {},      1,
          1 << 16};
}
OptionSpec timing_option() {
  return {"timing", OptionType::kBool, true,
          "time every request (off: count requests only, to measure what timing costs)"};
}

}  // namespace

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
      {"rr",
       "closed loop: each connection keeps load.depth requests in flight (1 = ping-pong, more = pipelining)",
       {depth_option(), timing_option()},
       {"requests_per_s", "latency_us_p50", "latency_us_p90", "latency_us_p99", "latency_us_p999", "latency_us_p9999",
        "latency_us_max", "latency_us_mean"},
       connect_rr,
       {},
       MessageFormat::kMinBytes},
      {"crr",
       "connect, one request, its echo, close, again, per connection slot (neper's tcp_crr)",
       {timing_option()},
       {"requests_per_s", "connects_per_s", "connect_us_p50", "connect_us_p99", "latency_us_p50", "latency_us_p99",
        "latency_us_max", "latency_us_mean"},
       connect_crr,
       {},
       MessageFormat::kMinBytes},
      {"open",
       "open loop: load.rate requests/s over all connections; latency from each request's intended send time",
       {{"rate",
         OptionType::kNumber,
         10000.0,
         "requests per second offered over all connections (open workload)",
         {},
         0.001,
         1e9},
        {"arrival",
         OptionType::kEnum,
         std::string("uniform"),
         "gaps between requests: even, or exponential (a Poisson process)",
         {"uniform", "poisson"}},
        {"seed",
         OptionType::kInt,
         0LL,
         "seed of the Poisson arrivals; 0: a fresh one per trial (recorded as open_loop_seed, to replay one)",
         {},
         0,
         2147483647},
        timing_option()},
       {"requests_per_s", "offered_requests_per_s", "requests_behind_schedule", "requests_not_sent",
        "requests_unanswered", "latency_uncorrected_us_p99", "latency_us_p50", "latency_us_p90", "latency_us_p99",
        "latency_us_p999", "latency_us_p9999", "latency_us_max", "latency_us_mean"},
       connect_open,
       drive_open,
       MessageFormat::kMinBytes},
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
