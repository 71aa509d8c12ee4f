#include "harness/load/stream_workload.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace echolab {
namespace {

// The bytes of every message: a repeating alphabet.
std::vector<char> message_pattern(size_t bytes) {
  std::vector<char> message(bytes);
  for (size_t i = 0; i < message.size(); ++i) message[i] = static_cast<char>('a' + i % 26);
  return message;
}

// Bytes a connection may have written but not yet seen echoed.
uint64_t inflight_cap(const LoadConfig& config) {
  const long long messages = config.options.integer("inflight_messages");
  return messages == 0 ? UINT64_MAX / 2 : static_cast<uint64_t>(messages) * config.message_bytes;
}

/// One stream client socket: keeps up to the in-flight cap of messages
/// written and counts echoed bytes. Its client thread only.
class StreamConnection : public WorkloadConnection {
 public:
  StreamConnection(UniqueFd fd, ClientThreadContext& context)
      : fd_(std::move(fd)),
        message_(message_pattern(context.config.message_bytes)),
        scratch_(context.scratch),
        counters_(context.counters),
        error_(context.first_error),
        loop_(context.loop),
        inflight_cap_(inflight_cap(context.config)) {}

  uint64_t bytes_echoed() const override { return received_.load(std::memory_order_relaxed); }
  void start() override { loop_.add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this); }

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
        bump(received_, static_cast<uint64_t>(n));
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
    // Write whole messages while the echoes outstanding stay under the cap;
    // a peer that never fills the socket (reads without echoing, fast) must
    // not keep the thread here once the client is told to stop.
    while ((offset_ > 0 || sent_ - received_.load(std::memory_order_relaxed) + message_.size() <= inflight_cap_) &&
           !loop_.stop_requested()) {
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
    loop_.remove(fd_.get());
    fd_.reset();
    bump(counters_.closed);
  }

  UniqueFd fd_;
  const std::vector<char> message_;
  std::vector<char>& scratch_;
  ThreadCounters& counters_;
  std::string& error_;
  EventLoop& loop_;
  const uint64_t inflight_cap_;
  uint64_t sent_ = 0;
  std::atomic<uint64_t> received_{0};  // written by this thread, read by the sampler
  size_t offset_ = 0;
};

}  // namespace

std::unique_ptr<WorkloadConnection> connect_stream(UniqueFd fd, int /*index*/, ClientThreadContext& context) {
  return std::make_unique<StreamConnection>(std::move(fd), context);
}

}  // namespace echolab
