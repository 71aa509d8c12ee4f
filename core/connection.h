#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/echo_options.h"
#include "core/event_loop.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"

namespace echolab {

/// Echo state machine of one accepted socket, registered in one EventLoop:
/// owns the fd and its bounded pending output. Called by one thread at a
/// time: its loop's thread, or (options.oneshot, dispatch_pool) whichever
/// thread holds its EPOLLONESHOT event.
class Connection : public EventHandler {
 public:
  using CloseCallback = std::function<void(Connection*)>;

  Connection(EventLoop& loop, UniqueFd fd, const EchoOptions& options, CloseCallback on_close);

  /// Registers the fd with `tag` as its epoll data instead of this
  /// connection (dispatch_pool routes events through a queue); before start().
  void set_registration_tag(EventHandler* tag) { tag_ = tag; }
  /// Which thread's counters and read buffer the next events use.
  void bind_thread(ThreadCounters* counters, std::span<char> scratch);
  /// Loop thread: registers the socket with the loop; throws if it cannot.
  void start();
  /// Handles events; with options.oneshot the caller re-arms afterwards
  /// (rearm()), so it can order the re-arm with its own synchronisation.
  void on_events(uint32_t events) override;
  /// Updates (or, one-shot, re-arms) the epoll registration.
  void rearm() { update_interest(); }

  int fd() const { return fd_.get(); }
  bool closed() const { return !fd_.valid(); }
  size_t pending_bytes() const { return pending_.size() - pending_head_; }
  /// Thread that served the previous event (dispatch_pool counts hops).
  int last_server_index = -1;

 private:
  void handle_events(uint32_t events);
  void handle_events_or_close(uint32_t events);
  bool read_pass();
  bool echo(const char* data, size_t length);
  bool flush();
  /// Sends until done or EAGAIN; bytes sent, or -1 after closing on error.
  ssize_t send_some(const char* data, size_t length);
  void update_interest();
  uint32_t wanted_events() const;
  void close_now(bool error);

  EventLoop& loop_;
  UniqueFd fd_;
  EchoOptions options_;
  CloseCallback on_close_;
  ThreadCounters* counters_ = nullptr;
  std::span<char> scratch_;
  std::vector<char> pending_;
  size_t pending_head_ = 0;
  bool peer_eof_ = false;
  uint32_t registered_ = 0;
  EventHandler* tag_ = this;
};

}  // namespace echolab
