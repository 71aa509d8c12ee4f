// What each expanded point of a spec is checked against before anything
// runs: the options its model and workload take, the model's thread limit,
// spec defaults no point uses, and the placement on a topology.
#include <algorithm>
#include <set>

#include "core/socket_util.h"
#include "harness/config/trial_config.h"
#include "harness/sweep/spec.h"
#include "harness/trial/trial_runner.h"
#include "models/registry.h"

namespace echolab {

void Spec::check_defaults_apply() const {
  for (const auto& [key, where] : default_sources_) {
    const KeySpec* spec = find_key(key);
    if (!spec || spec->plugins.empty()) continue;
    std::set<std::string> chosen;
    bool applies = false;
    for (const auto& point : points_) {
      const std::string plugin = get_key(point.config, spec->chosen_by).get<std::string>();
      chosen.insert(plugin);
      applies = applies || std::find(spec->plugins.begin(), spec->plugins.end(), plugin) != spec->plugins.end();
    }
    if (applies) continue;
    const std::string kind = spec->chosen_by == "server.model" ? "model" : "workload";
    fail(where, "no point of this spec runs a " + kind + " that takes this option, so it would measure nothing (" +
                    kind + "s that take it: " + join_list(spec->plugins, ", ") + "; " + kind +
                    "s in this spec: " + join_list(std::vector<std::string>(chosen.begin(), chosen.end()), ", ") + ")");
  }
}

JsonPath Spec::source_of(const SpecPoint& point, const std::string& key) const {
  if (auto it = point.sources.find(key); it != point.sources.end()) return it->second;
  if (auto it = default_sources_.find(key); it != default_sources_.end()) return it->second;
  return document_.contains("defaults") ? JsonPath{"defaults"} : JsonPath{};
}

void Spec::check_point(const SpecPoint& point) const {
  const std::string which = "point " + std::to_string(point.number) + " (" + point.display_name() + ")";
  std::set<std::string> explicit_keys;
  for (const auto& [key, source] : point.sources) explicit_keys.insert(key);
  try {
    check_model_options(point.config, explicit_keys);
  } catch (const ConfigError& error) {
    const std::string message = error.what();
    const std::string key = message.substr(0, message.find(": "));
    fail(source_of(point, key), without_key_prefix(message, key) + "; in " + which + ": exclude it");
  }
  const int threads = get_key(point.config, "server.threads").get<int>();
  const ModelInfo& model = chosen_model(point.config);
  if (!model.thread_limit_error(threads).empty()) {
    const std::string key = point.sources.count("server.threads") ? "server.threads" : "server.model";
    fail(source_of(point, key), std::string(model.name) + " takes at most " + std::to_string(model.max_threads) +
                                    " thread(s) but " + which + " asks for " + std::to_string(threads) +
                                    ": exclude it");
  }
}

void Spec::use_hosts(const HostsConfig& hosts) {
  hosts_ = hosts;
  // With the server on another host than a client, every point's
  // server.address must be one the clients can reach.
  if (hosts_.one_host()) return;
  for (const auto& point : points_) {
    const std::string address = get_key(point.config, "server.address").get<std::string>();
    if (address == "0.0.0.0" || address == "::") {
      const bool written = point.sources.count("server.address") || default_sources_.count("server.address");
      fail(written ? source_of(point, "server.address") : JsonPath{"hosts"},
           "server.address " + address +
               " binds every address, so the clients on other hosts would not know which "
               "one reaches " +
               hosts_.server.name() + "; set server.address to that address (point " + std::to_string(point.number) +
               ", " + point.display_name() + ")");
    }
    if (is_loopback_address(address)) {
      const bool written = point.sources.count("server.address") || default_sources_.count("server.address");
      fail(written ? source_of(point, "server.address") : JsonPath{"hosts"},
           "server.address " + address + " is loopback, but the server runs on " + hosts_.server.name() +
               " and clients on other hosts, which can't reach it; set server.address (--bind) to an address "
               "of the server host that the clients can reach (point " +
               std::to_string(point.number) + ", " + point.display_name() + ")");
    }
  }
}

std::vector<Json> Spec::plan_placements(const Topology& topology) const {
  std::vector<Json> plans;
  for (const auto& point : points_) {
    const std::string which = "point " + std::to_string(point.number) + " (" + point.display_name() + ")";
    for (const std::string key : {"server.cpus", "load.cpus"}) {
      try {
        topology.resolve(get_key(point.config, key).get<std::string>());
      } catch (const std::invalid_argument& error) {
        fail(source_of(point, key), std::string(error.what()) + "; in " + which, true);
      }
    }
    try {
      plans.push_back(plan_trial(point.config, topology, true));
    } catch (const PlacementError& error) {
      fail(source_of(point, "server.cpus"), std::string(error.what()) + "; in " + which, true);
    }
  }
  return plans;
}

// "" when `given` expands to the same trials as `recorded`, else what differs.
std::string spec_difference(const Spec& given, const Spec& recorded) {
  std::vector<std::string> differences;
  auto has_id = [](const Spec& spec, const std::string& id) {
    for (const auto& point : spec.points()) {
      if (point.config_id == id) return true;
    }
    return false;
  };
  for (const auto& point : given.points()) {
    if (!has_id(recorded, point.config_id)) {
      differences.push_back("point " + std::to_string(point.number) + " (" + point.display_name() + ") is new");
    }
  }
  for (const auto& point : recorded.points()) {
    if (!has_id(given, point.config_id)) {
      differences.push_back("point " + std::to_string(point.number) + " (" + point.display_name() + ") is gone");
    }
  }
  if (given.repetitions() != recorded.repetitions()) {
    differences.push_back("repetitions " + std::to_string(given.repetitions()) + " instead of " +
                          std::to_string(recorded.repetitions()));
  }
  std::string out;
  for (size_t i = 0; i < differences.size() && i < 3; ++i) out += (i ? "; " : "") + differences[i];
  if (differences.size() > 3) out += "; and " + std::to_string(differences.size() - 3) + " more";
  return out;
}

}  // namespace echolab
