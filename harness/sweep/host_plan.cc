#include "harness/sweep/host_plan.h"

#include <unistd.h>

#include <cstdio>
#include <memory>

#include "harness/config/placement.h"
#include "harness/config/trial_config.h"
#include "harness/trial/trial_runner.h"

namespace echolab {
namespace {

/// A host's topology, from the hwloc XML it sent (through a temporary file,
/// which is what hwloc reads).
std::unique_ptr<Topology> topology_of(const Json& description) {
  char path[] = "/tmp/echolab-host-topology-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) throw HostError("hosts: cannot write a topology file in /tmp");
  const std::string xml = description.value("topology_xml", "");
  const bool written = ::write(fd, xml.data(), xml.size()) == static_cast<ssize_t>(xml.size());
  ::close(fd);
  std::unique_ptr<Topology> topology;
  try {
    if (written) topology = Topology::load(path);
  } catch (const std::exception& error) {
    ::unlink(path);
    throw HostError("hosts." + description.value("role", std::string("?")) + " " +
                    description.value("url", std::string("?")) + ": unreadable topology: " + error.what());
  }
  ::unlink(path);
  if (!topology) throw HostError("hosts: cannot write a topology file in /tmp");
  return topology;
}

std::string host_name(const Json& description) {
  return HostAddress::parse(description.at("url").get<std::string>()).name();
}

}  // namespace

std::vector<Json> plan_on_hosts(const Spec& spec, const std::vector<Json>& host_descriptions) {
  std::vector<std::unique_ptr<Topology>> topologies;
  for (const auto& description : host_descriptions) topologies.push_back(topology_of(description));
  const std::string server_url = spec.hosts().server.url;
  bool client_on_server_host = false;
  for (const auto& client : spec.hosts().clients) client_on_server_host |= client.url == server_url;
  std::vector<Json> plans;
  for (const auto& point : spec.points()) {
    Json placement = {{"threads", Json::array()}, {"warnings", Json::array()}};
    for (size_t i = 0; i < host_descriptions.size(); ++i) {
      const bool server = host_descriptions[i].at("role") == "server";
      // A client on the server's host is planned with the server, so the
      // two sides' PUs are checked against each other as on one machine.
      if (!server && host_descriptions[i].at("url") == server_url) continue;
      const bool client = !server || client_on_server_host;
      try {
        const PlacementPlan plan = plan_placement(*topologies[i], placement_groups(point.config, server, client),
                                                  get_key(point.config, "load.overlap").get<bool>());
        append_host_placement(placement, placement_json(plan), host_name(host_descriptions[i]));
      } catch (const std::exception& error) {
        throw SpecError(spec.file() + ": point " + std::to_string(point.number) + " (" + point.display_name() +
                        "): " + (server ? "server.cpus" : "load.cpus") + " on " + host_name(host_descriptions[i]) +
                        ": " + error.what());
      }
    }
    plans.push_back(placement);
  }
  return plans;
}

void record_hosts(const ResultsDir& results, Json& meta, const std::vector<Json>& host_descriptions,
                  const HostsConfig& hosts) {
  meta["hosts_section"] = hosts.to_json();
  meta["hosts"] = Json::array();
  int clients = 0;
  for (const auto& description : host_descriptions) {
    Json entry = description;
    const std::string role = entry.value("role", std::string("server"));
    const std::string file =
        role == "server" ? "topology-server.xml" : "topology-client-" + std::to_string(++clients) + ".xml";
    results.write_file(file, entry.value("topology_xml", ""));
    entry.erase("topology_xml");
    entry["topology_file"] = file;
    meta["hosts"].push_back(entry);
  }
}

}  // namespace echolab
