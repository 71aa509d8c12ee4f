#include "harness/config/trial_config.h"

#include "models/registry.h"

namespace echolab {
namespace {

Trigger trigger_from(const Json& value) { return value == "level" ? Trigger::kLevel : Trigger::kEdge; }

BindMode bind_from(const Json& value) { return value == "set" ? BindMode::kSet : BindMode::kThread; }

PlacementOrder order_from(const Json& value) {
  return value == "spread" ? PlacementOrder::kSpread : PlacementOrder::kCompact;
}

}  // namespace

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
  out.bind_address = s.at("address").get<std::string>();
  out.port = s.at("port").get<int>();
  out.backlog = s.at("backlog").get<int>();
  out.listener.trigger = trigger_from(s.at("listener_trigger"));
  out.listener.exclusive = s.at("exclusive").get<bool>();
  out.dispatch = s.at("dispatch").get<std::string>();
  out.queue_capacity = s.at("queue_capacity").get<int>();
  out.steer_cbpf = s.at("steer").get<bool>();
  out.command = s.at("command").get<std::vector<std::string>>();
  out.start_timeout_s = s.at("start_timeout_s").get<double>();
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
  out.connections = l.at("connections").get<int>();
  out.threads = l.at("threads").get<int>();
  out.message_bytes = l.at("message_bytes").get<size_t>();
  out.inflight_messages = l.at("inflight_messages").get<int>();
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
    if (const ModelInfo* model = find_model(s.at("model").get<std::string>())) {
      for (auto role : model->extra_roles) server.roles.emplace_back(std::string(role), 1);
    }
    server.roles.emplace_back("server", s.at("threads").get<int>());
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
