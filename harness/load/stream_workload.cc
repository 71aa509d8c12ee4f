#include "harness/load/stream_workload.h"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace echolab {
namespace {

/// The bytes a stream connection sends, message after message, laid out so
/// that any window of up to `window` bytes starting at any offset of a
/// message is one contiguous slice: a message of pseudo-random bytes (a
/// shifted, zeroed or flipped echo cannot match it by accident, as a short
/// repeating alphabet could), followed by its first `window` bytes again.
/// Immutable once built; shared by every connection of the process.
class StreamPattern {
 public:
  StreamPattern(size_t message_bytes, size_t window) : message_bytes_(message_bytes), bytes_(message_bytes + window) {
    uint64_t state = 0x9e3779b97f4a7c15ULL ^ message_bytes;  // xorshift64*
    for (size_t i = 0; i < message_bytes; ++i) {
      state ^= state >> 12;
      state ^= state << 25;
      state ^= state >> 27;
      bytes_[i] = static_cast<char>((state * 0x2545f4914f6cdd1dULL) >> 56);
    }
    for (size_t i = message_bytes; i < bytes_.size(); ++i) bytes_[i] = bytes_[i - message_bytes];
  }
  size_t message_bytes() const { return message_bytes_; }
  /// The bytes of the stream from `stream_offset` on (at most `window` of them).
  const char* at(uint64_t stream_offset) const { return bytes_.data() + stream_offset % message_bytes_; }

 private:
  size_t message_bytes_;
  std::vector<char> bytes_;
};

// One pattern per (message size, window), shared by every connection.
const StreamPattern& shared_pattern(size_t message_bytes, size_t window) {
  return shared_instance<StreamPattern>(std::pair{message_bytes, window}, message_bytes, window);
}

// ECHOLAB_STREAM_UNCHECKED=1 skips the comparison: only for measuring what
// checking costs (README, "What checking a stream costs"), never for results.
bool stream_unchecked() {
  static const bool unchecked = [] {
    const char* value = std::getenv("ECHOLAB_STREAM_UNCHECKED");
    return value && std::strcmp(value, "1") == 0;
  }();
  return unchecked;
}

std::string byte_text(char byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", static_cast<unsigned char>(byte));
  return text;
}

// Bytes a connection may have written but not yet seen echoed.
uint64_t inflight_cap(const LoadConfig& config) {
  const long long messages = config.options.integer("inflight_messages");
  return messages == 0 ? UINT64_MAX / 2 : static_cast<uint64_t>(messages) * config.message_bytes;
}

/// One stream client socket: keeps up to the in-flight cap of messages
/// written and checks every echoed byte against what it sent, at its
/// offset. Its client thread only.
class StreamConnection : public WorkloadConnection {
 public:
  StreamConnection(UniqueFd fd, int index, ClientThreadContext& context)
      : fd_(std::move(fd)),
        index_(index),
        pattern_(shared_pattern(context.config.message_bytes, context.scratch.size())),
        checked_(!stream_unchecked()),
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
        if (!check_echo(static_cast<size_t>(n))) return;
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

  // The n bytes just read are the stream's bytes from received_ on; fails
  // the connection naming the first wrong byte, or an echo longer than
  // what was sent.
  bool check_echo(size_t n) {
    const uint64_t received = received_.load(std::memory_order_relaxed);
    if (received + n > sent_) {
      fail("connection " + std::to_string(index_) + ": more bytes echoed than sent (" + std::to_string(sent_) +
           " sent, " + std::to_string(received + n) + " received)");
      return false;
    }
    if (!checked_) return true;
    const char* expected = pattern_.at(received);
    if (std::memcmp(scratch_.data(), expected, n) == 0) return true;
    size_t at = 0;
    while (scratch_[at] == expected[at]) ++at;
    fail("connection " + std::to_string(index_) + ": mismatch at byte offset " + std::to_string(received + at) +
         " of the stream: expected " + byte_text(expected[at]) + ", got " + byte_text(scratch_[at]));
    return false;
  }

  void write_some() {
    // Write whole messages while the echoes outstanding stay under the cap;
    // a peer that never fills the socket (reads without echoing, fast) must
    // not keep the thread here once the client is told to stop.
    const size_t message_bytes = pattern_.message_bytes();
    while ((offset_ > 0 || sent_ - received_.load(std::memory_order_relaxed) + message_bytes <= inflight_cap_) &&
           !loop_.stop_requested()) {
      ssize_t n = ::send(fd_.get(), pattern_.at(offset_), message_bytes - offset_, MSG_NOSIGNAL);
      if (n > 0) {
        sent_ += static_cast<uint64_t>(n);
        bump(counters_.bytes_out, static_cast<uint64_t>(n));
        bump(counters_.writes);
        offset_ = (offset_ + static_cast<size_t>(n)) % message_bytes;
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
  const int index_;
  const StreamPattern& pattern_;
  const bool checked_;
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

std::unique_ptr<WorkloadConnection> connect_stream(UniqueFd fd, int index, ClientThreadContext& context) {
  return std::make_unique<StreamConnection>(std::move(fd), index, context);
}

}  // namespace echolab
