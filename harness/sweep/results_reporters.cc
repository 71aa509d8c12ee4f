#include "harness/sweep/results_reporters.h"

#include "harness/sweep/sweep_summary.h"

namespace echolab {

void write_summary_files(const Spec& spec, const ResultsDir& results, bool with_histograms) {
  const SweepSummary summary(spec, results.trials());
  results.write_file("summary.csv", summary.csv());
  if (!with_histograms) return;
  for (const auto& [name, text] : summary.histogram_files()) results.write_file(name, text);
}

void SummaryCsvReporter::write(bool with_histograms) const { write_summary_files(spec_, results_, with_histograms); }

}  // namespace echolab
