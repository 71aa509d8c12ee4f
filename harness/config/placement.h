#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/cpu_binding.h"
#include "core/topology.h"

namespace echolab {

/// A placement request could not be satisfied (bad location, empty set...);
/// the message names the location and what the topology has. Exit code 2.
class PlacementError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class BindMode { kThread, kSet };
enum class PlacementOrder { kCompact, kSpread };

/// The threads of one side (server or client) and where they may run.
struct PlacementGroup {
  std::string side;      // "server" or "client": named in warnings
  std::string location;  // hwloc-calc style: "pu:1", "core:0-1", "all", "0-1"
  BindMode bind = BindMode::kThread;
  PlacementOrder order = PlacementOrder::kCompact;
  /// Roles in the order they take PUs, e.g. {{"acceptor",1},{"server",4}}.
  std::vector<std::pair<std::string, int>> roles;
  /// Roles that float over the whole set even with bind=thread (sampler).
  std::vector<std::string> floating_roles;
};

/// One thread's planned CPUs.
struct PlannedThread {
  std::string role;
  int index = 0;
  CpuList cpus;
};

/// The result of planning every group of a trial; a plain value.
struct PlacementPlan {
  CpuPlan cpus;                        // what models and the client read
  std::vector<PlannedThread> threads;  // in group/role order
  std::vector<std::string> warnings;   // overlaps, shared PUs
};

/// Plans every group on `topology`. Throws PlacementError for a location
/// the topology lacks or malformed syntax. Warns (naming both roles) when
/// groups share PUs or SMT siblings unless overlap_allowed, and when
/// bind=thread puts more threads than PUs (naming the threads that share).
PlacementPlan plan_placement(const Topology& topology, const std::vector<PlacementGroup>& groups, bool overlap_allowed);

}  // namespace echolab
