#pragma once

#include <optional>
#include <vector>

#include "core/topology.h"
#include "harness/config/config_keys.h"
#include "harness/config/placement.h"
#include "harness/trial/metrics.h"
#include "harness/trial/trial_result.h"
#include "models/server_model.h"

namespace echolab {

/// When a trial starts, for a trial whose parts run on several hosts
/// (harness/remote): a plain value.
struct TrialSchedule {
  /// Connect at this wall-clock second and begin the measured window at
  /// it + warm-up, so every host's window lines up; none: start now.
  std::optional<double> start_wall_s;
  /// Put the raw measurement in extra["window"] (window_to_json), for the
  /// sweep that merges the hosts' parts.
  bool keep_window = false;
};

/// Runs one trial in this process (server model + load client, or load
/// only against load.target when with_server is false). A run failure is
/// data (status "failed" or "skipped"), not an exception; bad config or
/// placement throws ConfigError / PlacementError. Call from one
/// controlling thread.
TrialResult run_trial(const Json& config, const Topology& topology, bool with_server,
                      const TrialSchedule& schedule = {});

/// The placement plan of a trial as JSON (for --dry-run and plan);
/// throws PlacementError.
Json plan_trial(const Json& config, const Topology& topology, bool with_server);

/// A placement plan as the result schema's `placement` (observed empty).
Json placement_json(const PlacementPlan& plan);
/// Appends one host's placement (`part`, placement_json's form) to
/// `placement`: rows tagged with "host", warnings prefixed with it.
void append_host_placement(Json& placement, const Json& part, const std::string& host);
/// PUs a plan's threads may use, each counted once.
int distinct_pus(const PlacementPlan& plan);
/// Copies each reported thread's CPUs seen into `placement`'s rows.
void fill_observed(Json& placement, const std::vector<ServerThreadReport>& reports);

/// The server's side of a window edge: its threads, and for a server in a
/// process of its own (pid > 0) its process CPU; `at_start` picks which
/// edge of `window` is filled.
void observe_server_edge(const ServerModel& model, bool at_start, WindowMeasurement& window);
/// The machine's side of a window edge: steal and busy time (differences
/// once both edges are seen), and at the end the CPU frequency.
void observe_machine_edge(bool at_start, std::optional<MachineCpu>& start, WindowMeasurement& window);

}  // namespace echolab
