#pragma once

#include <string>
#include <utility>
#include <vector>

#include "harness/config/config_keys.h"

namespace echolab {

/// The --filter KEY=VALUE conditions of a run; a plain value built by the
/// main thread. A point passes when, for every key named, its resolved
/// config has one of the values given for that key.
class PointFilter {
 public:
  /// Parses "KEY=VALUE" each (KEY dotted or a CLI alias, VALUE read as the
  /// key's type); throws UsageError naming the bad one.
  explicit PointFilter(const std::vector<std::string>& expressions);

  bool matches(const Json& config) const;
  bool empty() const { return conditions_.empty(); }
  /// "server.threads=4 and server.model=reuseport", for messages.
  std::string describe() const;

 private:
  std::vector<std::pair<std::string, std::vector<Json>>> conditions_;  // key -> values
};

/// Removes every `--filter X` / `--filter=X` from `args`; returns the Xs.
std::vector<std::string> take_filter_args(std::vector<std::string>& args);

}  // namespace echolab
