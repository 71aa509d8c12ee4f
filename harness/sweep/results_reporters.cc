#include "harness/sweep/results_reporters.h"

#include "harness/sweep/sweep_summary.h"

namespace echolab {

void SummaryCsvReporter::write() const {
  results_.write_file("summary.csv", SweepSummary(spec_, results_.trials()).csv());
}

}  // namespace echolab
