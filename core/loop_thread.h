#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include "core/cpu_binding.h"
#include "core/event_loop.h"
#include "core/started_thread.h"
#include "core/thread_counters.h"

namespace echolab {

/// Owns one thread running one EventLoop, bound to a CpuList with its
/// ThreadCounters attached. start()/stop() on the controlling thread, post()
/// from any thread; the loop and init's objects belong to the new thread.
class LoopThread {
 public:
  /// Runs on the new thread before its loop starts (e.g. add a Listener);
  /// may return an object to keep alive, destroyed on that thread after the
  /// loop stopped.
  using Init = std::function<std::shared_ptr<void>(EventLoop&)>;

  LoopThread(ThreadCounters& counters, CpuList cpus);
  ~LoopThread();
  LoopThread(const LoopThread&) = delete;
  LoopThread& operator=(const LoopThread&) = delete;

  /// Starts the thread and returns once it is bound, initialised and about
  /// to run; rethrows whatever binding or init threw.
  void start(Init init = nullptr);
  /// Stops the loop and joins; idempotent.
  void stop();
  /// Any thread: runs `task` on the loop thread; dropped when not running.
  void post(std::function<void()> task);
  ThreadCounters& counters() const { return counters_; }

 private:
  void setup(const Init& init);  // on the new thread
  void run();                    // on the new thread

  ThreadCounters& counters_;
  CpuList cpus_;
  // The loop outlives its thread (freed with this object), so a stop() or
  // post() racing with the thread's end never touches a destroyed loop.
  std::unique_ptr<EventLoop> loop_owner_;
  std::atomic<EventLoop*> loop_{nullptr};
  std::shared_ptr<void> keep_alive_;  // loop thread only
  StartedThread thread_;
};

}  // namespace echolab
