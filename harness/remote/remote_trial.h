#pragma once

#include "harness/config/config_keys.h"
#include "harness/remote/hosts.h"
#include "harness/trial/trial_result.h"

namespace echolab {

/// Runs one trial whose server and clients run on the sweep's hosts: starts
/// `echolab serve --control` on the server host, `echolab load --control`
/// on every client host with one start time, tells the server which window
/// to measure, stops it, and merges every part into one result (bytes
/// summed, histograms merged, thread and placement rows tagged with their
/// host). A host that fails or drops fails the trial with its message.
/// Call from one thread (a trial's child process).
TrialResult run_hosts_trial(const Json& config, const HostSessions& sessions);

/// Seconds a hosts trial may take beyond its own deadline (ssh set-up,
/// start and the parts' hand-over).
constexpr double kHostsTrialOverheadS = 20;

}  // namespace echolab
