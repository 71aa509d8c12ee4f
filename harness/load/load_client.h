#pragma once

#include <memory>
#include <vector>

#include "core/cpu_binding.h"
#include "core/event_loop.h"
#include "core/socket_util.h"
#include "core/thread_counters.h"
#include "models/server_model.h"

namespace echolab {

/// What the stream workload does; a plain value.
struct LoadConfig {
  SocketAddress target;
  int connections = 2;
  int threads = 1;
  size_t message_bytes = 4096;
  int inflight_messages = 0;  // 0: no cap
  int connect_timeout_ms = 5000;
};

/// The forum's client: C connections spread over T threads; each writes
/// message_bytes whenever its socket is writable (up to an in-flight cap)
/// and reads the echoes back. Owns its threads and sockets; start/stop by
/// the controlling thread, counters readable from any thread.
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
  /// First error a connection hit (e.g. the server reset it), or "".
  std::string first_error() const;

 private:
  class Worker;
  CounterSet counters_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace echolab
