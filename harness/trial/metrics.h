#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/proc_stats.h"
#include "harness/config/config_keys.h"
#include "harness/load/load_client.h"
#include "models/server_model.h"

namespace echolab {

/// One thread's counters and OS figures at one instant; a plain value.
struct ThreadObservation {
  std::string role;
  int index = 0;
  CounterSnapshot counters;
  bool has_counters = true;
  std::optional<OsThreadStats> os;
  std::string host;  // "" on this host; else the host it ran on (hosts.*)
};

/// Reads the OS figures of each reported thread of process `pid` (0: self).
std::vector<ThreadObservation> observe_threads(const std::vector<ServerThreadReport>& reports, int pid);

/// Inputs of the metric computation for one measured window.
struct WindowMeasurement {
  std::vector<ThreadObservation> server_start, server_end;
  std::vector<ThreadObservation> client_start, client_end;
  double window_s = 0;
  uint64_t echoed_bytes = 0;  // received by the client in the window
  size_t message_bytes = 0;
  std::vector<double> interval_mb_s;
  int interval_ms = 0;
  /// Client connections' echoed bytes at the window's start and end.
  std::vector<ConnectionBytes> connections_start, connections_end;
  std::optional<double> steal_s;         // machine steal time over the window
  std::optional<double> machine_busy_s;  // every CPU's busy time over the window, all processes
  std::optional<double> cpu_mhz;         // mean CPU frequency at the window's end, where known
  int placement_pus = 0;                 // distinct PUs of the server and client CPU sets
  /// Request workloads: the window's request counts and histograms.
  std::optional<RequestTotals> requests;
  double offered_requests_per_s = 0;  // open workload: load.rate
  int connections = 0;
  double connect_s = 0;  // time the client took to open its connections
  /// This process (client, and the server unless external) after the server
  /// started and before the client connected, and at the window's end.
  std::optional<MemoryStats> memory_base, memory_end;
  /// An external server's process at the same two instants.
  std::optional<MemoryStats> server_memory_base, server_memory_end;
  /// An external server's process-wide CPU seconds at the window's ends.
  std::optional<double> server_process_cpu_start, server_process_cpu_end;
};

/// The latency metrics of a histogram under `prefix` ("latency_us"):
/// _p50 .. _p9999, _max, _mean in microseconds (null when empty).
void add_latency_metrics(const LatencyHistogram& histogram, const std::string& prefix, Json& metrics);

/// The result schema's `metrics` object (docs/DESIGN.md "Results").
Json compute_metrics(const WindowMeasurement& window);

/// A client thread busy for this share of the window or more: the client,
/// not the server, may have set the pace.
constexpr double kClientBoundFraction = 0.9;
/// ... unless it spins (load.wait spin) and at least this share of its polls
/// found nothing: then it was waiting for the server.
constexpr double kSpinningClientIdlePollShare = 0.1;
/// An open loop that answered less than this share of its offered rate.
constexpr double kOverloadedRateShare = 0.95;
/// The trial record's instrument flags from its metrics: "client_bound"
/// (a client thread busy >= 90% of the window) and "overloaded" (an open
/// loop under 95% of its offered rate); each false when it cannot apply.
Json instrument_limits(const Json& metrics);

/// Jain's fairness index of the values (1 = perfectly even).
double jain_index(const std::vector<double>& values);
/// Coefficient of variation (population stdev / mean); 0 for < 2 values.
double coefficient_of_variation(const std::vector<double>& values);
/// Per-interval values averaged over bins of `per_bin` intervals (the last,
/// partial bin dropped): throughput at a coarser time scale.
std::vector<double> rebin(const std::vector<double>& values, size_t per_bin);

}  // namespace echolab
