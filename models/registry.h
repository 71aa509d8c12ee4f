#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "models/server_model.h"

namespace echolab {

/// One row of the model table: what `echolab models` lists and how the
/// harness builds a model. Immutable, any thread.
struct ModelInfo {
  std::string_view name;
  std::string_view description;
  /// Model-specific option keys (under "server."), beyond the common ones.
  std::vector<std::string_view> options;
  /// Whether the epoll connection axes (trigger, read, write_interest) apply.
  bool epoll_axes = true;
  int max_threads = 1024;
  /// Server-side threads besides the N "server" threads, placed first.
  std::vector<std::string_view> extra_roles;
  std::function<std::unique_ptr<ServerModel>()> create;
};

/// The explicit table of every model (no static self-registration).
const std::vector<ModelInfo>& model_registry();
const ModelInfo* find_model(std::string_view name);

}  // namespace echolab
