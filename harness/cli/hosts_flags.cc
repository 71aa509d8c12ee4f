#include "harness/cli/hosts_flags.h"

#include <sstream>

namespace echolab {

const std::vector<std::string>& hosts_flag_names() {
  static const std::vector<std::string> names = {"hosts.server", "hosts.clients", "hosts.echolab"};
  return names;
}

bool has_hosts_flags(const CommandLine& line) {
  for (const auto& name : hosts_flag_names()) {
    if (line.has(name)) return true;
  }
  return false;
}

HostsConfig hosts_for(const std::string& command, const CommandLine& line, const HostsConfig& base, bool resuming) {
  Json hosts = base.to_json();
  if (line.has("hosts.server")) hosts["server"] = line.flag("hosts.server");
  if (line.has("hosts.clients")) {
    hosts["clients"] = Json::array();
    std::istringstream list(line.flag("hosts.clients"));
    for (std::string item; std::getline(list, item, ',');) hosts["clients"].push_back(item);
  }
  if (line.has("hosts.echolab")) hosts["echolab"] = line.flag("hosts.echolab");
  HostsConfig chosen;
  try {
    chosen = HostsConfig::from_json(hosts);
  } catch (const std::invalid_argument& error) {
    throw UsageError("echolab " + command + ": --hosts.*: " + error.what());
  }
  const Json before = base.to_json(), after = chosen.to_json();
  if (resuming && (before["server"] != after["server"] || before["clients"] != after["clients"])) {
    throw UsageError("echolab " + command + ": --resume: the run started with server " + before["server"].dump() +
                     " and clients " + before["clients"].dump() + "; --hosts.* asks for server " +
                     after["server"].dump() + " and clients " + after["clients"].dump() +
                     ": a run keeps its hosts (start a new run for others)");
  }
  return chosen;
}

}  // namespace echolab
