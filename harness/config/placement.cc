#include "harness/config/placement.h"

#include <algorithm>
#include <map>
#include <set>

namespace echolab {
namespace {

std::string thread_name(const std::string& role, int index) { return role + "#" + std::to_string(index); }

/// "a", "a and b", "a, b and c".
std::string join_and(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += i + 1 == items.size() ? " and " : ", ";
    out += items[i];
  }
  return out;
}

std::string join_commas(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string pus_text(const CpuList& cpus) { return (cpus.size() == 1 ? "PU " : "PUs ") + format_cpu_list(cpus); }

bool intersects(const CpuList& a, const std::set<int>& b) {
  return std::any_of(a.begin(), a.end(), [&](int cpu) { return b.count(cpu) > 0; });
}

/// One group's resolved set and planned threads.
struct GroupResult {
  const PlacementGroup* group;
  CpuList set;
  std::vector<PlannedThread> threads;

  std::set<int> used() const {
    std::set<int> all;
    for (const PlannedThread& t : threads) all.insert(t.cpus.begin(), t.cpus.end());
    return all;
  }
  /// Names of this group's threads running on any of `cpus`.
  std::vector<std::string> threads_on(const std::set<int>& cpus) const {
    std::vector<std::string> names;
    for (const PlannedThread& t : threads) {
      if (intersects(t.cpus, cpus)) names.push_back(thread_name(t.role, t.index));
    }
    return names;
  }
};

CpuList resolve_group(const Topology& topology, const PlacementGroup& group) {
  try {
    return topology.resolve(group.location);
  } catch (const std::invalid_argument& e) {
    throw PlacementError(group.side + ".cpus: " + e.what());
  }
}

/// Gives each thread of `group` its CPUs; warns when pinned threads share.
GroupResult plan_group(const Topology& topology, const PlacementGroup& group, std::vector<std::string>* warnings) {
  GroupResult result{&group, resolve_group(topology, group), {}};
  CpuList order =
      group.order == PlacementOrder::kSpread ? topology.spread_order(result.set) : topology.compact_order(result.set);
  std::map<int, std::vector<std::string>> sharing;  // PU -> pinned threads, in order
  int pinned = 0;
  for (const auto& [role, count] : group.roles) {
    bool floating = group.bind == BindMode::kSet || std::find(group.floating_roles.begin(), group.floating_roles.end(),
                                                              role) != group.floating_roles.end();
    for (int index = 0; index < count; ++index) {
      CpuList cpus = result.set;
      if (!floating) {
        int pu = order[pinned++ % order.size()];
        sharing[pu].push_back(thread_name(role, index));
        cpus = {pu};
      }
      result.threads.push_back({role, index, std::move(cpus)});
    }
  }
  if (pinned > static_cast<int>(order.size())) {
    std::vector<std::string> shares;
    for (int pu : order) {
      if (sharing[pu].size() > 1) shares.push_back(join_and(sharing[pu]) + " share PU " + std::to_string(pu));
    }
    warnings->push_back(group.side + ": " + std::to_string(pinned) + " threads on " + std::to_string(order.size()) +
                        " PUs with bind=thread: " + join_commas(shares));
  }
  CpuList unusable;
  for (int pu : result.set) {
    if (!topology.is_usable(pu)) unusable.push_back(pu);
  }
  if (!unusable.empty()) {
    warnings->push_back(group.side + ".cpus: " + pus_text(unusable) + " of '" + group.location + "'" +
                        (unusable.size() == 1 ? " is" : " are") + " outside this process's affinity mask (usable PUs " +
                        format_cpu_list(topology.usable_pus()) + "); binding may fail");
  }
  return result;
}

/// Warns when two groups share PUs or sit on SMT siblings of one core.
void check_overlap(const Topology& topology, const GroupResult& x, const GroupResult& y,
                   std::vector<std::string>* warnings) {
  // Name the sides alphabetically so the message does not depend on order.
  const GroupResult& a = x.group->side <= y.group->side ? x : y;
  const GroupResult& b = &a == &x ? y : x;
  const std::string sides = a.group->side + " and " + b.group->side;
  std::set<int> a_used = a.used(), b_used = b.used(), shared;
  std::set_intersection(a_used.begin(), a_used.end(), b_used.begin(), b_used.end(),
                        std::inserter(shared, shared.end()));
  if (!shared.empty()) {
    std::vector<std::string> names = a.threads_on(shared), b_names = b.threads_on(shared);
    names.insert(names.end(), b_names.begin(), b_names.end());
    warnings->push_back(sides + " share " + pus_text(CpuList(shared.begin(), shared.end())) + " (" +
                        join_commas(names) + ")");
  }
  // core -> {a's PUs, b's PUs} for sibling pairs not already reported.
  std::map<int, std::pair<std::set<int>, std::set<int>>> cores;
  for (int pa : a_used) {
    for (int pb : b_used) {
      if (shared.count(pa) || shared.count(pb)) continue;
      if (topology.relation(pa, pb) != PuRelation::kSmtSibling) continue;
      cores[topology.core_of(pa)].first.insert(pa);
      cores[topology.core_of(pa)].second.insert(pb);
    }
  }
  std::vector<std::string> parts;
  for (const auto& [core, pus] : cores) {
    auto side_text = [](const GroupResult& g, const std::set<int>& cpus) {
      return pus_text(CpuList(cpus.begin(), cpus.end())) + " (" + join_commas(g.threads_on(cpus)) + ")";
    };
    parts.push_back("core " + std::to_string(core) + ": " + side_text(a, pus.first) + " and " +
                    side_text(b, pus.second));
  }
  if (!parts.empty()) {
    warnings->push_back(sides + " run on SMT siblings of one core, sharing its execution units (" + join_commas(parts) +
                        ")");
  }
}

}  // namespace

PlacementPlan plan_placement(const Topology& topology, const std::vector<PlacementGroup>& groups,
                             bool overlap_allowed) {
  PlacementPlan plan;
  std::vector<GroupResult> results;
  for (const PlacementGroup& group : groups) results.push_back(plan_group(topology, group, &plan.warnings));
  if (!overlap_allowed) {
    for (size_t i = 0; i < results.size(); ++i) {
      for (size_t j = i + 1; j < results.size(); ++j) check_overlap(topology, results[i], results[j], &plan.warnings);
    }
  }
  for (GroupResult& result : results) {
    for (PlannedThread& thread : result.threads) {
      plan.cpus.set(thread.role, thread.index, thread.cpus);
      plan.threads.push_back(std::move(thread));
    }
  }
  return plan;
}

}  // namespace echolab
