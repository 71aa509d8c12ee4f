#include "core/started_thread.h"

#include <future>

namespace echolab {

void StartedThread::start(std::function<void()> setup, std::function<void()> run) {
  std::promise<void> ready;
  std::future<void> started = ready.get_future();
  thread_ = std::thread([&ready, setup = std::move(setup), run = std::move(run)] {
    try {
      setup();
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    ready.set_value();  // `ready` lives on start()'s stack: not touched after this
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
