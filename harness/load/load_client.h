#pragma once

#include <functional>
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
  /// How many connections the server has accepted so far (built-in models).
  using AcceptedCount = std::function<uint64_t()>;

  /// Connects every connection (throws std::system_error naming the
  /// target if it cannot), from spread source addresses when the ephemeral
  /// ports would run short, then starts the threads bound per `plan`. With
  /// `server_accepted`, connects wait while half the backlog is unaccepted.
  void start(const LoadConfig& config, const CpuPlan& plan, const AcceptedCount& server_accepted = {});
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
  /// Request counts and latency histograms so far, over all threads.
  RequestTotals request_totals() const;
  /// Each client thread hands over its totals of one instant, copied on that
  /// thread (its counters and histograms agree); summed. With `censor` (the
  /// window's end) it first records what it still has unanswered
  /// (RequestRecorder::unanswered). Call while the client runs.
  RequestTotals census_totals(bool censor = true);
  /// Seconds start() took to open every connection.
  double connect_s() const { return connect_s_; }

 private:
  class Worker;
  static void wait_for_accepts(const LoadConfig& config, int connected, const AcceptedCount& server_accepted);
  double connect_s_ = 0;
  CounterSet counters_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace echolab
