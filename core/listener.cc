#include "core/listener.h"

#include <fcntl.h>
#include <sys/socket.h>

#include <cerrno>
#include <system_error>

namespace echolab {

UniqueFd accept_nonblocking(int listen_fd) {
  for (;;) {
    int fd = ::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) return UniqueFd(fd);
    if (errno == EINTR || errno == ECONNABORTED) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return UniqueFd();
    throw std::system_error(errno, std::generic_category(), "accept");
  }
}

Listener::Listener(EventLoop& loop, int listen_fd, const ListenerOptions& options, ThreadCounters& counters,
                   AcceptCallback on_accept)
    : loop_(loop),
      listen_fd_(listen_fd),
      counters_(counters),
      on_accept_(std::move(on_accept)),
      edge_(options.trigger == Trigger::kEdge),
      accept_once_(options.accept_once),
      reserve_fd_(::open("/dev/null", O_RDONLY | O_CLOEXEC)) {
  uint32_t events = with_trigger(EPOLLIN, options.trigger);
  if (options.exclusive) events |= EPOLLEXCLUSIVE;
  loop_.add(listen_fd_, events, this);
}

Listener::~Listener() { loop_.remove(listen_fd_); }

void Listener::on_events(uint32_t) {
  // Accept until EAGAIN (required in edge mode), at most a batch per wake-up
  // so one loop cannot starve its own connections during a burst; or once
  // per wake-up, as the forum's mio code did (with an edge-triggered
  // listener that leaves queued connections waiting for the next edge: a
  // legal but starving configuration, kept so it can be shown).
  const int max_per_wakeup = accept_once_ ? 1 : kMaxPerWakeup;
  int accepted = 0;
  for (; accepted < max_per_wakeup; ++accepted) {
    UniqueFd fd;
    try {
      fd = accept_nonblocking(listen_fd_);
    } catch (const std::system_error& error) {
      bump(counters_.errors);
      if (error.code().value() == EMFILE || error.code().value() == ENFILE) shed_one_connection();
      break;
    }
    if (!fd) break;
    if (loop_.served_connections_recently()) bump(counters_.accepts_while_busy);
    on_accept_(std::move(fd));
  }
  if (accepted == 0) bump(counters_.spurious_wakeups);
  // Edge mode reports no new edge for connections still queued: come back
  // after this batch instead of leaving them in the backlog.
  if (!accept_once_ && accepted == kMaxPerWakeup && edge_) loop_.defer([this] { on_events(EPOLLIN); });
}

void Listener::shed_one_connection() {
  // Out of fds: free the reserve, accept and close the waiting connection so
  // a level-triggered listener does not spin, then take the reserve back.
  reserve_fd_.reset();
  int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    bump(counters_.dropped);
  }
  reserve_fd_.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
}

}  // namespace echolab
