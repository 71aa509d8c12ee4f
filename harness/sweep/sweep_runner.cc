#include "harness/sweep/sweep_runner.h"

#include <set>
#include <utility>

#include "core/process_reaper.h"
#include "harness/remote/remote_trial.h"
#include "harness/sweep/expectations.h"
#include "harness/sweep/sweep_progress.h"
#include "harness/trial/interrupt_watch.h"
#include "harness/trial/trial_process.h"
#include "harness/trial/trial_runner.h"

namespace echolab {
namespace {

// The child's placement (planned + observed), or the plan when it has none.
Json placement_or_plan(const TrialResult& result, const Json& plan) {
  return result.placement.is_object() && !result.placement.empty() ? result.placement : plan;
}

}  // namespace

// Fisher-Yates with splitmix64 draws: the same seed gives the same order
// with any standard library (std::shuffle's draws are the library's own).
std::vector<const SpecPoint*> shuffled(std::vector<const SpecPoint*> points, uint64_t seed, int repetition) {
  uint64_t state = seed ^ (0x9e3779b97f4a7c15ULL * static_cast<uint64_t>(repetition));
  auto next = [&state] {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  };
  for (size_t i = points.size(); i > 1; --i) std::swap(points[i - 1], points[next() % i]);
  return points;
}

std::vector<PlannedTrial> interleaved_trials(const std::vector<const SpecPoint*>& points, int repetitions,
                                             const std::vector<Json>& done, std::optional<uint64_t> order_seed) {
  std::set<std::pair<std::string, int>> finished;
  for (const auto& record : done) {
    finished.insert({record.value("config_id", ""), record.value("repetition", 0)});
  }
  std::vector<PlannedTrial> trials;
  for (int repetition = 1; repetition <= repetitions; ++repetition) {
    for (const SpecPoint* point : order_seed ? shuffled(points, *order_seed, repetition) : points) {
      if (!finished.count({point->config_id, repetition})) trials.push_back({point, repetition});
    }
  }
  return trials;
}

SweepRunner::SweepRunner(const Spec& spec, const std::vector<const SpecPoint*>& points,
                         const std::vector<Json>& placements, const HostSessions* sessions)
    : spec_(spec), points_(points), placements_(placements), sessions_(sessions) {}

const Json& SweepRunner::placement_of(const SpecPoint& point) const {
  for (size_t i = 0; i < points_.size(); ++i) {
    if (points_[i] == &point) return placements_.at(i);
  }
  throw std::logic_error("point without a placement plan");
}

Json SweepRunner::record_of(const PlannedTrial& trial, const TrialResult& result, double wall_s) const {
  const SpecPoint& point = *trial.point;
  Json record = {{"schema", kResultSchema},        {"config_id", point.config_id},
                 {"repetition", trial.repetition}, {"point", point.number},
                 {"label", point.label},           {"varied", point.varied},
                 {"config", point.config},         {"status", result.status},
                 {"error", result.error},          {"placement", placement_or_plan(result, placement_of(point))},
                 {"metrics", result.metrics},      {"series", result.series}};
  if (!result.histograms.empty()) record["histograms"] = result.histograms;
  for (const auto& [key, value] : result.extra.items()) {
    if (!record.contains(key)) record[key] = value;  // e.g. server_address
  }
  if (sessions_) {
    const Json hosts = sessions_->hosts().to_json();
    record["hosts"] = {{"server", hosts["server"]}, {"clients", hosts["clients"]}};
  }
  for (const auto& [key, value] : point.notes.items()) record[key] = value;
  if (point.notes.contains("expect") && result.ok()) {
    const std::vector<std::string> unmet = unmet_expectations(point.notes["expect"], result.metrics);
    record["expect_met"] = unmet.empty();
    record["expect_failures"] = unmet;
  }
  record["wall_s"] = wall_s;
  record["finished_at"] = utc_iso_time();
  return record;
}

SweepOutcome SweepRunner::run(const ResultsDir& results, const Topology& topology,
                              const std::vector<TrialReporter*>& reporters, std::ostream& out, bool terminal) const {
  const std::vector<PlannedTrial> trials =
      interleaved_trials(points_, spec_.repetitions(), results.trials(), order_seed_);
  double planned_s = 0;
  for (const auto& trial : trials) planned_s += trial.point->estimated_seconds();
  // Whatever a trial starts that its warden misses (the warden itself
  // killed) is re-parented here and killed after the trial.
  become_subreaper();
  InterruptWatch interrupts;
  TrialProcess::TrialFunction over_hosts;
  if (sessions_) over_hosts = [this](const Json& config) { return run_hosts_trial(config, *sessions_); };
  const TrialProcess process(topology, interrupts, over_hosts, sessions_ ? kHostsTrialOverheadS : 0);
  SweepProgress progress(out, terminal, static_cast<int>(trials.size()), planned_s);
  SweepOutcome outcome;
  auto notice = [&] { progress.note("Ctrl-C: stopping after the trial in progress (Ctrl-C again aborts it)"); };
  for (const auto& trial : trials) {
    if (interrupts.count() > 0) {
      outcome.interrupted = true;
      break;
    }
    progress.trial_started(*trial.point, trial.repetition);
    TrialOutcome result =
        process.run(trial.point->config, trial.point->number, trial.repetition, placement_of(*trial.point), notice);
    const Json record = record_of(trial, result.result, result.wall_s);
    for (TrialReporter* reporter : reporters) reporter->report(record);
    progress.trial_finished(*trial.point, record, result.wall_s);
    ++outcome.ran;
    const std::string status = record["status"].get<std::string>();
    if (status == "ok") {
      ++outcome.ok;
    } else if (status == "skipped") {
      ++outcome.skipped;
    } else {
      ++outcome.failed;
    }
  }
  // Stopped early, or its last trial aborted by a second Ctrl-C: not finished.
  if ((interrupts.count() > 0 && outcome.ran < static_cast<int>(trials.size())) || interrupts.count() >= 2) {
    outcome.interrupted = true;
  }
  progress.finish();
  for (TrialReporter* reporter : reporters) reporter->finish();
  return outcome;
}

}  // namespace echolab
