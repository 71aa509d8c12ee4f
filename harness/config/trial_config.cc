#include "harness/config/trial_config.h"

#include <algorithm>

#include "models/registry.h"

namespace echolab {
namespace {

Trigger trigger_from(const Json& value) { return value == "level" ? Trigger::kLevel : Trigger::kEdge; }

BindMode bind_from(const Json& value) { return value == "set" ? BindMode::kSet : BindMode::kThread; }

PlacementOrder order_from(const Json& value) {
  return value == "spread" ? PlacementOrder::kSpread : PlacementOrder::kCompact;
}

// A config value as the OptionValue its declared type reads.
OptionValue option_value(const OptionSpec& option, const Json& value) {
  switch (option.type) {
    case OptionType::kInt:
      return value.get<long long>();
    case OptionType::kNumber:
      return value.get<double>();
    case OptionType::kBool:
      return value.get<bool>();
    case OptionType::kString:
    case OptionType::kEnum:
      return value.get<std::string>();
    case OptionType::kStringList:
      return value.get<std::vector<std::string>>();
  }
  return value.dump();
}

}  // namespace

const ModelInfo& chosen_model(const Json& config) {
  const std::string name = get_key(config, "server.model").get<std::string>();
  const ModelInfo* info = find_model(name);
  if (!info) throw ConfigError("server.model: unknown model '" + name + "'");
  return *info;
}

OptionValues plugin_options_from(const std::vector<OptionSpec>& declared, const Json& section) {
  OptionValues values;
  for (const OptionSpec& option : declared) {
    values.set(std::string(option.key), option_value(option, section.at(std::string(option.key))));
  }
  return values;
}

bool runs_separately(const Json& config) {
  return get_key(config, "server.process") == "separate" && get_key(config, "server.model") != "external";
}

const ModelInfo& serving_model(const Json& config) {
  return runs_separately(config) ? *find_model("external") : chosen_model(config);
}

std::vector<std::string> separate_server_command(const Json& config) {
  const std::string model = get_key(config, "server.model").get<std::string>();
  std::vector<std::string> argv = {"{echolab}", "serve"};
  for (const KeySpec& key : config_keys()) {
    if (!key.path.starts_with("server.") || key.path == "server.process" || key.path == "server.port") continue;
    if (!key.plugins.empty() && std::find(key.plugins.begin(), key.plugins.end(), model) == key.plugins.end()) {
      continue;  // another model's option
    }
    Json value = get_key(config, key.path);
    // The server process counts requests by the trial's message size.
    if (key.path == "server.work_message_bytes") value = work_per_request_from(config).message_bytes;
    argv.push_back("--" + key.path);
    argv.push_back(value.is_string() ? value.get<std::string>() : value.dump());
  }
  argv.insert(argv.end(), {"--server.port", "{port}"});
  return argv;
}

WorkPerRequest work_per_request_from(const Json& config) {
  const Json& s = config.at("server");
  WorkPerRequest work;
  work.cpu_us = s.at("work_cpu_us").get<double>();
  work.block_us = s.at("work_block_us").get<double>();
  const auto bytes = s.at("work_message_bytes").get<size_t>();
  work.message_bytes = bytes > 0 ? bytes : config.at("load").at("message_bytes").get<size_t>();
  if (work.any() && s.at("model") == "external") {
    throw ConfigError(
        "server.work_cpu_us, server.work_block_us: work per request is done by echolab's built-in models; an "
        "external server does its own");
  }
  if (work.cpu_us > 0) spin_iterations_per_us();  // calibrated now, not on the first request
  return work;
}

ServerConfig server_config_from(const Json& config) {
  const Json& s = config.at("server");
  ServerConfig out;
  out.model = s.at("model").get<std::string>();
  out.threads = s.at("threads").get<int>();
  out.echo.trigger = trigger_from(s.at("trigger"));
  out.echo.read = s.at("read") == "once" ? ReadMode::kOnce : ReadMode::kDrain;
  out.echo.write_interest = s.at("write_interest") == "always" ? WriteInterest::kAlways : WriteInterest::kOnDemand;
  out.echo.read_buffer = s.at("read_buffer").get<size_t>();
  out.echo.max_pending = s.at("max_pending").get<size_t>();
  out.echo.nodelay = s.at("nodelay").get<bool>();
  out.echo.work = work_per_request_from(config);
  out.bind_address = s.at("address").get<std::string>();
  out.port = s.at("port").get<int>();
  out.backlog = s.at("backlog").get<int>();
  if (runs_separately(config)) {
    out.model = "external";
    out.options.set("command", separate_server_command(config));
    out.options.set("start_timeout_s", get_key(config, "server.start_timeout_s").get<double>());
    return out;
  }
  out.options = plugin_options_from(chosen_model(config).options, s);
  if (out.options.has("wait") && out.options.text("wait") == "spin") out.echo.wait = LoopWait::kSpin;
  if (out.options.has("steer") && out.options.has("incoming_cpu") && out.options.flag("steer") &&
      out.options.flag("incoming_cpu")) {
    throw ConfigError("server.incoming_cpu: cannot be combined with server.steer (its BPF program picks the listener)");
  }
  if (out.options.has("send") && out.options.text("send") == "zerocopy") out.echo.send = SendMode::kZeroCopy;
  if (out.options.has("max_events")) out.echo.max_events = static_cast<int>(out.options.integer("max_events"));
  return out;
}

LoadConfig load_config_from(const Json& config, const SocketAddress* server) {
  const Json& l = config.at("load");
  LoadConfig out;
  auto target = l.at("target").get<std::string>();
  if (!target.empty()) {
    try {
      out.target = SocketAddress::parse(target);
    } catch (const std::invalid_argument& error) {
      throw ConfigError(std::string("load.target: ") + error.what());
    }
  } else if (server) {
    out.target = *server;
  } else {
    throw ConfigError("load.target: required (--target HOST:PORT)");
  }
  out.workload = l.at("workload").get<std::string>();
  out.connections = l.at("connections").get<int>();
  out.threads = l.at("threads").get<int>();
  out.message_bytes = l.at("message_bytes").get<size_t>();
  out.connect_gap_ms = l.at("connect_gap_ms").get<double>();
  out.backlog = get_key(config, "server.backlog").get<int>();
  out.wait = l.at("wait") == "spin" ? LoopWait::kSpin : LoopWait::kBlock;
  const WorkloadInfo* workload = find_workload(out.workload);
  if (!workload) throw ConfigError("load.workload: unknown workload '" + out.workload + "'");
  out.options = plugin_options_from(workload->options, l);
  return out;
}

Timing timing_from(const Json& config) {
  const Json& t = config.at("timing");
  return {t.at("warmup_s").get<double>(), t.at("duration_s").get<double>(), t.at("interval_ms").get<int>()};
}

std::vector<PlacementGroup> placement_groups(const Json& config, bool with_server, bool with_client) {
  std::vector<PlacementGroup> groups;
  if (with_server) {
    const Json& s = config.at("server");
    PlacementGroup server{"server", s.at("cpus").get<std::string>(), bind_from(s.at("bind")),
                          order_from(s.at("order"))};
    for (auto role : chosen_model(config).extra_roles) server.roles.emplace_back(std::string(role), 1);
    server.roles.emplace_back("server", s.at("threads").get<int>());
    // offload_pool's workers, placed after the loops.
    if (chosen_model(config).option("workers")) server.roles.emplace_back("worker", s.at("workers").get<int>());
    groups.push_back(server);
  }
  if (with_client) {
    const Json& l = config.at("load");
    PlacementGroup client{"client", l.at("cpus").get<std::string>(), bind_from(l.at("bind")),
                          order_from(l.at("order"))};
    client.roles = {{"client", l.at("threads").get<int>()}, {"sampler", 1}};
    client.floating_roles = {"sampler"};
    groups.push_back(client);
  }
  return groups;
}

}  // namespace echolab
