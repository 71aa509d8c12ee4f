#include "models/listening_loops.h"

#include "core/echo_worker.h"
#include "core/listener.h"

namespace echolab {

void ListeningLoops::start(const ServerConfig& config, const CpuPlan& plan, Sockets sockets) {
  require_kernel_support(config.echo);
  SocketAddress where = SocketAddress::from_host_port(config.bind_address, config.port);
  ListenOptions listen_options{config.backlog, sockets == Sockets::kPerThread, true};
  listen_fds_.push_back(listen_tcp(where, listen_options));
  address_ = local_address(listen_fds_.front().get());
  if (sockets == Sockets::kPerThread) {
    // The later sockets join the first one's port (chosen when port was 0).
    for (int i = 1; i < config.threads; ++i) listen_fds_.push_back(listen_tcp(address_, listen_options));
  }
  // Threads start (and register the listener) one after the other: in index
  // order, or from the last index down (register_order: reverse), so that
  // which thread wins an accept can be told apart from its index.
  const bool reverse = config.options.has("register_order") && config.options.text("register_order") == "reverse";
  try {
    loops_.start(config.threads, [&](int started) {
      const int i = reverse ? config.threads - 1 - started : started;
      ThreadCounters& counters = counters_.add("server", i);
      int listen_fd = listen_fds_[sockets == Sockets::kShared ? 0 : static_cast<size_t>(i)].get();
      ListenerOptions listener = listener_options_from(config.options);
      return LoopThreadPool::Member{
          counters, plan.cpus("server", i),
          with_echo_worker(counters, config.echo, [this, sockets, listen_fd, listener, &counters](EchoWorker& worker) {
            auto registered = std::make_shared<Listener>(worker.loop(), listen_fd, listener, counters,
                                                         [&worker](UniqueFd fd) { worker.adopt(std::move(fd)); });
            const int rank = sockets == Sockets::kShared ? registrations_.fetch_add(1) : 0;
            counters.listener_rank.store(rank, std::memory_order_release);
            return registered;
          })};
    });
  } catch (...) {
    stop();
    throw;
  }
}

void ListeningLoops::stop() {
  loops_.stop();
  listen_fds_.clear();
}

}  // namespace echolab
