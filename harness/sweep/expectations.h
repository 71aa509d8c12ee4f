#pragma once

#include <string>
#include <vector>

#include "harness/config/config_keys.h"

namespace echolab {

/// What a case said should happen and did not, one line per metric
/// ("server_threads_active: expected 2, got 1"); empty when every
/// expectation held. `expect` is {METRIC: VALUE or {"min": X, "max": Y}}
/// (validated by Spec); a metric the trial lacks counts as not met.
std::vector<std::string> unmet_expectations(const Json& expect, const Json& metrics);

}  // namespace echolab
