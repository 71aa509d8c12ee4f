#include "core/topology.h"

#include <hwloc.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <stdexcept>
#include <utility>

#include "core/hwloc_bitmap.h"
#include "core/location.h"
#include "core/printable.h"

namespace echolab {
namespace {

hwloc_obj_type_t hwloc_type(LocationType type) {
  switch (type) {
    case LocationType::kPu:
      return HWLOC_OBJ_PU;
    case LocationType::kCore:
      return HWLOC_OBJ_CORE;
    case LocationType::kL2:
      return HWLOC_OBJ_L2CACHE;
    case LocationType::kL3:
      return HWLOC_OBJ_L3CACHE;
    case LocationType::kNuma:
      return HWLOC_OBJ_NUMANODE;
    case LocationType::kPackage:
      return HWLOC_OBJ_PACKAGE;
  }
  return HWLOC_OBJ_PU;
}

int count_of(hwloc_topology_t topo, hwloc_obj_type_t type) { return std::max(0, hwloc_get_nbobjs_by_type(topo, type)); }

int ancestor_index(hwloc_topology_t topo, hwloc_obj_t pu, hwloc_obj_type_t type) {
  hwloc_obj_t obj = hwloc_get_ancestor_obj_by_type(topo, type, pu);
  return obj ? static_cast<int>(obj->logical_index) : -1;
}

/// Allocates a topology, lets `configure` pick its source, loads it.
hwloc_topology_t load_topology(const std::string& what, int (*configure)(hwloc_topology_t, const char*),
                               const std::string& arg) {
  hwloc_topology_t topo;
  if (hwloc_topology_init(&topo) != 0) throw std::runtime_error("hwloc_topology_init failed");
  if ((configure && configure(topo, arg.c_str()) != 0) || hwloc_topology_load(topo) != 0) {
    hwloc_topology_destroy(topo);
    throw std::invalid_argument(what);
  }
  return topo;
}

}  // namespace

std::unique_ptr<Topology> Topology::load_system() {
  hwloc_topology_t topo = load_topology("cannot discover this machine's topology with hwloc", nullptr, "");
  return std::unique_ptr<Topology>(new Topology(topo, "this machine", true));
}

std::unique_ptr<Topology> Topology::load(const std::string& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(source, ec)) {
    hwloc_topology_t topo =
        load_topology("topology '" + source + "': not a readable hwloc XML file", hwloc_topology_set_xml, source);
    return std::unique_ptr<Topology>(new Topology(topo, source, false));
  }
  if (source.find('/') != std::string::npos || source.ends_with(".xml")) {
    throw std::invalid_argument("topology '" + source +
                                "': " + (fs::exists(source, ec) ? "not a regular file" : "no such file"));
  }
  hwloc_topology_t topo =
      load_topology("topology '" + source +
                        "': neither an existing hwloc XML file nor a valid hwloc synthetic description"
                        " (e.g. \"pack:2 core:8 pu:2\" or \"pack:1 l3:2 core:4 pu:1\")",
                    hwloc_topology_set_synthetic, source);
  return std::unique_ptr<Topology>(new Topology(topo, source, false));
}

const Topology& Topology::system() {
  static const Topology* const instance = load_system().release();  // never destroyed
  return *instance;
}

Topology::Topology(hwloc_topology* topo, std::string source, bool is_system)
    : topo_(topo), source_(std::move(source)), is_system_(is_system) {
  index_pus();
}

Topology::~Topology() { hwloc_topology_destroy(topo_); }

void Topology::index_pus() {
  HwlocBitmap usable;
  hwloc_bitmap_copy(usable.get(), hwloc_topology_get_allowed_cpuset(topo_));
  if (is_system_) {
    HwlocBitmap bound;
    if (hwloc_get_cpubind(topo_, bound.get(), HWLOC_CPUBIND_PROCESS) == 0) {
      hwloc_bitmap_and(usable.get(), usable.get(), bound.get());
    }
  }
  std::map<int, int> seen_per_core;
  int n = count_of(topo_, HWLOC_OBJ_PU);
  for (int i = 0; i < n; ++i) {
    hwloc_obj_t pu = hwloc_get_obj_by_type(topo_, HWLOC_OBJ_PU, i);
    PuInfo info;
    info.os = static_cast<int>(pu->os_index);
    info.logical = i;
    info.core = ancestor_index(topo_, pu, HWLOC_OBJ_CORE);
    info.l3 = ancestor_index(topo_, pu, HWLOC_OBJ_L3CACHE);
    info.package = ancestor_index(topo_, pu, HWLOC_OBJ_PACKAGE);
    info.smt_rank = info.core >= 0 ? seen_per_core[info.core]++ : 0;
    info.usable = hwloc_bitmap_isset(usable.get(), pu->os_index);
    if (static_cast<size_t>(info.os) >= by_os_.size()) by_os_.resize(info.os + 1, -1);
    by_os_[info.os] = i;
    pus_.push_back(info);
  }
}

const Topology::PuInfo* Topology::find(int os_pu) const {
  if (os_pu < 0 || static_cast<size_t>(os_pu) >= by_os_.size() || by_os_[os_pu] < 0) return nullptr;
  return &pus_[by_os_[os_pu]];
}

const Topology::PuInfo& Topology::get(int os_pu) const {
  const PuInfo* info = find(os_pu);
  if (!info) {
    throw std::invalid_argument("PU " + std::to_string(os_pu) + " is not in this topology (OS indexes " +
                                format_cpu_list(all_pus()) + ")");
  }
  return *info;
}

CpuList Topology::resolve(const std::string& location) const {
  CpuList out;
  for (const LocationTerm& term : parse_location(location)) {
    std::string fail = "location '" + printable(location) + "': ";
    if (term.text != location) fail += "'" + printable(term.text) + "': ";
    if (term.kind == LocationTerm::Kind::kAll) {
      CpuList usable = usable_pus();
      out.insert(out.end(), usable.begin(), usable.end());
    } else if (term.kind == LocationTerm::Kind::kOsList) {
      for (int os = term.first; os <= term.last; ++os) {
        if (!has_pu(os)) {
          throw std::invalid_argument(fail + "this topology has no PU with OS index " + std::to_string(os) +
                                      " (OS indexes " + format_cpu_list(all_pus()) + ")");
        }
        out.push_back(os);
      }
    } else {
      CpuList pus = resolve_objects(term.type, term.first, term.last, fail);
      out.insert(out.end(), pus.begin(), pus.end());
    }
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  if (out.empty()) throw std::invalid_argument("location '" + printable(location) + "': resolves to no PUs");
  return out;
}

CpuList Topology::resolve_objects(LocationType type, int first, int last, const std::string& fail) const {
  int n = count_of(topo_, hwloc_type(type));
  if (n == 0) throw std::invalid_argument(fail + "this topology has no " + location_type_noun(type, true));
  if (last < 0) last = n - 1;
  if (last >= n) {
    std::string prefix = location_type_prefix(type);
    throw std::invalid_argument(fail + "this topology has " + std::to_string(n) + " " +
                                location_type_noun(type, n != 1) + " (" + prefix + ":0" +
                                (n > 1 ? "-" + std::to_string(n - 1) : "") + ")");
  }
  CpuList out;
  for (int i = first; i <= last; ++i) {
    hwloc_obj_t obj = hwloc_get_obj_by_type(topo_, hwloc_type(type), i);
    if (!obj || !obj->cpuset) continue;
    unsigned os;
    hwloc_bitmap_foreach_begin(os, obj->cpuset) {
      if (has_pu(static_cast<int>(os))) out.push_back(static_cast<int>(os));
    }
    hwloc_bitmap_foreach_end();
  }
  return out;
}

TopologyCounts Topology::counts() const {
  TopologyCounts c;
  c.packages = count_of(topo_, HWLOC_OBJ_PACKAGE);
  c.numa_nodes = count_of(topo_, HWLOC_OBJ_NUMANODE);
  c.l3 = count_of(topo_, HWLOC_OBJ_L3CACHE);
  c.l2 = count_of(topo_, HWLOC_OBJ_L2CACHE);
  c.cores = count_of(topo_, HWLOC_OBJ_CORE);
  c.pus = static_cast<int>(pus_.size());
  return c;
}

std::string Topology::export_xml() const {
  char* buffer = nullptr;
  int length = 0;
  if (hwloc_topology_export_xmlbuffer(topo_, &buffer, &length, 0) != 0) {
    throw std::runtime_error("cannot export topology '" + source_ + "' as XML");
  }
  std::string xml(buffer, length > 0 ? length - 1 : 0);  // length counts the final NUL
  hwloc_free_xmlbuffer(topo_, buffer);
  return xml;
}

std::string Topology::summary() const {
  TopologyCounts c = counts();
  auto count = [](int n, const std::string& noun) { return std::to_string(n) + " " + noun + (n == 1 ? "" : "s"); };
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : ", ") + part; };
  if (c.packages > 0) add(count(c.packages, "package"));
  if (c.numa_nodes > 1) add(count(c.numa_nodes, "NUMA node"));
  if (c.l3 > 1) add(std::to_string(c.l3) + " L3");
  if (c.cores > 0) add(count(c.cores, "core"));
  add(count(c.pus, "PU"));
  int smt = 1;
  for (const PuInfo& pu : pus_) smt = std::max(smt, pu.smt_rank + 1);
  if (smt > 1) add("SMT x" + std::to_string(smt));
  return out;
}

CpuList Topology::all_pus() const {
  CpuList out;
  for (const PuInfo& pu : pus_) out.push_back(pu.os);
  return out;
}

CpuList Topology::usable_pus() const {
  CpuList out;
  for (const PuInfo& pu : pus_) {
    if (pu.usable) out.push_back(pu.os);
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool Topology::is_usable(int os_pu) const {
  const PuInfo* info = find(os_pu);
  return info && info->usable;
}

int Topology::core_of(int os_pu) const {
  const PuInfo* info = find(os_pu);
  return info ? info->core : -1;
}

}  // namespace echolab
