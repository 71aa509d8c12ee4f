#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event_loop.h"
#include "core/monotonic_clock.h"
#include "core/option_spec.h"
#include "core/socket_util.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"
#include "harness/load/latency_histogram.h"

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
  int backlog = 1024;                // the server's listen backlog (server.backlog), for connect pacing
  LoopWait wait = LoopWait::kBlock;  // load.wait: client loops sleep in epoll_wait or spin
  OptionValues options;              // the workload's own options (WorkloadInfo::options), all filled in
};

/// What the request workloads (rr, crr, open) of one client thread record:
/// written by that thread only, read by the sampler at any time.
struct RequestRecorder {
  RecordingHistogram latency;                // ns per request (crr: connect to response; open: from its intended time)
  RecordingHistogram connect;                // ns per connect (crr)
  RecordingHistogram send_lag;               // open: ns from a request's intended time to its send()
  RecordingHistogram uncorrected;            // open: ns per request from its actual send() (wrk2's uncorrected)
  RecordingHistogram unanswered_age;         // ns each request still unanswered at the window's end had waited
  std::atomic<uint64_t> completed{0};        // responses received and checked
  std::atomic<uint64_t> connects{0};         // connects completed (crr)
  std::atomic<uint64_t> scheduled{0};        // open: requests whose intended send time came
  std::atomic<uint64_t> behind_schedule{0};  // open: handed to the socket > 1 ms after their time
  std::atomic<uint64_t> not_sent{0};         // open: due, but their connection held its cap (never sent)
  std::atomic<uint64_t> unanswered{0};       // queued or in flight when the window ended (censored)
};

/// A copy of RequestRecorders (summed over threads), or the difference of two
/// such copies; a plain value. The counters and histograms are copied one
/// after the other, not atomically: a request completed during the copy may be
/// in `completed` and not yet in `latency` (by ~1% when the copier is preempted).
struct RequestTotals {
  LatencyHistogram latency, connect, send_lag, uncorrected, unanswered_age;
  uint64_t completed = 0, connects = 0, scheduled = 0, behind_schedule = 0, not_sent = 0, unanswered = 0;

  /// A copy of one thread's recorder.
  static RequestTotals of(const RequestRecorder& recorder);
  void add(const RequestRecorder& recorder);
  void add_totals(const RequestTotals& other);
  RequestTotals minus(const RequestTotals& earlier) const;
};

/// What the connections of one client thread share: its loop, counters,
/// config, request recorder, a read buffer and the thread's first error.
/// Client thread only.
struct ClientThreadContext {
  EventLoop& loop;
  ThreadCounters& counters;
  const LoadConfig& config;
  RequestRecorder& requests;
  std::vector<char>& scratch;  // read buffer shared by the thread's connections
  std::string& first_error;    // "" until a connection fails
  int thread_index = 0;        // this client thread, 0-based
};

/// One immutable T per key for the whole process, built from `args` on
/// first use and never freed: the message patterns every connection of
/// every client thread reads (100,000 connections of 1 MiB messages share
/// one pattern, not 100,000). Any thread.
template <typename T, typename Key, typename... Args>
const T& shared_instance(const Key& key, Args&&... args) {
  static std::mutex mutex;
  static std::map<Key, std::unique_ptr<const T>> made;
  std::lock_guard lock(mutex);
  auto& slot = made[key];
  if (!slot) slot = std::make_unique<const T>(std::forward<Args>(args)...);
  return *slot;
}

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
  /// At the window's end (`at_ns`): records what is still unanswered
  /// (request workloads: RequestRecorder::unanswered and its ages).
  virtual void censor_unanswered(uint64_t /*at_ns*/) {}
  /// Called instead of nothing when this is its thread's only connection
  /// (and the workload has no thread driver): a workload that can wait in
  /// its own blocking socket calls (rr's ping-pong: 2 syscalls per request,
  /// as a plain blocking client makes, where epoll_wait adds a third) serves
  /// here until the thread's loop is stopped or the connection fails, and
  /// runs the tasks posted to the loop meanwhile. The default returns at
  /// once and the thread's loop serves the connection.
  virtual void run_alone() {}
};

/// Per-thread state of a workload beyond its connections (the open loop's
/// schedule); made on the client thread after its connections started and
/// destroyed there before them. Client thread only.
class WorkloadThreadDriver {
 public:
  virtual ~WorkloadThreadDriver() = default;
  /// At the window's end (`at_ns`): records what the driver still owes
  /// (the open loop: requests due but not yet handed out, never to be sent).
  virtual void censor_unanswered(uint64_t /*at_ns*/) {}
};

/// The connections of one client thread, for a WorkloadThreadDriver.
using ThreadConnections = std::vector<WorkloadConnection*>;

/// One row of the workload table: what `load.workload` names, its own
/// options (under "load."), the metrics it produces beyond the common ones,
/// and the factory of its per-connection state machines. Immutable, any
/// thread.
struct WorkloadInfo {
  std::string_view name;
  std::string_view description;
  std::vector<OptionSpec> options;
  std::vector<std::string_view> metrics;  // catalogue names (harness/trial/metric_catalogue.cc)
  /// Makes connection `index` (0-based over all threads) on a connected socket.
  std::function<std::unique_ptr<WorkloadConnection>(UniqueFd, int index, ClientThreadContext&)> connect;
  /// Optional: per-thread driver over the thread's started connections.
  std::function<std::unique_ptr<WorkloadThreadDriver>(ClientThreadContext&, const ThreadConnections&)> drive_thread =
      {};
  /// Smallest load.message_bytes the workload can frame (0: any).
  size_t min_message_bytes = 0;
};

/// The source address for connection `index` of `connections` to `target`:
/// none unless the target is IPv4 loopback and the connections outnumber
/// half the ephemeral port range; then addresses 127.0.0.2, 127.0.0.3, ...
/// each taking at most half the range (the Linux loopback answers all of
/// 127.0.0.0/8).
std::optional<SocketAddress> source_address_for(const SocketAddress& target, int index, int connections);

/// crr's source address for its `n`th connect to `target`: none unless the
/// target is IPv4 loopback; then one of 127.0.0.2 .. 127.0.0.65 in turn, so
/// the ports held in TIME_WAIT (the client closes first) are spread over 64
/// address pairs instead of exhausting one pair's ephemeral range.
std::optional<SocketAddress> rotating_source_address(const SocketAddress& target, uint64_t n);

/// The explicit table of every workload (harness/load/workload_registry.cc).
const std::vector<WorkloadInfo>& workload_registry();
const WorkloadInfo* find_workload(std::string_view name);

}  // namespace echolab
