#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_loop.h"
#include "core/option_spec.h"
#include "core/socket_util.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"

namespace echolab {

/// What the load client does; a plain value built by the harness.
struct LoadConfig {
  SocketAddress target;
  std::string workload = "stream";
  int connections = 2;
  int threads = 1;
  size_t message_bytes = 4096;
  double connect_gap_ms = 0;  // pause between connects, so pool threads can take turns accepting
  int connect_timeout_ms = 5000;
  OptionValues options;  // the workload's own options (WorkloadInfo::options), all filled in
};

/// What the connections of one client thread share: its loop, counters,
/// config, a read buffer and the thread's first error. Client thread only.
struct ClientThreadContext {
  EventLoop& loop;
  ThreadCounters& counters;
  const LoadConfig& config;
  std::vector<char>& scratch;  // read buffer shared by the thread's connections
  std::string& first_error;    // "" until a connection fails
};

/// One client connection's state machine for a workload, driven by its
/// client thread's event loop (as neper plugs per-flow callbacks into one
/// per-thread epoll loop). Counts bytes_in as echoed bytes arrive and
/// reports a failure through ClientThreadContext::first_error. Client
/// thread only.
class WorkloadConnection : public EventHandler {
 public:
  /// Registers with the loop and starts the workload on this connection.
  virtual void start() = 0;
  /// Echoed bytes this connection received so far; any thread.
  virtual uint64_t bytes_echoed() const = 0;
};

/// One row of the workload table: what `load.workload` names, its own
/// options (under "load."), the metrics it produces beyond the common ones,
/// and the factory of its per-connection state machines. Immutable, any
/// thread.
struct WorkloadInfo {
  std::string_view name;
  std::string_view description;
  std::vector<OptionSpec> options;
  std::vector<std::string_view> metrics;  // catalogue names (harness/trial/metric_catalogue.cc)
  std::function<std::unique_ptr<WorkloadConnection>(UniqueFd, ClientThreadContext&)> connect;
};

/// The explicit table of every workload (harness/load/workload_registry.cc).
const std::vector<WorkloadInfo>& workload_registry();
const WorkloadInfo* find_workload(std::string_view name);

}  // namespace echolab
