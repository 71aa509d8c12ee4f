#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/topology.h"
#include "harness/config/config_keys.h"

namespace echolab {

/// Bad command-line usage; main prints it on one line and exits 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A parsed command line: the resolved config plus the command's own flags.
/// A plain value, built and read by the main thread.
struct CommandLine {
  Json config = default_config();
  std::set<std::string> explicit_keys;       // dotted keys the user set
  std::map<std::string, std::string> flags;  // e.g. "json" -> "", "topology" -> SRC
  std::vector<std::string> positional;

  bool has(const std::string& flag) const { return flags.count(flag) > 0; }
  std::string flag(const std::string& name, const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
};

/// What a command accepts besides config keys.
struct CommandFlags {
  std::set<std::string> switches;    // flags without a value: "json", "dry-run"
  std::set<std::string> with_value;  // flags taking a value: "topology", "out"
  bool config_keys = true;           // accepts --server.threads etc.
  size_t max_positional = 0;
};

/// Parses `--key value`, `--key=value`, aliases and flags; throws
/// UsageError (unknown option, with "did you mean") or ConfigError.
CommandLine parse_command_line(const std::string& command, const std::vector<std::string>& args,
                               const CommandFlags& accepted);

/// The machine named by --topology SRC (hwloc XML or synthetic), else this
/// one; throws UsageError naming the bad source.
std::unique_ptr<Topology> topology_from_flag(const CommandLine& line);

}  // namespace echolab
