#pragma once

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "core/echo_options.h"
#include "core/event_loop.h"
#include "core/request_work.h"
#include "core/thread_counters.h"
#include "core/unique_fd.h"
#include "core/zerocopy_output.h"

namespace echolab {

/// Echo state machine of one accepted socket, registered in one EventLoop:
/// owns the fd and its bounded pending output. Called by one thread at a
/// time: its loop's thread, or (options.oneshot, dispatch_pool) whichever
/// thread holds its EPOLLONESHOT event.
class Connection : public EventHandler {
 public:
  using CloseCallback = std::function<void(Connection*)>;

  Connection(EventLoop& loop, UniqueFd fd, const EchoOptions& options, CloseCallback on_close);
  ~Connection() override;

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
  size_t pending_bytes() const {
    return pending_.size() - pending_head_ + (zerocopy_ ? zerocopy_->pending_bytes() : 0);
  }
  /// Thread that served the previous event (dispatch_pool counts hops).
  int last_server_index = -1;

 private:
  void handle_events(uint32_t events);
  void handle_events_or_close(uint32_t events);
  bool read_pass();
  bool echo(const char* data, size_t length);
  /// offload_pool: holds `length` received bytes until the work of the
  /// requests they complete is done elsewhere; echoes in order.
  void hold_for_offload(const char* data, size_t length);
  /// Loop thread: the batch `sequence` was worked; echoes every leading
  /// batch that is done.
  void on_offloaded_work_done(uint64_t sequence);
  bool release_worked_batches();
  size_t held_bytes() const { return held_.size() - held_head_; }
  bool flush();
  /// Sends until done or EAGAIN; bytes sent, or -1 after closing on error.
  ssize_t send_some(const char* data, size_t length);
  void update_interest();
  uint32_t wanted_events() const;
  void close_now(bool error);
  /// Whether the connection is done: the peer closed and everything owed is
  /// sent (and, zero-copy, the kernel released every buffer).
  bool finished() const;
  /// Before the fd closes with zero-copy sends in flight: aborts the
  /// connection so the kernel drops its references to our buffers.
  void abort_if_sending_zerocopy();

  EventLoop& loop_;
  UniqueFd fd_;
  EchoOptions options_;
  CloseCallback on_close_;
  ThreadCounters* counters_ = nullptr;
  std::span<char> scratch_;
  std::vector<char> pending_;
  std::unique_ptr<ZeroCopyOutput> zerocopy_;  // server.send zerocopy: the pending output instead of pending_
  size_t pending_head_ = 0;
  bool peer_eof_ = false;
  uint32_t registered_ = 0;
  EventHandler* tag_ = this;
  RequestCounter requests_;  // work per request: where the next request ends
  // offload_pool: received bytes waiting for their requests' work, as
  // batches (one per read that completed requests) echoed in order.
  struct HeldBatch {
    size_t bytes;
    bool done;
  };
  std::vector<char> held_;
  size_t held_head_ = 0;
  std::deque<HeldBatch> batches_;
  uint64_t first_batch_ = 0;  // sequence number of batches_.front()
  size_t unbatched_ = 0;      // held bytes after the last batch (a request still arriving)
  /// Expires with the connection: a completion posted after it was freed does nothing.
  std::shared_ptr<Connection*> self_ = std::make_shared<Connection*>(this);
};

}  // namespace echolab
