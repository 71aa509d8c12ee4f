#include "models/registry.h"

#include "models/shared_listener.h"
#include "models/single_thread.h"

namespace echolab {

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> models = {
      {"single_thread", "one thread, one epoll loop doing accept and all I/O", {"listener_trigger"}, true, 1, {},
       [] { return std::make_unique<SingleThreadServer>(); }},
      {"shared_listener",
       "N threads, each with its own epoll, all registering the one listening socket (the forum's design)",
       {"listener_trigger", "exclusive"}, true, 1024, {}, [] { return std::make_unique<SharedListenerServer>(); }},
  };
  return models;
}

const ModelInfo* find_model(std::string_view name) {
  for (const auto& model : model_registry()) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

}  // namespace echolab
