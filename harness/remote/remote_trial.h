#pragma once

#include <set>
#include <string>

#include "harness/config/config_keys.h"
#include "harness/remote/hosts.h"
#include "harness/trial/metrics.h"
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

/// The hosts' parts of one trial, merged as their result lines arrive
/// (`window`, `placement`, `series` and an optional `warning` each); a part
/// that is not of that form throws (std::invalid_argument or
/// Json::exception, one line) and fails the trial. One thread.
struct HostsMerge {
  WindowMeasurement whole;
  Json placement = {{"threads", Json::array()}, {"warnings", Json::array()}};
  Json series = Json::object();    // the clients' rates summed interval by interval
  std::set<std::string> machines;  // host urls already counted (steal and busy time once per machine)
  std::string warning;             // the last part's warning, prefixed with who said it

  /// Adds the part `who` (e.g. "client on b") sent from `host`; a client's
  /// series is summed into `series`.
  void add(const Json& part, const std::string& who, const HostAddress& host, bool client);
};

/// Adds one client host's per-interval series to `series`: rates summed
/// over the intervals both have, times cut to match, a p99 dropped (p99s
/// cannot be added).
void merge_client_series(Json& series, const Json& part);

/// Seconds a hosts trial may take beyond its own deadline (ssh set-up,
/// start and the parts' hand-over).
constexpr double kHostsTrialOverheadS = 20;

}  // namespace echolab
