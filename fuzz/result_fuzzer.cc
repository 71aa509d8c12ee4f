// libFuzzer target: a trial's result as the sweep reads it from the trial's
// process (TrialResult::from_json); what it keeps must survive its own
// round trip unchanged.
#include "fuzz/fuzz_support.h"
#include "harness/trial/trial_result.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace echolab;
  const Json json = Json::parse(fuzz::text_of(data, size), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;  // the sweep reports unreadable output
  TrialResult result;
  try {
    result = TrialResult::from_json(json);
  } catch (const std::invalid_argument& error) {
    fuzz::require_one_line("result", error.what());
    return 0;
  }
  const Json written = result.to_json();
  if (TrialResult::from_json(written).to_json() != written) {
    std::fprintf(stderr, "result: to_json(from_json(x)) is not a fixed point\n");
    std::abort();
  }
  return 0;
}
