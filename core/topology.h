#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/cpu_binding.h"
#include "core/location.h"

struct hwloc_topology;  // hwloc's opaque topology (hwloc_topology_t)

namespace echolab {

/// How close two PUs are, nearest first; names are a contract for results.
enum class PuRelation {
  kSamePu,        // "same_pu": one PU
  kSmtSibling,    // "smt_sibling": two hardware threads of one core
  kOtherCore,     // "other_core": other core, same L3 (or same package when no L3)
  kOtherL3,       // "other_l3": same package, different L3
  kOtherPackage,  // "other_package": different packages (sockets)
};

/// "same_pu", "smt_sibling", "other_core", "other_l3", "other_package".
const char* pu_relation_name(PuRelation relation);

/// Two PUs (OS indexes) standing for one relation on a machine.
struct PuPair {
  std::string relation;  // pu_relation_name(kind)
  PuRelation kind = PuRelation::kSamePu;
  int a = 0;
  int b = 0;
};

/// How many objects of each kind a topology has.
struct TopologyCounts {
  int packages = 0, numa_nodes = 0, l3 = 0, l2 = 0, cores = 0, pus = 0;
};

/// Owns one loaded hwloc topology (this machine, an XML file or a synthetic
/// description); immutable once loaded, so any thread may call it.
class Topology {
 public:
  /// This machine; usable PUs are the process's affinity mask.
  static std::unique_ptr<Topology> load_system();
  /// An hwloc XML file path, or a synthetic description "pack:2 core:8 pu:2"
  /// (every PU usable). Throws std::invalid_argument for a bad source.
  static std::unique_ptr<Topology> load(const std::string& source);
  /// A process-wide system topology, loaded on first use (thread-safe) and
  /// never destroyed; what binding uses.
  static const Topology& system();

  ~Topology();
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  /// Resolves "pu:1", "core:0-1", "numa:0", "l3:0", "pack:1", comma lists,
  /// "all" (the usable PUs) and bare OS lists "0-1" to OS PU indexes, sorted
  /// and unique. Typed indexes are hwloc logical indexes, as hwloc-calc
  /// reads them. Throws std::invalid_argument naming the location and what
  /// the topology has, e.g. "location 'pu:9': this topology has 2 PUs
  /// (pu:0-1)".
  CpuList resolve(const std::string& location) const;

  /// "1 package, 2 cores, 2 PUs" (+ NUMA nodes and L3s when more than one,
  /// SMT when cores have several PUs).
  std::string summary() const;
  /// Compact text drawing, lstopo-no-graphics style, one Core per line,
  /// marking PUs the process may not use.
  std::string draw() const;
  TopologyCounts counts() const;
  /// The topology as hwloc XML, loadable again with load() from a file
  /// (for recording the machine next to results).
  std::string export_xml() const;
  /// "this machine", the XML path or the synthetic description.
  const std::string& source() const { return source_; }
  bool is_system() const { return is_system_; }

  /// Every PU (OS indexes) in hwloc logical order.
  CpuList all_pus() const;
  /// The PUs this process may run on, ascending (the affinity mask; what
  /// the XML file allows; every PU of a synthetic topology).
  CpuList usable_pus() const;
  bool is_usable(int os_pu) const;
  bool has_pu(int os_pu) const { return find(os_pu) != nullptr; }
  /// Logical index of the core holding `os_pu` (-1 if unknown PU).
  int core_of(int os_pu) const;

  /// How close two PUs (OS indexes) are; throws std::invalid_argument for
  /// an unknown PU.
  PuRelation relation(int os_a, int os_b) const;
  /// One usable pair for each relation this machine has, nearest first.
  std::vector<PuPair> representative_pairs() const;

  /// `os_pus` in hwloc logical order (fill a core, then the next...).
  CpuList compact_order(const CpuList& os_pus) const;
  /// `os_pus` spread out: round-robin across packages, then L3s, then cores;
  /// the second PU of each core (SMT sibling) only after every core's first.
  CpuList spread_order(const CpuList& os_pus) const;

  /// The hwloc handle, for core/ binding code; read-only use only.
  hwloc_topology* handle() const { return topo_; }

 private:
  /// Where one PU sits, by hwloc logical indexes (-1: no such ancestor).
  struct PuInfo {
    int os = 0, logical = 0, core = -1, l3 = -1, package = -1, smt_rank = 0;
    bool usable = true;
  };

  Topology(hwloc_topology* topo, std::string source, bool is_system);
  void index_pus();
  const PuInfo* find(int os_pu) const;
  const PuInfo& get(int os_pu) const;
  CpuList resolve_objects(LocationType type, int first, int last, const std::string& fail) const;

  hwloc_topology* topo_;
  std::string source_;
  bool is_system_;
  std::vector<PuInfo> pus_;  // logical order
  std::vector<int> by_os_;   // OS index -> position in pus_, -1 if absent
};

}  // namespace echolab
