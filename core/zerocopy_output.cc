#include "core/zerocopy_output.h"

#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <system_error>

#include "core/unique_fd.h"

namespace echolab {

void enable_zerocopy(int fd) {
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_ZEROCOPY, &one, sizeof one) != 0) {
    throw std::system_error(errno, std::generic_category(), "setsockopt(SO_ZEROCOPY)");
  }
}

bool kernel_takes_zerocopy() {
  static const bool takes = [] {
    UniqueFd probe(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!probe.valid()) return false;
    try {
      enable_zerocopy(probe.get());
      return true;
    } catch (const std::system_error&) {
      return false;
    }
  }();
  return takes;
}

size_t tcp_send_buffer_max() {
  static const size_t bytes = [] {
    std::ifstream file("/proc/sys/net/ipv4/tcp_wmem");
    size_t min = 0, initial = 0, max = 0;
    if (file >> min >> initial >> max && max > 0) return max;
    return size_t{4} << 20;
  }();
  return bytes;
}

ZeroCopyOutput::ZeroCopyOutput(size_t chunk_bytes, size_t max_chunks)
    : chunk_bytes_(chunk_bytes), max_chunks_(std::max<size_t>(max_chunks, 2)) {}

bool ZeroCopyOutput::has_room() const {
  if (!chunks_.empty() && chunks_.back()->filled < chunk_bytes_) return true;
  return chunks_.size() < max_chunks_;
}

std::span<char> ZeroCopyOutput::reserve(size_t chunk_limit) {
  // A chunk that has been sent from may still be read by the kernel, but
  // only up to `filled`: its tail is free to fill.
  if (chunks_.empty() || chunks_.back()->filled == chunk_bytes_) {
    if (chunks_.size() >= chunk_limit) return {};
    std::unique_ptr<Chunk> chunk;
    if (!free_.empty()) {
      chunk = std::move(free_.back());
      free_.pop_back();
    } else {
      chunk = std::make_unique<Chunk>();
      chunk->data = std::make_unique<char[]>(chunk_bytes_);
    }
    chunks_.push_back(std::move(chunk));
  }
  Chunk& tail = *chunks_.back();
  return {tail.data.get() + tail.filled, chunk_bytes_ - tail.filled};
}

void ZeroCopyOutput::commit(size_t length) {
  chunks_.back()->filled += length;
  pending_ += length;
}

void ZeroCopyOutput::append(const char* data, size_t length) {
  while (length > 0) {
    std::span<char> room = reserve(SIZE_MAX);
    const size_t n = std::min(room.size(), length);
    std::memcpy(room.data(), data, n);
    commit(n);
    data += n;
    length -= n;
  }
}

ssize_t ZeroCopyOutput::send_from(int fd, Chunk& chunk, ThreadCounters& counters) {
  const char* data = chunk.data.get() + chunk.sent;
  const size_t length = chunk.filled - chunk.sent;
  for (;;) {
    ssize_t n = ::send(fd, data, length, MSG_NOSIGNAL | MSG_ZEROCOPY);
    if (n > 0) {
      // Each send that moved bytes took the socket's next notification id.
      in_flight_.push_back({next_send_id_++, &chunk});
      ++chunk.sends_outstanding;
      bump(counters.zerocopy_sends);
      return n;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      // Over the socket's optmem limit for notifications: this send copies.
      n = ::send(fd, data, length, MSG_NOSIGNAL);
      if (n > 0) bump(counters.zerocopy_refused);
    }
    return n;
  }
}

bool ZeroCopyOutput::flush(int fd, ThreadCounters& counters) {
  // Chunks before first_unsent_ are sent and only wait for completions:
  // not walked again (thousands may wait with 1 KiB chunks).
  for (size_t i = first_unsent_; i < chunks_.size(); ++i) {
    Chunk* chunk = chunks_[i].get();
    while (chunk->sent < chunk->filled) {
      ssize_t n = send_from(fd, *chunk, counters);
      if (n > 0) {
        bump(counters.bytes_out, static_cast<uint64_t>(n));
        bump(counters.writes);
        chunk->sent += static_cast<size_t>(n);
        pending_ -= static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        recycle();
        return true;
      } else {
        return false;
      }
    }
    // The newest chunk may still be filled further: it stays unsent-capable.
    if (i + 1 < chunks_.size()) first_unsent_ = i + 1;
  }
  recycle();
  return true;
}

bool ZeroCopyOutput::read_completions(int fd, ThreadCounters& counters) {
  for (;;) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sock_extended_err) + sizeof(sockaddr_in6))];
    msghdr message{};
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    if (::recvmsg(fd, &message, MSG_ERRQUEUE) < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return false;
    }
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
      const bool recverr = (c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
                           (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR);
      if (!recverr) continue;
      sock_extended_err error;
      std::memcpy(&error, CMSG_DATA(c), sizeof error);
      if (error.ee_origin != SO_EE_ORIGIN_ZEROCOPY || error.ee_errno != 0) return false;
      complete_range(error.ee_info, error.ee_data, (error.ee_code & SO_EE_CODE_ZEROCOPY_COPIED) != 0, counters);
    }
  }
  recycle();
  return true;
}

void ZeroCopyOutput::complete_range(uint32_t first, uint32_t last, bool copied, ThreadCounters& counters) {
  // Sends first .. last (inclusive, wrapping) are complete. in_flight_ is in
  // id order and TCP completes in order, so the range starts near the front
  // and the walk stops at the first id past it: O(range), not O(in flight).
  const uint32_t span = last - first;
  for (auto& send : in_flight_) {
    if (static_cast<int32_t>(send.id - last) > 0) break;
    if (!send.chunk || static_cast<uint32_t>(send.id - first) > span) continue;
    --send.chunk->sends_outstanding;
    send.chunk = nullptr;
    bump(counters.zerocopy_completed);
    if (copied) bump(counters.zerocopy_copied);
  }
  while (!in_flight_.empty() && !in_flight_.front().chunk) in_flight_.pop_front();
}

void ZeroCopyOutput::recycle() {
  // A partly filled newest chunk goes too once done: reserve() takes it back
  // from the free list and fills it from its start.
  while (!chunks_.empty()) {
    Chunk& head = *chunks_.front();
    if (head.sent != head.filled || head.sends_outstanding > 0) break;
    head.filled = head.sent = 0;
    free_.push_back(std::move(chunks_.front()));
    chunks_.pop_front();
    if (first_unsent_ > 0) --first_unsent_;
  }
}

}  // namespace echolab
