#include "core/echo_worker.h"

#include <system_error>

namespace echolab {
namespace {

/// What with_echo_worker keeps alive on a loop thread: the worker and what
/// init attached to it, destroyed in reverse order (attached first).
struct EchoLoop {
  EchoLoop(EventLoop& loop, const EchoOptions& options, ThreadCounters& counters) : worker(loop, options, counters) {}
  EchoWorker worker;
  std::shared_ptr<void> attached;
};

}  // namespace

EchoWorker::EchoWorker(EventLoop& loop, const EchoOptions& options, ThreadCounters& counters)
    : loop_(loop), options_(options), counters_(counters), scratch_(options.read_buffer) {}

EchoWorker::~EchoWorker() {
  for (auto& [raw, connection] : connections_) {
    if (!connection->closed()) loop_.remove(connection->fd());
  }
}

void EchoWorker::adopt(UniqueFd fd) {
  loop_.assert_in_loop_thread("EchoWorker::adopt");
  auto connection = std::make_unique<Connection>(loop_, std::move(fd), options_, [this](Connection* done) {
    // Deleting now would free the object whose handler is still running.
    loop_.defer([this, done] { connections_.erase(done); });
  });
  connection->bind_thread(&counters_, scratch_);
  try {
    connection->start();
  } catch (const std::system_error&) {
    bump(counters_.errors);
    return;
  }
  bump(counters_.accepted);
  Connection* raw = connection.get();
  connections_.emplace(raw, std::move(connection));
}

void configure_loop(EventLoop& loop, const EchoOptions& options) {
  loop.set_wait(options.wait);
  loop.set_max_events(options.max_events);
}

LoopThread::Init with_echo_worker(ThreadCounters& counters, const EchoOptions& options, EchoInit init) {
  return [&counters, options, init = std::move(init)](EventLoop& loop) -> std::shared_ptr<void> {
    configure_loop(loop, options);
    auto echo = std::make_shared<EchoLoop>(loop, options, counters);
    if (init) echo->attached = init(echo->worker);
    return echo;
  };
}

}  // namespace echolab
