#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "core/cpu_binding.h"
#include "core/echo_options.h"
#include "core/echo_worker.h"
#include "core/event_loop.h"
#include "core/thread_counters.h"

namespace echolab {

/// One thread running one EventLoop with an EchoWorker: owns the thread.
/// start()/stop() are called by the controlling thread; the loop and worker
/// belong to the new thread (others use post()).
class LoopThread {
 public:
  /// Runs on the new thread before its loop starts (e.g. add a Listener);
  /// may return an object to keep alive (and destroy on that thread).
  using Init = std::function<std::shared_ptr<void>(EchoWorker&)>;

  LoopThread(ThreadCounters& counters, CpuList cpus, const EchoOptions& options);
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  /// Starts the thread and returns once it is bound, initialised and about
  /// to run; rethrows whatever binding or init threw.
  void start(Init init = nullptr);
  /// Stops the loop and joins; idempotent.
  void stop();
  /// Any thread: run `task` on the loop thread with its worker.
  void post(std::function<void(EchoWorker&)> task);

 private:
  void body(Init init, std::promise<void>* ready);

  ThreadCounters& counters_;
  CpuList cpus_;
  EchoOptions options_;
  std::thread thread_;
  std::unique_ptr<EventLoop> loop_owner_;
  std::atomic<EventLoop*> loop_{nullptr};
  EchoWorker* worker_ = nullptr;
};

}  // namespace echolab
