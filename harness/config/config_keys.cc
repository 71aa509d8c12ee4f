#include "harness/config/config_keys.h"

#include <algorithm>
#include <sstream>
#include <variant>

#include "harness/load/workload.h"
#include "models/registry.h"

namespace echolab {
namespace {

std::vector<KeySpec> common_keys();
std::vector<std::string> workload_names();

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& model : model_registry()) names.emplace_back(model.name);
  return names;
}

KeyType key_type(OptionType type) {
  switch (type) {
    case OptionType::kInt:
      return KeyType::kInt;
    case OptionType::kNumber:
      return KeyType::kNumber;
    case OptionType::kString:
      return KeyType::kString;
    case OptionType::kBool:
      return KeyType::kBool;
    case OptionType::kEnum:
      return KeyType::kEnum;
    case OptionType::kStringList:
      return KeyType::kStringList;
  }
  return KeyType::kString;
}

Json option_json(const OptionValue& value) {
  return std::visit([](const auto& v) { return Json(v); }, value);
}

// The keys of every plug-in's own options under `section` ("server."), one
// per option key, listing the plug-ins that declare it. An option two
// plug-ins declare differently is a programming error.
template <typename Rows>
std::vector<KeySpec> plugin_option_keys(const std::string& section, const std::string& chosen_by, const Rows& rows) {
  std::vector<KeySpec> keys;
  for (const auto& row : rows) {
    for (const OptionSpec& option : row.options) {
      const std::string path = section + std::string(option.key);
      auto same = std::find_if(keys.begin(), keys.end(), [&](const KeySpec& key) { return key.path == path; });
      if (same == keys.end()) {
        keys.push_back({path,
                        key_type(option.type),
                        option_json(option.default_value),
                        std::string(option.help),
                        "",
                        option.allowed,
                        option.min,
                        option.max,
                        {std::string(row.name)},
                        chosen_by});
      } else if (same->default_value != option_json(option.default_value) || same->allowed != option.allowed) {
        throw std::logic_error(path + " is declared differently by " + same->plugins.front() + " and " +
                               std::string(row.name));
      } else {
        same->plugins.emplace_back(row.name);
      }
    }
  }
  return keys;
}

// Inserts `extra` after the last key of `section` ("server.").
void insert_after_section(std::vector<KeySpec>& keys, const std::string& section, const std::vector<KeySpec>& extra) {
  auto last =
      std::find_if(keys.rbegin(), keys.rend(), [&](const KeySpec& key) { return key.path.starts_with(section); });
  keys.insert(last.base(), extra.begin(), extra.end());
}

std::vector<KeySpec> build_keys() {
  std::vector<KeySpec> keys = common_keys();
  insert_after_section(keys, "server.", plugin_option_keys("server.", "server.model", model_registry()));
  insert_after_section(keys, "load.", plugin_option_keys("load.", "load.workload", workload_registry()));
  return keys;
}

std::vector<std::string> workload_names() {
  std::vector<std::string> names;
  for (const auto& workload : workload_registry()) names.emplace_back(workload.name);
  return names;
}

std::vector<KeySpec> common_keys() {
  return {
      {"server.model", KeyType::kEnum, "single_thread", "server architecture (see `echolab models`)", "model",
       model_names()},
      {"server.threads",
       KeyType::kInt,
       1,
       "server threads (workers for acceptor_workers / dispatch_pool, event loops for offload_pool)",
       "threads",
       {},
       1,
       1024},
      {"server.trigger",
       KeyType::kEnum,
       "edge",
       "epoll trigger mode of connection sockets",
       "trigger",
       {"level", "edge"}},
      {"server.read", KeyType::kEnum, "drain", "reads per wake-up: one, or until EAGAIN", "read", {"once", "drain"}},
      {"server.write_interest",
       KeyType::kEnum,
       "on_demand",
       "EPOLLOUT only while output is pending, or registered for good",
       "write-interest",
       {"on_demand", "always"}},
      {"server.read_buffer", KeyType::kInt, 65536, "bytes per read() call", "read-buffer", {}, 1, 64 << 20},
      {"server.max_pending",
       KeyType::kInt,
       262144,
       "echo bytes held for a peer that does not read before the server stops reading it",
       "",
       {},
       1,
       1 << 30},
      {"server.nodelay", KeyType::kBool, false, "TCP_NODELAY on accepted sockets"},
      {"server.work_cpu_us",
       KeyType::kNumber,
       0.0,
       "work per request: microseconds of computation (a calibrated loop) on the serving thread before the echo",
       "work-cpu-us",
       {},
       0,
       1e6},
      {"server.work_block_us",
       KeyType::kNumber,
       0.0,
       "work per request: microseconds the serving thread then blocks (a timed sleep, as on a database call)",
       "work-block-us",
       {},
       0,
       1e7},
      {"server.work_message_bytes",
       KeyType::kInt,
       0,
       "bytes per request for the work (0: load.message_bytes; give it to `echolab serve` run alone)",
       "",
       {},
       0,
       64 << 20},
      {"server.process",
       KeyType::kEnum,
       "in_process",
       "run a built-in model in the trial's process, or as a process of its own (`echolab serve`; OS figures "
       "only, the server's memory alone, a descriptor limit per process)",
       "server-process",
       {"in_process", "separate"}},
      {"server.cpus", KeyType::kString, "pu:1", "where server threads run (hwloc-calc location)", "server-cpus"},
      {"server.bind",
       KeyType::kEnum,
       "thread",
       "thread: one PU per thread; set: float over the set",
       "",
       {"thread", "set"}},
      {"server.order", KeyType::kEnum, "compact", "PU order for bind=thread", "", {"compact", "spread"}},
      {"server.address", KeyType::kString, "127.0.0.1", "address the server binds", "bind"},
      {"server.port", KeyType::kInt, 0, "port to listen on (0: any free port)", "port", {}, 0, 65535},
      {"server.backlog", KeyType::kInt, 1024, "listen() backlog", "", {}, 1, 65535},
      {"load.workload", KeyType::kEnum, "stream", "what each connection does (harness/load/workload_registry.cc)",
       "workload", workload_names()},
      {"load.connections", KeyType::kInt, 2, "client connections", "connections", {}, 1, 100000},
      {"load.threads", KeyType::kInt, 1, "client threads", "client-threads", {}, 1, 1024},
      {"load.message_bytes", KeyType::kInt, 4096, "bytes per client write", "message-bytes", {}, 1, 64 << 20},
      {"load.connect_gap_ms",
       KeyType::kNumber,
       0.0,
       "pause between the client's connects (lets different pool threads win the accepts)",
       "",
       {},
       0,
       60000},
      {"load.wait",
       KeyType::kEnum,
       "block",
       "how client threads wait: block (epoll_wait; a lone ping-pong connection in recv()) or spin (epoll_wait "
       "with a zero timeout, never sleeping: a core per client thread)",
       "load-wait",
       {"block", "spin"}},
      {"load.cpus", KeyType::kString, "pu:0", "where client threads run (hwloc-calc location)", "client-cpus"},
      {"load.bind",
       KeyType::kEnum,
       "thread",
       "thread: one PU per thread; set: float over the set",
       "",
       {"thread", "set"}},
      {"load.order", KeyType::kEnum, "compact", "PU order for bind=thread", "", {"compact", "spread"}},
      {"load.target", KeyType::kString, "", "HOST:PORT of the echo server (load command)", "target"},
      {"load.overlap", KeyType::kBool, false, "client and server CPUs may overlap without a warning"},
      {"timing.warmup_s", KeyType::kNumber, 1.0, "seconds of load before measuring", "warmup", {}, 0, 3600},
      {"timing.duration_s", KeyType::kNumber, 5.0, "seconds measured", "duration", {}, 0.05, 86400},
      {"timing.interval_ms", KeyType::kInt, 100, "sampling interval of the throughput series", "", {}, 5, 60000},
  };
}
}  // namespace

const std::vector<KeySpec>& config_keys() {
  static const std::vector<KeySpec> keys = build_keys();
  return keys;
}

const KeySpec* find_key(const std::string& path) {
  for (const auto& key : config_keys()) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

const KeySpec* find_alias(const std::string& alias) {
  for (const auto& key : config_keys()) {
    if (!key.alias.empty() && key.alias == alias) return &key;
  }
  return nullptr;
}
Json default_config() {
  Json config = Json::object();
  for (const auto& key : config_keys()) set_key(config, key.path, key.default_value);
  return config;
}
void check_model_options(const Json& config, const std::set<std::string>& explicit_keys) {
  for (const auto& path : explicit_keys) {
    const KeySpec* key = find_key(path);
    if (!key || key->plugins.empty()) continue;
    const std::string chosen = get_key(config, key->chosen_by).get<std::string>();
    if (std::find(key->plugins.begin(), key->plugins.end(), chosen) != key->plugins.end()) continue;
    const std::string section = key->chosen_by.substr(0, key->chosen_by.find('.') + 1);
    std::vector<std::string> options;
    for (const auto& other : config_keys()) {
      if (other.chosen_by == key->chosen_by &&
          std::find(other.plugins.begin(), other.plugins.end(), chosen) != other.plugins.end()) {
        options.push_back(other.path);
      }
    }
    const std::string kind = key->chosen_by == "server.model" ? "model" : "workload";
    throw ConfigError(path + ": not an option of " + kind + " " + chosen + " (its options: " +
                      (options.empty() ? std::string("none beyond the common keys") : join_list(options, ", ")) + ")");
  }
  const std::string workload = get_key(config, "load.workload").get<std::string>();
  const WorkloadInfo* info = find_workload(workload);
  const auto message_bytes = get_key(config, "load.message_bytes").get<size_t>();
  if (info && message_bytes < info->min_message_bytes) {
    throw ConfigError("load.message_bytes: the " + workload + " workload frames each request with a " +
                      std::to_string(info->min_message_bytes) + "-byte header (sequence number, connection); " +
                      std::to_string(message_bytes) + " is too small");
  }
}

std::string describe_keys() {
  std::ostringstream out;
  for (const auto& key : config_keys()) {
    out << "  --" << key.path;
    if (!key.alias.empty()) out << " (--" << key.alias << ")";
    out << "  " << key.help << "; default " << key.default_value.dump();
    if (key.type == KeyType::kEnum) out << "; " << join_list(key.allowed, "|");
    if (!key.plugins.empty()) {
      out << "; " << (key.chosen_by == "server.model" ? "models" : "workloads") << ": " << join_list(key.plugins, ", ");
    }
    out << "\n";
  }
  return out.str();
}
}  // namespace echolab
