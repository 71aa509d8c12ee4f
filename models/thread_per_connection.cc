#include "models/thread_per_connection.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "models/blocking_echo.h"

namespace echolab {

void ThreadPerConnectionServer::start(const ServerConfig& config, const CpuPlan& plan) {
  config_ = config;
  plan_ = plan;
  listen_fd_ = listen_tcp(SocketAddress::from_host_port(config.bind_address, config.port),
                          {config.backlog, false, /*nonblocking=*/false});
  address_ = local_address(listen_fd_.get());
  ThreadCounters& acceptor_counters = counters_.add("acceptor", 0);
  acceptor_ = std::thread(
      [this, &acceptor_counters, cpus = plan.cpus("acceptor", 0)] { accept_loop(acceptor_counters, cpus); });
}

void ThreadPerConnectionServer::accept_loop(ThreadCounters& counters, CpuList cpus) {
  enter_server_thread(counters, cpus);
  while (!stopping_.load()) {
    int fd = ::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (stopping_.load()) return;
      bump(counters.errors);  // e.g. EMFILE: keep serving the others
      std::this_thread::yield();
      continue;
    }
    bump(counters.wakeups);
    bump(counters.accepted);
    if (config_.echo.nodelay) set_nodelay(fd, true);
    std::lock_guard lock(mutex_);
    if (stopping_.load()) {
      ::close(fd);
      return;
    }
    reap_finished();
    ThreadCounters* slot_counters = nullptr;
    if (!free_slots_.empty()) {
      slot_counters = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot_counters = &counters_.add("server", next_slot_++);
    }
    // Connection threads take the server CPU sets round-robin by slot.
    CpuList cpus = plan_.cpus("server", slot_counters->index % config_.threads);
    auto& entry = connections_.emplace_back();
    entry.fd = fd;
    entry.counters = slot_counters;
    entry.thread = std::thread([this, fd, slot_counters, cpus] { serve(fd, *slot_counters, cpus); });
  }
}

void ThreadPerConnectionServer::serve(int fd, ThreadCounters& counters, CpuList cpus) {
  enter_server_thread(counters, cpus);
  bump(counters.accepted);
  echo_until_closed(fd, counters, config_.echo);
  bump(counters.closed);
  // The fd is closed by stop() (or here when the peer left first), under
  // the mutex, so stop() never shuts down a number reused by another socket.
  std::lock_guard lock(mutex_);
  for (auto& entry : connections_) {
    if (entry.fd == fd) {
      ::close(fd);
      entry.fd = -1;
    }
  }
}

void ThreadPerConnectionServer::reap_finished() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    if (it->fd >= 0) {
      ++it;
      continue;
    }
    // It cleared fd under the mutex on its way out and needs it no more,
    // so this join returns as soon as the thread has exited.
    it->thread.join();
    free_slots_.push_back(it->counters);
    it = connections_.erase(it);
  }
}

void ThreadPerConnectionServer::stop() {
  stopping_.store(true);
  // shutdown() wakes a thread blocked in accept() or read().
  if (listen_fd_) ::shutdown(listen_fd_.get(), SHUT_RDWR);
  if (acceptor_.joinable()) acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (auto& entry : connections_) {
      if (entry.fd >= 0) ::shutdown(entry.fd, SHUT_RDWR);
    }
  }
  for (auto& entry : connections_) {
    if (entry.thread.joinable()) entry.thread.join();
  }
  connections_.clear();
  listen_fd_.reset();
}

}  // namespace echolab
