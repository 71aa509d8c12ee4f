#include "models/dispatch_pool.h"

#include "core/echo_worker.h"
#include "core/listener.h"

namespace echolab {

/// A Connection whose epoll events go to the pool's queue; handled by one
/// pool thread at a time (EPOLLONESHOT guarantees a single event in flight).
class DispatchPoolServer::PooledConnection : public EventHandler {
 public:
  PooledConnection(DispatchPoolServer& server, EventLoop& loop, UniqueFd fd, const EchoOptions& options)
      : server_(server), connection(loop, std::move(fd), options, nullptr) {
    connection.set_registration_tag(this);
  }
  void on_events(uint32_t events) override { server_.enqueue({this, events}); }

 private:
  DispatchPoolServer& server_;

 public:
  Connection connection;
};

DispatchPoolServer::DispatchPoolServer() = default;
DispatchPoolServer::~DispatchPoolServer() { stop(); }

void DispatchPoolServer::start(const ServerConfig& config, const CpuPlan& plan) {
  require_kernel_support(config.echo);
  config_ = config;
  config_.echo.oneshot = true;
  listen_fd_ =
      listen_tcp(SocketAddress::from_host_port(config.bind_address, config.port), {config.backlog, false, true});
  address_ = local_address(listen_fd_.get());
  try {
    for (int i = 0; i < config.threads; ++i) {
      ThreadCounters& counters = counters_.add("server", i);
      pool_.emplace_back([this, i, &counters, cpus = plan.cpus("server", i)] { pool_thread(i, counters, cpus); });
    }
    ThreadCounters& dispatcher_counters = counters_.add("dispatcher", 0);
    dispatcher_ = std::make_unique<LoopThread>(dispatcher_counters, plan.cpus("dispatcher", 0));
    const int listen_fd = listen_fd_.get();
    const ListenerOptions listener = listener_options_from(config.options);
    const EchoOptions echo = config.echo;
    dispatcher_->start([this, listen_fd, listener, echo, &dispatcher_counters](EventLoop& loop) {
      configure_loop(loop, echo);
      return std::make_shared<Listener>(loop, listen_fd, listener, dispatcher_counters,
                                        [this, &loop, &dispatcher_counters](UniqueFd fd) {
                                          bump(dispatcher_counters.accepted);
                                          adopt(std::move(fd), loop);
                                        });
    });
  } catch (...) {
    stop();
    throw;
  }
}

void DispatchPoolServer::adopt(UniqueFd fd, EventLoop& dispatcher_loop) {
  auto pooled = std::make_unique<PooledConnection>(*this, dispatcher_loop, std::move(fd), config_.echo);
  PooledConnection* raw = pooled.get();
  {
    std::lock_guard lock(mutex_);
    connections_.emplace(raw, std::move(pooled));
  }
  try {
    raw->connection.start();
  } catch (const std::system_error&) {
    std::lock_guard lock(mutex_);
    connections_.erase(raw);
  }
}

void DispatchPoolServer::enqueue(Work work) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(work);
  }
  work_ready_.notify_one();
}

void DispatchPoolServer::pool_thread(int index, ThreadCounters& counters, CpuList cpus) {
  enter_server_thread(counters, cpus);
  std::vector<char> scratch(config_.echo.read_buffer);
  for (;;) {
    Work work;
    {
      std::unique_lock lock(mutex_);
      work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      work = queue_.front();
      queue_.pop_front();
    }
    bump(counters.wakeups);
    bump(counters.events);
    if ((counters.wakeups.load(std::memory_order_relaxed) & 63) == 0) counters.note_cpu();
    Connection& connection = work.connection->connection;
    if (connection.last_server_index < 0) {
      bump(counters.accepted);  // the thread that first serves a connection counts it
    } else if (connection.last_server_index != index) {
      bump(counters.hops);
    }
    connection.last_server_index = index;
    connection.bind_thread(&counters, scratch);
    connection.on_events(work.events);
    // Re-arm under the mutex: the next event can only reach another pool
    // thread through this mutex, which orders this thread's work before it.
    std::lock_guard lock(mutex_);
    if (connection.closed()) {
      connections_.erase(work.connection);
    } else {
      try {
        connection.rearm();
      } catch (const std::system_error&) {
        bump(counters.errors);
        connections_.erase(work.connection);
      }
    }
  }
}

void DispatchPoolServer::stop() {
  // Pool threads first: they re-arm connections on the dispatcher's poller,
  // which must outlive them. Events queued after this are dropped below.
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  work_ready_.notify_all();
  for (auto& thread : pool_) {
    if (thread.joinable()) thread.join();
  }
  if (dispatcher_) dispatcher_->stop();
  std::lock_guard lock(mutex_);
  queue_.clear();
  connections_.clear();
  listen_fd_.reset();
}

}  // namespace echolab
