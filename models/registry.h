#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/option_spec.h"
#include "models/server_model.h"

namespace echolab {

/// One row of the model table: everything the harness knows of a model
/// (what `echolab models` lists, its options, limits, thread roles and how
/// to build it). Immutable, any thread.
struct ModelInfo {
  std::string_view name;
  std::string_view description;
  /// Model-specific options (under "server."), beyond the common keys; the
  /// config key table, validation, defaults and help derive from these.
  std::vector<OptionSpec> options;
  /// Whether the epoll connection axes (trigger, read, write_interest) apply.
  bool epoll_axes = true;
  int max_threads = 1024;
  /// Server-side threads besides the N "server" threads, placed first.
  std::vector<std::string_view> extra_roles;
  std::function<std::unique_ptr<ServerModel>()> create;

  /// The declared option `key`, or nullptr.
  const OptionSpec* option(std::string_view key) const;
  /// "" when `threads` is within the limit, else why not (for errors).
  std::string thread_limit_error(int threads) const;
  /// Every declared option at its default.
  OptionValues default_options() const;
};

/// The explicit table of every model (no static self-registration).
const std::vector<ModelInfo>& model_registry();
const ModelInfo* find_model(std::string_view name);

}  // namespace echolab
