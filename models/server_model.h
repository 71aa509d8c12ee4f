#pragma once

#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/cpu_binding.h"
#include "core/echo_options.h"
#include "core/listener.h"
#include "core/option_spec.h"
#include "core/socket_util.h"
#include "core/thread_counters.h"

namespace echolab {

/// Everything a model needs to start: the keys every model shares, plus the
/// model's own options as its registry row declares them; a plain value
/// built by the harness.
struct ServerConfig {
  std::string model = "single_thread";
  int threads = 1;
  EchoOptions echo;
  std::string bind_address = "127.0.0.1";
  int port = 0;
  int backlog = 1024;
  OptionValues options;  // this model's own options (ModelInfo::options), all filled in
};

/// One server thread's identity and counters at the moment of reading.
struct ServerThreadReport {
  std::string role;  // "server" for threads that serve connections
  int index = 0;
  CounterSnapshot counters;
  bool has_counters = true;  // false for external servers (OS figures only)
};

/// A model could not run here (e.g. io_uring refused): the trial is skipped.
class ModelUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The one interface every server architecture implements. The controlling
/// thread calls start(), then stop(); threads() may be called from any
/// thread while running (counters are read with relaxed atomics).
class ServerModel {
 public:
  virtual ~ServerModel() = default;
  /// Returns once the server accepts connections; throws on failure.
  virtual void start(const ServerConfig& config, const CpuPlan& plan) = 0;
  virtual SocketAddress address() const = 0;
  /// Stops and joins every thread, closing open connections; idempotent.
  virtual void stop() = 0;
  virtual std::vector<ServerThreadReport> threads() const = 0;
  /// Process whose threads' /proc figures belong to the server (0 = self).
  virtual int pid() const { return 0; }
  /// Why the server's own process is gone (exited or killed while it should
  /// be serving), or "" while it runs; in-process models never are.
  /// Controlling thread.
  virtual std::string gone() const { return ""; }
};

/// The listener options a model's own options ask for: listener_trigger,
/// exclusive and accept, each where the model declares it (else defaults).
ListenerOptions listener_options_from(const OptionValues& options);
/// Throws ModelUnavailable if this kernel lacks what the echo options ask
/// for (server.send zerocopy: SO_ZEROCOPY); every epoll model's start calls it.
void require_kernel_support(const EchoOptions& echo);

/// Called first on a model's own thread: binds it to `cpus` (a refusal is
/// counted in errors and the thread runs unbound) and records its tid.
void enter_server_thread(ThreadCounters& counters, const CpuList& cpus);

/// Per-thread counters with stable addresses. add() and reports() may be
/// called from any thread (a mutex guards the list, never the counters).
class CounterSet {
 public:
  ThreadCounters& add(const std::string& role, int index);
  std::vector<ServerThreadReport> reports() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<ThreadCounters>> counters_;
};

}  // namespace echolab
