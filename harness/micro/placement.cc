#include "harness/micro/placement.h"

#include <algorithm>
#include <ostream>

namespace echolab::micro {
namespace {

/// Position of OS PU `os` in hwloc logical order.
int logical_index(const Topology& topology, int os) {
  const CpuList all = topology.all_pus();
  return static_cast<int>(std::find(all.begin(), all.end(), os) - all.begin());
}

/// Why no usable pair of PUs has `kind`.
const char* missing_reason(PuRelation kind) {
  switch (kind) {
    case PuRelation::kSamePu:
      return "the process may run on no PU";
    case PuRelation::kSmtSibling:
      return "no core has two usable PUs (no SMT)";
    case PuRelation::kOtherCore:
      return "no two usable cores share an L3 or a package";
    case PuRelation::kOtherL3:
      return "no package has two L3 caches with usable PUs";
    case PuRelation::kOtherPackage:
      return "every usable PU is in one package";
  }
  return "unknown relation";
}

}  // namespace

std::string Placement::pair_name(const std::string& benchmark) const {
  return benchmark + "/" + relation + "/pu:" + std::to_string(logical_a) + "-pu:" + std::to_string(logical_b);
}

std::string Placement::single_name(const std::string& benchmark) const {
  return benchmark + "/" + relation + "/pu:" + std::to_string(logical_a);
}

std::vector<Placement> machine_placements(const Topology& topology, std::ostream& skips) {
  const std::vector<PuPair> pairs = topology.representative_pairs();
  std::vector<Placement> placements;
  for (PuRelation kind : {PuRelation::kSamePu, PuRelation::kSmtSibling, PuRelation::kOtherCore, PuRelation::kOtherL3,
                          PuRelation::kOtherPackage}) {
    auto pair = std::find_if(pairs.begin(), pairs.end(), [kind](const PuPair& p) { return p.kind == kind; });
    if (pair == pairs.end()) {
      skips << "echolab-micro: skipping placement " << pu_relation_name(kind) << ": " << missing_reason(kind)
            << " (this machine: " << topology.summary() << "; usable PUs " << format_cpu_list(topology.usable_pus())
            << ")\n";
      continue;
    }
    placements.push_back(
        {pair->relation, pair->a, pair->b, logical_index(topology, pair->a), logical_index(topology, pair->b)});
  }
  return placements;
}

}  // namespace echolab::micro
