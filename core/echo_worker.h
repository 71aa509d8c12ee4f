#pragma once

#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/connection.h"
#include "core/echo_options.h"
#include "core/event_loop.h"
#include "core/loop_thread.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"

namespace echolab {

/// Owns the echo connections of one EventLoop and the read buffer they
/// share; loop thread only (others hand it sockets through loop().post).
class EchoWorker {
 public:
  EchoWorker(EventLoop& loop, const EchoOptions& options, ThreadCounters& counters);
  ~EchoWorker();

  /// Takes ownership of an accepted socket and starts echoing on it.
  void adopt(UniqueFd fd);
  size_t open_connections() const { return connections_.size(); }
  EventLoop& loop() { return loop_; }
  ThreadCounters& counters() { return counters_; }

 private:
  EventLoop& loop_;
  EchoOptions options_;
  ThreadCounters& counters_;
  std::vector<char> scratch_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
};

/// Runs on the loop thread with its new EchoWorker (e.g. add a Listener that
/// feeds it); may return an object to keep alive, as LoopThread::Init.
using EchoInit = std::function<std::shared_ptr<void>(EchoWorker&)>;

/// A LoopThread::Init for a loop that echoes: gives the loop an EchoWorker
/// (with `counters`) and then runs `init`, if any, with it. After the loop
/// stops, on its thread, init's object goes first (listeners), then the
/// worker (connections).
/// On the loop's thread: gives it the server's loop settings (server.wait,
/// server.max_events); every serving, accepting and dispatching loop of a
/// model starts with this.
void configure_loop(EventLoop& loop, const EchoOptions& options);

LoopThread::Init with_echo_worker(ThreadCounters& counters, const EchoOptions& options, EchoInit init = nullptr);

}  // namespace echolab
