#pragma once

#include "harness/sweep/results_dir.h"
#include "harness/sweep/spec.h"
#include "harness/trial/trial_reporter.h"

namespace echolab {

/// Appends each trial record to the run's trials.jsonl (fsynced per line);
/// the ResultsDir must outlive it. Main thread only.
class TrialsFileReporter : public TrialReporter {
 public:
  explicit TrialsFileReporter(ResultsDir& results) : results_(results) {}
  void report(const Json& record) override { results_.append_trial(record); }

 private:
  ResultsDir& results_;
};

/// Rewrites summary.csv from every record of the run after each trial (so a
/// killed sweep keeps an up-to-date summary). Must be registered after the
/// TrialsFileReporter of the same ResultsDir. Main thread only.
class SummaryCsvReporter : public TrialReporter {
 public:
  SummaryCsvReporter(const Spec& spec, ResultsDir& results) : spec_(spec), results_(results) {}
  void report(const Json&) override { write(); }
  void finish() override { write(); }

 private:
  void write() const;
  const Spec& spec_;
  ResultsDir& results_;
};

}  // namespace echolab
