#include "models/blocking_pool.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "models/blocking_echo.h"

namespace echolab {

void BlockingPoolServer::start(const ServerConfig& config, const CpuPlan& plan) {
  config_ = config;
  listen_fd_ = listen_tcp(SocketAddress::from_host_port(config.bind_address, config.port),
                          {config.backlog, false, /*nonblocking=*/false});
  address_ = local_address(listen_fd_.get());
  serving_.assign(static_cast<size_t>(config.threads), -1);
  for (int i = 0; i < config.threads; ++i) {
    ThreadCounters& counters = counters_.add("server", i);
    threads_.emplace_back([this, i, &counters, cpus = plan.cpus("server", i)] {
      accept_and_serve(static_cast<size_t>(i), counters, cpus);
    });
  }
}

void BlockingPoolServer::accept_and_serve(size_t index, ThreadCounters& counters, const CpuList& cpus) {
  enter_server_thread(counters, cpus);
  while (!stopping_.load()) {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_.load()) return;
      bump(counters.errors);  // e.g. EMFILE: the connection waits in the backlog
      std::this_thread::yield();
      continue;
    }
    bump(counters.accepted);
    if (config_.echo.nodelay) set_nodelay(fd, true);
    {
      std::lock_guard lock(mutex_);
      if (stopping_.load()) {
        ::close(fd);
        return;
      }
      serving_[index] = fd;
    }
    echo_until_closed(fd, counters, config_.echo);
    bump(counters.closed);
    // Closed under the mutex, so stop() never shuts down a reused number.
    std::lock_guard lock(mutex_);
    ::close(fd);
    serving_[index] = -1;
  }
}

void BlockingPoolServer::stop() {
  stopping_.store(true);
  // shutdown() wakes the threads blocked in accept() and in read().
  if (listen_fd_) ::shutdown(listen_fd_.get(), SHUT_RDWR);
  {
    std::lock_guard lock(mutex_);
    for (int fd : serving_) {
      if (fd >= 0) ::shutdown(fd, SHUT_RDWR);
    }
  }
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  threads_.clear();
  listen_fd_.reset();
}

}  // namespace echolab
