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
/// killed sweep keeps an up-to-date summary), and at the end each point's
/// merged latency histogram (histograms/<config_id>.hgrm). Must be
/// registered after the TrialsFileReporter of the same ResultsDir. Main
/// thread only.
class SummaryCsvReporter : public TrialReporter {
 public:
  SummaryCsvReporter(const Spec& spec, ResultsDir& results) : spec_(spec), results_(results) {}
  void report(const Json&) override { write(false); }
  void finish() override { write(true); }

 private:
  void write(bool with_histograms) const;
  const Spec& spec_;
  ResultsDir& results_;
};

/// Writes a run's summary.csv and, with `with_histograms`, each point's
/// histograms/<config_id>.hgrm (for `run` at its end and `summarize`).
void write_summary_files(const Spec& spec, const ResultsDir& results, bool with_histograms);

}  // namespace echolab
