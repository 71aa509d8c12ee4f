#pragma once

#include <functional>
#include <thread>

namespace echolab {

/// Owns one std::thread whose body has two phases: `setup` (bind, build the
/// thread's own objects) and `run`. start() returns once setup finished on
/// the new thread and rethrows whatever setup threw (the thread is joined
/// first). The one start handshake every placed thread uses. Controlling
/// thread only.
class StartedThread {
 public:
  StartedThread() = default;
  ~StartedThread() { join(); }
  StartedThread(const StartedThread&) = delete;
  StartedThread& operator=(const StartedThread&) = delete;

  /// Starts the thread; returns after `setup` returned on it (then `run`
  /// goes on there), or throws what `setup` threw.
  void start(std::function<void()> setup, std::function<void()> run);
  /// Joins if running; idempotent.
  void join();
  bool running() const { return thread_.joinable(); }

 private:
  std::thread thread_;
};

}  // namespace echolab
