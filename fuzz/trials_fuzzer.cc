// libFuzzer target: trials.jsonl as --resume reads it, then the summary
// built from whatever records it kept (summary.csv and the closing table).
#include <sstream>

#include "fuzz/fuzz_support.h"
#include "harness/sweep/results_dir.h"
#include "harness/sweep/sweep_summary.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace echolab;
  static const Spec spec = Spec::parse(
      R"({"name": "f", "matrix": {"server.model": ["single_thread", "reuseport"]}, "defaults": {"server": {"threads": 1}}})",
      "f.json");
  const TrialsText read = read_trials_text(fuzz::text_of(data, size), "trials.jsonl");
  for (const auto& warning : read.warnings) fuzz::require_one_line("trials", warning);
  SweepSummary summary(spec, read.records);
  std::ostringstream out;
  out << summary.csv();
  summary.print_table(out);
  return 0;
}
