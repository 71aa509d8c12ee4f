#pragma once

#include <memory>
#include <vector>

#include "core/cpu_binding.h"
#include "core/socket_util.h"
#include "core/thread_counters.h"
#include "harness/load/workload.h"
#include "models/server_model.h"

namespace echolab {

/// One client connection's echoed bytes at one instant; a plain value.
struct ConnectionBytes {
  int index = 0;          // 0-based, in connect order
  int client_thread = 0;  // the client thread that drives it
  uint64_t bytes = 0;
};

/// The load client: C connections spread over T threads, each thread one
/// event loop driving the connections of the workload the config names
/// (harness/load/workload_registry.cc). Owns its threads and sockets;
/// start/stop by the controlling thread, counters readable from any thread.
class LoadClient {
 public:
  LoadClient();
  ~LoadClient();
  /// Connects every connection (throws std::system_error naming the
  /// target if it cannot), then starts the threads bound per `plan`.
  void start(const LoadConfig& config, const CpuPlan& plan);
  /// Stops and joins the threads, closing the connections; idempotent.
  void stop();
  /// Echoed bytes received so far over all connections.
  uint64_t bytes_echoed() const;
  std::vector<ServerThreadReport> threads() const { return counters_.reports(); }
  /// Echoed bytes per connection so far, in connection order; call while
  /// the client runs (between start and stop).
  std::vector<ConnectionBytes> connection_bytes() const;
  /// First error a connection hit (e.g. the server reset it), or "".
  std::string first_error() const;

 private:
  class Worker;
  CounterSet counters_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace echolab
