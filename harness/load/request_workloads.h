#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness/load/workload.h"

namespace echolab {

/// The bytes of request `seq` on connection `connection`: a 16-byte header
/// (sequence number, connection index, length, magic) and a pattern that
/// starts at a place the sequence number picks, so a wrong, reordered or
/// torn echo does not match. Immutable after construction; any thread.
class MessageFormat {
 public:
  static constexpr size_t kMinBytes = 16;
  explicit MessageFormat(size_t bytes);

  size_t bytes() const { return bytes_; }
  void write(uint64_t seq, uint32_t connection, char* out) const;
  /// "" when `in` (bytes() long) is the echo of request `seq` of
  /// `connection`; otherwise what differs.
  std::string check(uint64_t seq, uint32_t connection, const char* in) const;

 private:
  const char* body(uint64_t seq) const;
  size_t bytes_;
  std::vector<char> pattern_;
};

/// Collects a byte stream into whole messages, handing each to a callback
/// as one contiguous block (copied only when it straddles two reads); the
/// callback returns false to stop (the connection failed).
/// Plain value; its owner's thread.
class MessageAssembler {
 public:
  explicit MessageAssembler(size_t bytes) : partial_(bytes) {}
  template <typename OnMessage>
  void feed(const char* data, size_t n, OnMessage&& on_message);
  /// Bytes of an incomplete message received so far.
  size_t partial_bytes() const { return have_; }

 private:
  std::vector<char> partial_;
  size_t have_ = 0;
};

/// rr: each connection keeps load.depth requests in flight (closed loop).
std::unique_ptr<WorkloadConnection> connect_rr(UniqueFd fd, int index, ClientThreadContext& context);
/// open: connections that send when the thread's schedule says so.
std::unique_ptr<WorkloadConnection> connect_open(UniqueFd fd, int index, ClientThreadContext& context);
/// open: the thread's arrival schedule at load.rate / load.threads.
std::unique_ptr<WorkloadThreadDriver> drive_open(ClientThreadContext& context, const ThreadConnections& connections);
/// crr: connect, one request, its response, close, again.
std::unique_ptr<WorkloadConnection> connect_crr(UniqueFd fd, int index, ClientThreadContext& context);

template <typename OnMessage>
void MessageAssembler::feed(const char* data, size_t n, OnMessage&& on_message) {
  const size_t bytes = partial_.size();
  while (n > 0) {
    if (have_ == 0 && n >= bytes) {
      if (!on_message(data)) return;
      data += bytes;
      n -= bytes;
      continue;
    }
    const size_t take = std::min(n, bytes - have_);
    std::copy(data, data + take, partial_.data() + have_);
    have_ += take;
    data += take;
    n -= take;
    if (have_ == bytes) {
      have_ = 0;
      if (!on_message(partial_.data())) return;
    }
  }
}

}  // namespace echolab
