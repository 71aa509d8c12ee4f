#include "core/location.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "core/printable.h"

namespace echolab {
namespace {

/// One spelling of a location type ("pu", "package"...) and its kind; constant data.
struct TypeName {
  const char* name;
  LocationType type;
};

constexpr TypeName kTypeNames[] = {
    {"pu", LocationType::kPu},        {"core", LocationType::kCore},       {"l2", LocationType::kL2},
    {"l2cache", LocationType::kL2},   {"l3", LocationType::kL3},           {"l3cache", LocationType::kL3},
    {"numa", LocationType::kNuma},    {"node", LocationType::kNuma},       {"numanode", LocationType::kNuma},
    {"pack", LocationType::kPackage}, {"package", LocationType::kPackage}, {"socket", LocationType::kPackage},
};

constexpr const char* kExamples = "e.g. pu:0, core:0-1, numa:0, l3:0, pack:1, all, or a bare OS list 0-1";

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    size_t comma = s.find(',', start);
    parts.push_back(trim(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start)));
    if (comma == std::string::npos) return parts;
    start = comma + 1;
  }
}

/// Parses a non-negative decimal index; false on anything else.
bool parse_index(const std::string& s, int* out) {
  if (s.empty() || s.size() > 9) return false;
  if (!std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); })) return false;
  *out = std::stoi(s);
  return true;
}

/// Parses "N" or "A-B" into `term`; throws with `fail` as the message prefix.
void parse_range(const std::string& range, const std::string& fail, LocationTerm* term) {
  if (range.empty()) {
    throw std::invalid_argument(fail + "'" + term->text + "' has no index (" + kExamples + ")");
  }
  size_t dash = range.find('-');
  std::string first = range.substr(0, dash);
  std::string last = dash == std::string::npos ? first : range.substr(dash + 1);
  if (!parse_index(first, &term->first) || !parse_index(last, &term->last)) {
    throw std::invalid_argument(fail + "'" + range + "' in '" + term->text + "' is not an index or range N-M (" +
                                kExamples + ")");
  }
  if (term->last < term->first) {
    throw std::invalid_argument(fail + "range " + range + " in '" + term->text + "' is reversed (write " + last + "-" +
                                first + ")");
  }
}

std::vector<LocationTerm> parse_terms(const std::string& location) {
  const std::string fail = "location '" + location + "': ";
  if (trim(location).empty()) throw std::invalid_argument(fail + "empty location (" + kExamples + ")");
  std::vector<LocationTerm> terms;
  for (const std::string& text : split_commas(location)) {
    if (text.empty()) throw std::invalid_argument(fail + "empty item in the comma list");
    LocationTerm term;
    term.text = text;
    std::string lower = text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    size_t colon = lower.find(':');
    if (lower == "all") {
      term.kind = LocationTerm::Kind::kAll;
    } else if (colon == std::string::npos) {
      // A bare range continues the previous typed term, else means OS PUs.
      bool typed = !terms.empty() && terms.back().kind == LocationTerm::Kind::kObject;
      term.kind = typed ? LocationTerm::Kind::kObject : LocationTerm::Kind::kOsList;
      if (typed) term.type = terms.back().type;
      parse_range(lower, fail, &term);
    } else {
      std::string name = lower.substr(0, colon);
      auto it =
          std::find_if(std::begin(kTypeNames), std::end(kTypeNames), [&](const TypeName& t) { return name == t.name; });
      if (it == std::end(kTypeNames)) {
        throw std::invalid_argument(fail + "unknown object type '" + text.substr(0, colon) +
                                    "' (known: pu, core, l2, l3, numa, pack, all)");
      }
      term.kind = LocationTerm::Kind::kObject;
      term.type = it->type;
      std::string range = lower.substr(colon + 1);
      if (range == "all") {
        term.first = 0;
        term.last = -1;
      } else {
        parse_range(range, fail, &term);
      }
    }
    terms.push_back(std::move(term));
  }
  return terms;
}

}  // namespace

std::vector<LocationTerm> parse_location(const std::string& location) {
  try {
    return parse_terms(location);
  } catch (const std::invalid_argument& error) {
    // The messages quote the location: keep them one printable line.
    throw std::invalid_argument(printable(error.what()));
  }
}

std::string location_type_noun(LocationType type, bool plural) {
  std::string noun;
  switch (type) {
    case LocationType::kPu:
      noun = "PU";
      break;
    case LocationType::kCore:
      noun = "core";
      break;
    case LocationType::kL2:
      noun = "L2 cache";
      break;
    case LocationType::kL3:
      noun = "L3 cache";
      break;
    case LocationType::kNuma:
      noun = "NUMA node";
      break;
    case LocationType::kPackage:
      noun = "package";
      break;
  }
  return plural ? noun + "s" : noun;
}

const char* location_type_prefix(LocationType type) {
  switch (type) {
    case LocationType::kPu:
      return "pu";
    case LocationType::kCore:
      return "core";
    case LocationType::kL2:
      return "l2";
    case LocationType::kL3:
      return "l3";
    case LocationType::kNuma:
      return "numa";
    case LocationType::kPackage:
      return "pack";
  }
  return "?";
}

}  // namespace echolab
