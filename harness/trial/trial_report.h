#pragma once

#include <ostream>

#include "harness/config/config_keys.h"

namespace echolab {

/// Writes a trial result (run_trial's JSON) as a short human-readable table.
void print_trial_table(std::ostream& out, const Json& result);
/// Writes a placement plan (plan_trial's JSON) as one line per thread.
void print_placement(std::ostream& out, const Json& placement);

}  // namespace echolab
