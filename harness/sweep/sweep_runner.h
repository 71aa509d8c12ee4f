#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <vector>

#include "core/topology.h"
#include "harness/config/config_keys.h"
#include "harness/remote/hosts.h"
#include "harness/sweep/results_dir.h"
#include "harness/sweep/spec.h"
#include "harness/trial/trial_reporter.h"
#include "harness/trial/trial_result.h"

namespace echolab {

/// One trial of a sweep: a point and a repetition (1-based); a plain value.
struct PlannedTrial {
  const SpecPoint* point = nullptr;
  int repetition = 0;
};

/// The trials of `points` not yet in `done` (records with config_id and
/// repetition), interleaved: repetition 1 of every point, then 2, ... Within
/// a repetition the points run in spec order without `order_seed`, else in
/// an order shuffled afresh for each repetition from the seed and the
/// repetition number (the same seed gives the same orders on any machine).
std::vector<PlannedTrial> interleaved_trials(const std::vector<const SpecPoint*>& points, int repetitions,
                                             const std::vector<Json>& done,
                                             std::optional<uint64_t> order_seed = std::nullopt);

/// How a sweep ended; a plain value.
struct SweepOutcome {
  int ran = 0;
  int ok = 0;
  int failed = 0;  // "failed" or "timeout"
  int skipped = 0;
  bool interrupted = false;  // Ctrl-C: trials were left to run
};

/// Runs the missing trials of a sweep, each in its own process, and hands
/// every record to the reporters as it ends (trials.jsonl, summary.csv);
/// stops after the trial in progress on Ctrl-C. Main thread only.
class SweepRunner {
 public:
  /// `points` (selected by --filter) and `placements` (their plans, same
  /// order) must outlive the runner.
  /// `sessions`: the sweep's other hosts (nullptr: every trial runs here).
  SweepRunner(const Spec& spec, const std::vector<const SpecPoint*>& points, const std::vector<Json>& placements,
              const HostSessions* sessions = nullptr);

  /// Shuffles the points afresh in each repetition from this seed (see
  /// interleaved_trials); without it they run in spec order.
  void shuffle_points(std::optional<uint64_t> order_seed) { order_seed_ = order_seed; }

  /// Runs the trials `results` does not have yet.
  SweepOutcome run(const ResultsDir& results, const Topology& topology, const std::vector<TrialReporter*>& reporters,
                   std::ostream& out, bool terminal) const;

 private:
  /// The trials.jsonl line of a trial: identity, resolved config, result.
  Json record_of(const PlannedTrial& trial, const TrialResult& result, double wall_s) const;
  const Json& placement_of(const SpecPoint& point) const;

  const Spec& spec_;
  const std::vector<const SpecPoint*>& points_;
  const std::vector<Json>& placements_;
  const HostSessions* sessions_;
  std::optional<uint64_t> order_seed_;
};

}  // namespace echolab
