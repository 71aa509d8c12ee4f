// libFuzzer target: the control protocol's config line, as `echolab serve
// --control` and `load --control` read it from a sweep (over ssh): the JSON
// config, every key checked, then the trial's timing and server config
// derived from it.
#include "fuzz/fuzz_support.h"
#include "harness/config/trial_config.h"
#include "harness/remote/control_channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace echolab;
  const Json given = Json::parse(fuzz::text_of(data, size), nullptr, /*allow_exceptions=*/false);
  if (!given.is_object()) return 0;  // read_config refuses it before config_from_json
  try {
    const Json config = config_from_json(given);
    (void)timing_from(config);
    (void)server_config_from(config);
  } catch (const ConfigError& error) {
    fuzz::require_one_line("control", error.what());
  }
  return 0;
}
