#include "harness/load/load_client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <mutex>
#include <thread>

namespace echolab {
namespace {

/// One client socket: keeps up to the in-flight cap of messages written
/// and counts echoed bytes. Its client thread only.
class StreamConnection : public EventHandler {
 public:
  StreamConnection(UniqueFd fd, const LoadConfig& config, const std::vector<char>& message, std::vector<char>& scratch,
                   ThreadCounters& counters, std::string& error)
      : fd_(std::move(fd)),
        message_(message),
        scratch_(scratch),
        counters_(counters),
        error_(error),
        inflight_cap_(config.inflight_messages == 0
                          ? UINT64_MAX / 2
                          : static_cast<uint64_t>(config.inflight_messages) * config.message_bytes) {}

  int fd() const { return fd_.get(); }
  void start(EventLoop& loop) {
    loop_ = &loop;
    loop.add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this);
  }

  void on_events(uint32_t events) override {
    if (!fd_) return;
    if (events & EPOLLIN) read_all();
    if (fd_ && (events & (EPOLLERR | EPOLLHUP | EPOLLRDHUP))) {
      fail(events & EPOLLERR ? "socket error" : "server closed the connection");
      return;
    }
    if (fd_) write_some();
  }

 private:
  void read_all() {
    for (;;) {
      ssize_t n = ::read(fd_.get(), scratch_.data(), scratch_.size());
      if (n > 0) {
        received_ += static_cast<uint64_t>(n);
        bump(counters_.bytes_in, static_cast<uint64_t>(n));
        bump(counters_.reads);
      } else if (n == 0) {
        fail("server closed the connection");
        return;
      } else if (errno == EINTR) {
        continue;
      } else if (errno == EAGAIN) {
        return;
      } else {
        fail(std::strerror(errno));
        return;
      }
    }
  }

  void write_some() {
    // Write whole messages while the echoes outstanding stay under the cap.
    while (offset_ > 0 || sent_ - received_ + message_.size() <= inflight_cap_) {
      ssize_t n = ::send(fd_.get(), message_.data() + offset_, message_.size() - offset_, MSG_NOSIGNAL);
      if (n > 0) {
        sent_ += static_cast<uint64_t>(n);
        bump(counters_.bytes_out, static_cast<uint64_t>(n));
        bump(counters_.writes);
        offset_ = (offset_ + static_cast<size_t>(n)) % message_.size();
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        fail(std::strerror(errno));
        return;
      }
    }
  }

  void fail(const std::string& why) {
    bump(counters_.errors);
    if (error_.empty()) error_ = why;
    loop_->remove(fd_.get());
    fd_.reset();
    bump(counters_.closed);
  }

  UniqueFd fd_;
  const std::vector<char>& message_;
  std::vector<char>& scratch_;
  ThreadCounters& counters_;
  std::string& error_;
  EventLoop* loop_ = nullptr;
  const uint64_t inflight_cap_;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  size_t offset_ = 0;
};

}  // namespace

/// One client thread with its loop and connections; owns the thread.
class LoadClient::Worker {
 public:
  Worker(ThreadCounters& counters, CpuList cpus, const LoadConfig& config)
      : counters_(counters), cpus_(std::move(cpus)), config_(config), message_(config.message_bytes) {
    for (size_t i = 0; i < message_.size(); ++i) message_[i] = static_cast<char>('a' + i % 26);
  }
  ~Worker() { stop(); }

  void add_socket(UniqueFd fd) { sockets_.push_back(std::move(fd)); }

  void start() {
    std::promise<void> ready;
    auto started = ready.get_future();
    thread_ = std::thread([this, &ready] { body(ready); });
    try {
      started.get();
    } catch (...) {
      thread_.join();
      throw;
    }
  }

  void stop() {
    if (!thread_.joinable()) return;
    loop_->stop();
    thread_.join();
  }

  std::string error() const {
    std::lock_guard lock(error_mutex_);
    return error_copy_;
  }

 private:
  void body(std::promise<void>& ready) {
    std::vector<char> scratch(256 * 1024);
    std::vector<std::unique_ptr<StreamConnection>> connections;
    std::string error;
    try {
      bind_current_thread(cpus_);
      counters_.attach_current_thread();
      loop_ = std::make_unique<EventLoop>(&counters_);
      for (auto& fd : sockets_) {
        bump(counters_.accepted);
        connections.push_back(
            std::make_unique<StreamConnection>(std::move(fd), config_, message_, scratch, counters_, error));
        connections.back()->start(*loop_);
      }
    } catch (...) {
      ready.set_exception(std::current_exception());
      return;
    }
    ready.set_value();
    loop_->run();
    std::lock_guard lock(error_mutex_);
    error_copy_ = error;
  }

  ThreadCounters& counters_;
  CpuList cpus_;
  LoadConfig config_;
  std::vector<char> message_;
  std::vector<UniqueFd> sockets_;
  std::unique_ptr<EventLoop> loop_;
  std::thread thread_;
  mutable std::mutex error_mutex_;
  std::string error_copy_;
};

LoadClient::LoadClient() = default;
LoadClient::~LoadClient() { stop(); }

void LoadClient::start(const LoadConfig& config, const CpuPlan& plan) {
  for (int i = 0; i < config.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(counters_.add("client", i), plan.cpus("client", i), config));
  }
  for (int c = 0; c < config.connections; ++c) {
    workers_[static_cast<size_t>(c % config.threads)]->add_socket(
        connect_tcp(config.target, config.connect_timeout_ms));
  }
  for (auto& worker : workers_) worker->start();
}

void LoadClient::stop() {
  for (auto& worker : workers_) worker->stop();
}

uint64_t LoadClient::bytes_echoed() const {
  uint64_t total = 0;
  for (const auto& report : counters_.reports()) total += report.counters.bytes_in;
  return total;
}

std::string LoadClient::first_error() const {
  for (const auto& worker : workers_) {
    if (auto error = worker->error(); !error.empty()) return error;
  }
  return "";
}

}  // namespace echolab
