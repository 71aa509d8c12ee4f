#include "models/acceptor_workers.h"

#include <stdexcept>

#include "core/echo_worker.h"
#include "core/listener.h"

namespace echolab {

void AcceptorWorkersServer::start(const ServerConfig& config, const CpuPlan& plan) {
  require_kernel_support(config.echo);
  config_ = config;
  const std::string& policy = config.options.text("dispatch");
  if (policy != "round_robin" && policy != "least_connections") {
    throw std::invalid_argument("acceptor_workers: unknown dispatch '" + policy + "'");
  }
  least_connections_ = policy == "least_connections";
  listen_fd_ =
      listen_tcp(SocketAddress::from_host_port(config.bind_address, config.port), {config.backlog, false, true});
  address_ = local_address(listen_fd_.get());
  assigned_.assign(static_cast<size_t>(config.threads), 0);
  try {
    workers_.start(config.threads, [&](int i) {
      ThreadCounters& counters = counters_.add("server", i);
      worker_counters_.push_back(&counters);
      queues_.push_back(std::make_unique<HandoffQueue>(static_cast<size_t>(config.options.integer("queue_capacity"))));
      HandoffQueue* queue = queues_.back().get();
      return LoopThreadPool::Member{counters, plan.cpus("server", i),
                                    with_echo_worker(counters, config.echo, [queue](EchoWorker& worker) {
                                      queue->attach(worker);
                                      return std::shared_ptr<void>(queue, [](HandoffQueue* q) { q->detach(); });
                                    })};
    });
    ThreadCounters& acceptor_counters = counters_.add("acceptor", 0);
    acceptor_ = std::make_unique<LoopThread>(acceptor_counters, plan.cpus("acceptor", 0));
    const int listen_fd = listen_fd_.get();
    const ListenerOptions listener = listener_options_from(config.options);
    const EchoOptions echo = config.echo;
    acceptor_->start([this, listen_fd, listener, echo, &acceptor_counters](EventLoop& loop) {
      configure_loop(loop, echo);
      return std::make_shared<Listener>(loop, listen_fd, listener, acceptor_counters,
                                        [this, &acceptor_counters](UniqueFd fd) {
                                          bump(acceptor_counters.accepted);
                                          dispatch(std::move(fd), acceptor_counters);
                                        });
    });
  } catch (...) {
    stop();
    throw;
  }
}

size_t AcceptorWorkersServer::pick_worker() {
  if (least_connections_) {
    size_t best = 0;
    uint64_t best_open = UINT64_MAX;
    for (size_t i = 0; i < worker_counters_.size(); ++i) {
      // Sockets handed to the worker minus those it closed (a relaxed read
      // of its own counter: a hint, never a lock).
      uint64_t open = assigned_[i] - worker_counters_[i]->closed.load(std::memory_order_relaxed);
      if (open < best_open) {
        best_open = open;
        best = i;
      }
    }
    return best;
  }
  return workers_.next_index();
}

void AcceptorWorkersServer::dispatch(UniqueFd fd, ThreadCounters& acceptor_counters) {
  // The chosen worker's queue first, then the others; dropped if all are full.
  if (auto worker = push_to_first_with_room(queues_, pick_worker(), fd, acceptor_counters)) ++assigned_[*worker];
}

void AcceptorWorkersServer::stop() {
  if (acceptor_) acceptor_->stop();
  workers_.stop();
  // Sockets accepted but not yet adopted by a worker are closed with their
  // queues, so no client waits on a connection nobody serves.
  queues_.clear();
  listen_fd_.reset();
}

}  // namespace echolab
