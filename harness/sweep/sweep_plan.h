#pragma once

#include <ostream>
#include <vector>

#include "core/topology.h"
#include "harness/config/config_keys.h"
#include "harness/sweep/spec.h"

namespace echolab {

/// What `echolab plan` (and `run --dry-run`) prints: the selected points
/// with their varied keys and label, trials = points x repetitions, the
/// estimated duration, and each point's placement with its warnings.
/// `placements` are the plans of `points`, same order.
void print_sweep_plan(std::ostream& out, const Spec& spec, const std::vector<const SpecPoint*>& points,
                      const std::vector<Json>& placements, const Topology& topology);

}  // namespace echolab
