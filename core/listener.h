#pragma once

#include <functional>

#include "core/event_loop.h"
#include "core/poller.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"

namespace echolab {

/// How a loop registers a listening socket; a plain value.
struct ListenerOptions {
  Trigger trigger = Trigger::kLevel;
  bool exclusive = false;    // EPOLLEXCLUSIVE (shared listeners only)
  bool accept_once = false;  // one accept() per wake-up (as mio code does), else until EAGAIN
};

/// Accepts connections from a listening socket (possibly shared with other
/// loops) inside one EventLoop, counting wake-ups that found nothing to
/// accept; does not own the listening fd. Loop thread only.
class Listener : public EventHandler {
 public:
  using AcceptCallback = std::function<void(UniqueFd)>;

  Listener(EventLoop& loop, int listen_fd, const ListenerOptions& options, ThreadCounters& counters,
           AcceptCallback on_accept);
  ~Listener() override;
  void on_events(uint32_t events) override;

 private:
  void shed_one_connection();

  EventLoop& loop_;
  int listen_fd_;
  ThreadCounters& counters_;
  AcceptCallback on_accept_;
  static constexpr int kMaxPerWakeup = 64;
  bool edge_;
  bool accept_once_;
  UniqueFd reserve_fd_;  // released to accept-and-close when fds run out
};

/// Accepts one connection, retrying EINTR; returns an invalid fd on EAGAIN
/// and throws std::system_error on any other error.
UniqueFd accept_nonblocking(int listen_fd);

}  // namespace echolab
