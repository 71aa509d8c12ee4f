#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "core/topology.h"

namespace echolab::micro {

/// Where a benchmark's two threads run: the relation of two PUs and their
/// indexes; a plain value, any thread.
struct Placement {
  std::string relation;  // pu_relation_name(): "same_pu", "other_core", ...
  int a = 0;             // OS index of the benchmark (main) thread's PU
  int b = 0;             // OS index of the partner thread's PU
  int logical_a = 0;     // hwloc logical indexes, as "pu:N" locations read them
  int logical_b = 0;

  bool shares_pu() const { return a == b; }
  /// "BM_X/other_core/pu:0-pu:1": benchmark, placement, both PUs (logical).
  std::string pair_name(const std::string& benchmark) const;
  /// "BM_X/same_pu/pu:0": benchmark, placement, the benchmark thread's PU.
  std::string single_name(const std::string& benchmark) const;
};

/// One Placement per PU relation the machine offers, nearest first (from
/// Topology::representative_pairs); for each relation it lacks, writes one
/// line to `skips` saying why.
std::vector<Placement> machine_placements(const Topology& topology, std::ostream& skips);

}  // namespace echolab::micro
