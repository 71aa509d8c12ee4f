#pragma once

#include <vector>

#include "harness/config/config_keys.h"
#include "harness/config/placement.h"
#include "harness/load/load_client.h"
#include "models/registry.h"
#include "models/server_model.h"

namespace echolab {

/// Measurement timing of a trial; a plain value.
struct Timing {
  double warmup_s = 1;
  double duration_s = 5;
  int interval_ms = 100;
};

/// The registry row of the config's server.model; throws ConfigError for
/// an unknown model.
const ModelInfo& chosen_model(const Json& config);
/// A plug-in's own options (a model's or workload's declared options) from
/// the config section they live in ("server", "load").
OptionValues plugin_options_from(const std::vector<OptionSpec>& declared, const Json& section);

/// A resolved config (see config_keys.h) turned into what each layer takes.
/// With server.process "separate" (and a built-in model), the config of an
/// `external` server that runs `echolab serve` with the trial's server keys.
ServerConfig server_config_from(const Json& config);
/// The server's work per request (server.work_*), its request size taken
/// from load.message_bytes unless server.work_message_bytes gives one;
/// ConfigError when work is asked of an external server.
WorkPerRequest work_per_request_from(const Json& config);
/// The model that serves the trial: server.model, or `external` when a
/// built-in model runs as a separate process.
const ModelInfo& serving_model(const Json& config);
/// `{echolab} serve --server.KEY VALUE ... --server.port {port}`: the
/// trial's server keys that apply to its model, for server.process separate.
std::vector<std::string> separate_server_command(const Json& config);
/// The load side; `target` comes from load.target when set, else `server`.
LoadConfig load_config_from(const Json& config, const SocketAddress* server);
Timing timing_from(const Json& config);

/// Placement groups of a trial: server side (extra roles first, then the
/// N server threads) and client side (client threads, then the sampler).
std::vector<PlacementGroup> placement_groups(const Json& config, bool with_server, bool with_client);

}  // namespace echolab
