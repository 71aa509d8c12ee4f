#include "models/registry.h"

#include "models/acceptor_workers.h"
#include "models/dispatch_pool.h"
#include "models/external_server.h"
#include "models/io_uring_server.h"
#include "models/reuseport.h"
#include "models/shared_listener.h"
#include "models/single_thread.h"
#include "models/thread_per_connection.h"

namespace echolab {

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> models = {
      {"single_thread",
       "one thread, one epoll loop doing accept and all I/O",
       {"listener_trigger"},
       true,
       1,
       {},
       [] { return std::make_unique<SingleThreadServer>(); }},
      {"shared_listener",
       "N threads, each with its own epoll, all registering the one listening socket (the forum's design)",
       {"listener_trigger", "exclusive"},
       true,
       1024,
       {},
       [] { return std::make_unique<SharedListenerServer>(); }},
      {"acceptor_workers",
       "one acceptor thread hands accepted sockets to N worker loops through bounded queues + eventfd",
       {"dispatch", "queue_capacity"},
       true,
       1024,
       {"acceptor"},
       [] { return std::make_unique<AcceptorWorkersServer>(); }},
      {"reuseport",
       "N threads, each with its own SO_REUSEPORT listener and loop",
       {"listener_trigger", "steer"},
       true,
       1024,
       {},
       [] { return std::make_unique<ReuseportServer>(); }},
      {"thread_per_connection",
       "blocking accept loop, one blocking thread per connection (threads = CPU slots they rotate over)",
       {},
       false,
       1024,
       {"acceptor"},
       [] { return std::make_unique<ThreadPerConnectionServer>(); }},
      {"dispatch_pool",
       "one epoll thread hands each ready event (EPOLLONESHOT) to a pool of N threads; connections migrate",
       {},
       true,
       1024,
       {"dispatcher"},
       [] { return std::make_unique<DispatchPoolServer>(); }},
      {"io_uring",
       "per-thread io_uring: multishot accept, multishot recv into provided buffers, send",
       {},
       false,
       1024,
       {},
       [] { return std::make_unique<IoUringServer>(); }},
      {"external",
       "any echo server started from a command (argv with {port}); OS figures only",
       {"command", "start_timeout_s"},
       false,
       1,
       {},
       [] { return std::make_unique<ExternalServer>(); }},
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
