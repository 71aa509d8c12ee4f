#pragma once

#include "core/topology.h"
#include "harness/config/config_keys.h"
#include "harness/trial/trial_result.h"

namespace echolab {

/// Runs one trial in this process (server model + load client, or load
/// only against load.target when with_server is false). A run failure is
/// data (status "failed" or "skipped"), not an exception; bad config or
/// placement throws ConfigError / PlacementError. Call from one
/// controlling thread.
TrialResult run_trial(const Json& config, const Topology& topology, bool with_server);

/// The placement plan of a trial as JSON (for --dry-run and plan);
/// throws PlacementError.
Json plan_trial(const Json& config, const Topology& topology, bool with_server);

}  // namespace echolab
