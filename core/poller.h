#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <span>
#include <string_view>

#include "core/unique_fd.h"

namespace echolab {

enum class Trigger { kLevel, kEdge };
std::string_view to_string(Trigger trigger);

/// Adds EPOLLET to an event mask when the trigger is edge.
inline uint32_t with_trigger(uint32_t events, Trigger trigger) {
  return trigger == Trigger::kEdge ? (events | EPOLLET) : events;
}

/// How a loop waits for events: sleeping in epoll_wait, or polling with a
/// zero timeout without ever sleeping (busy-polling, as Seastar- and
/// DPDK-style servers and sockperf's clients do).
enum class LoopWait { kBlock, kSpin };

/// Owns one epoll instance. epoll_ctl/epoll_wait are thread-safe syscalls, so
/// any thread may call; an EventLoop keeps its Poller private and restricts
/// its use to the owner thread (one-shot re-arms excepted).
class Poller {
 public:
  Poller();
  int fd() const { return epoll_.get(); }

  void add(int fd, uint32_t events, void* tag);
  void modify(int fd, uint32_t events, void* tag);
  /// Removing an fd that is already closed or absent is not an error.
  void remove(int fd);
  /// Waits up to timeout_ms (-1 forever); EINTR returns 0 events.
  int wait(std::span<epoll_event> out, int timeout_ms);

 private:
  UniqueFd epoll_;
};

}  // namespace echolab
