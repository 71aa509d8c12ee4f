// Topology relations and thread orders: how close two PUs are, one PU pair
// per relation, compact and spread orders for the planner.
#include <algorithm>
#include <array>
#include <utility>

#include "core/topology.h"

namespace echolab {
namespace {

/// Orders `items` (indexes into `keys`) by grouping on keys[level] and
/// taking one from each group in turn, recursively for deeper levels.
std::vector<int> interleave(const std::vector<std::array<int, 3>>& keys, const std::vector<int>& items, size_t level) {
  if (level == 3 || items.size() <= 1) return items;
  std::vector<std::pair<int, std::vector<int>>> groups;  // first-seen order
  for (int item : items) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& g) { return g.first == keys[item][level]; });
    if (it == groups.end()) it = groups.insert(groups.end(), {keys[item][level], {}});
    it->second.push_back(item);
  }
  size_t longest = 0;
  for (auto& group : groups) {
    group.second = interleave(keys, group.second, level + 1);
    longest = std::max(longest, group.second.size());
  }
  std::vector<int> out;
  for (size_t round = 0; round < longest; ++round) {
    for (const auto& group : groups) {
      if (round < group.second.size()) out.push_back(group.second[round]);
    }
  }
  return out;
}

}  // namespace

const char* pu_relation_name(PuRelation relation) {
  switch (relation) {
    case PuRelation::kSamePu:
      return "same_pu";
    case PuRelation::kSmtSibling:
      return "smt_sibling";
    case PuRelation::kOtherCore:
      return "other_core";
    case PuRelation::kOtherL3:
      return "other_l3";
    case PuRelation::kOtherPackage:
      return "other_package";
  }
  return "?";
}

PuRelation Topology::relation(int os_a, int os_b) const {
  const PuInfo& a = get(os_a);
  const PuInfo& b = get(os_b);
  if (a.os == b.os) return PuRelation::kSamePu;
  if (a.core >= 0 && a.core == b.core) return PuRelation::kSmtSibling;
  if (a.package >= 0 && b.package >= 0 && a.package != b.package) return PuRelation::kOtherPackage;
  if (a.l3 >= 0 && b.l3 >= 0 && a.l3 != b.l3) return PuRelation::kOtherL3;
  return PuRelation::kOtherCore;
}

std::vector<PuPair> Topology::representative_pairs() const {
  std::vector<const PuInfo*> usable;
  for (const PuInfo& pu : pus_) {
    if (pu.usable) usable.push_back(&pu);
  }
  std::vector<PuPair> pairs;
  for (PuRelation kind : {PuRelation::kSamePu, PuRelation::kSmtSibling, PuRelation::kOtherCore, PuRelation::kOtherL3,
                          PuRelation::kOtherPackage}) {
    bool found = false;
    for (size_t i = 0; i < usable.size() && !found; ++i) {
      for (size_t j = i; j < usable.size() && !found; ++j) {
        if (relation(usable[i]->os, usable[j]->os) != kind) continue;
        pairs.push_back({pu_relation_name(kind), kind, usable[i]->os, usable[j]->os});
        found = true;
      }
    }
  }
  return pairs;
}

CpuList Topology::compact_order(const CpuList& os_pus) const {
  std::vector<const PuInfo*> infos;
  for (int os : os_pus) infos.push_back(&get(os));
  std::sort(infos.begin(), infos.end(), [](const PuInfo* a, const PuInfo* b) { return a->logical < b->logical; });
  CpuList out;
  for (const PuInfo* info : infos) {
    if (out.empty() || out.back() != info->os) out.push_back(info->os);
  }
  return out;
}

CpuList Topology::spread_order(const CpuList& os_pus) const {
  // Cores of the set in logical order, each with its PUs of the set.
  std::vector<std::array<int, 3>> keys;  // package, l3, core
  std::vector<CpuList> core_pus;
  for (int os : compact_order(os_pus)) {
    const PuInfo& pu = get(os);
    int core = pu.core >= 0 ? pu.core : -1 - pu.logical;  // a PU without a core is its own
    if (keys.empty() || keys.back()[2] != core) {
      keys.push_back({pu.package, pu.l3, core});
      core_pus.emplace_back();
    }
    core_pus.back().push_back(os);
  }
  std::vector<int> cores(keys.size());
  for (size_t i = 0; i < cores.size(); ++i) cores[i] = static_cast<int>(i);
  cores = interleave(keys, cores, 0);
  CpuList out;
  for (size_t rank = 0; out.size() < os_pus.size() && rank < os_pus.size(); ++rank) {
    for (int core : cores) {
      if (rank < core_pus[core].size()) out.push_back(core_pus[core][rank]);
    }
  }
  return out;
}

}  // namespace echolab
