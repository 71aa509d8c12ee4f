#include "core/started_thread.h"

#include <future>
#include <memory>

namespace echolab {

void StartedThread::start(std::function<void()> setup, std::function<void()> run) {
  // Shared with the thread: set_value() may still be inside the promise
  // (waking the starter) when start() returns, so the starter's stack must
  // not own it.
  auto ready = std::make_shared<std::promise<void>>();
  std::future<void> started = ready->get_future();
  thread_ = std::thread([ready, setup = std::move(setup), run = std::move(run)] {
    try {
      setup();
    } catch (...) {
      ready->set_exception(std::current_exception());
      return;
    }
    ready->set_value();
    run();
  });
  try {
    started.get();
  } catch (...) {
    thread_.join();
    throw;
  }
}

void StartedThread::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace echolab
