#pragma once

#include <string>
#include <vector>

namespace echolab {

/// The object types a location may name, hwloc-calc style.
enum class LocationType { kPu, kCore, kL2, kL3, kNuma, kPackage };

/// One comma-separated term of a location, parsed but not yet checked
/// against a topology: "pu:0-3", "core:all", "all", or a bare OS list "2-3".
struct LocationTerm {
  enum class Kind {
    kAll,     // "all": every usable PU
    kOsList,  // bare "2" or "0-3": OS PU indexes, as taskset reads them
    kObject,  // "core:1-2": hwloc logical indexes of objects of `type`
  };
  Kind kind = Kind::kAll;
  LocationType type = LocationType::kPu;
  int first = 0;
  int last = -1;     // -1 with kObject: every object of the type ("core:all")
  std::string text;  // the term as written, for error messages
};

/// Parses "pu:0,core:2-3", "numa:0", "all", "0,2-3"... Type names follow
/// hwloc-calc: pu, core, l2 (l2cache), l3 (l3cache), numa (node, numanode),
/// pack (package, socket). A bare range after a typed term continues that
/// type ("core:0,2" is cores 0 and 2); a list that starts bare is OS PU
/// indexes ("0,2-3"). Throws std::invalid_argument naming the location for
/// empty input, unknown types, missing or malformed indexes and reversed
/// ranges.
std::vector<LocationTerm> parse_location(const std::string& location);

/// "PU", "core", "L2 cache", "L3 cache", "NUMA node", "package"; plural
/// appends "s".
std::string location_type_noun(LocationType type, bool plural);
/// The canonical prefix: "pu", "core", "l2", "l3", "numa", "pack".
const char* location_type_prefix(LocationType type);

}  // namespace echolab
