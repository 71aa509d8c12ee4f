#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/load/request_workloads.h"

namespace echolab {

/// The socket half the request workloads share: framed requests queued and
/// written as the socket takes them, responses read, assembled and checked
/// in order against the requests in flight, failures named by connection
/// and request. Subclasses decide when requests go out and what a response
/// completes. Client thread only (bytes_echoed: any thread).
class RequestSocket : public WorkloadConnection {
 public:
  RequestSocket(UniqueFd fd, int index, ClientThreadContext& context);
  uint64_t bytes_echoed() const override { return received_.load(std::memory_order_relaxed); }
  bool failed() const { return !fd_; }
  /// Records each request still queued or in flight at `at_ns` (the window's
  /// end) into the recorder's unanswered count and ages (censored: its
  /// latency is at least its age).
  void censor_unanswered(uint64_t at_ns) override;

 protected:
  /// Called for each checked response with its request's start time (ns)
  /// and the time it was read (0 when timing is off).
  virtual void on_response(uint64_t started_ns, uint64_t now_ns) = 0;

  /// Queues request number next_seq_ whose latency counts from `started_ns`.
  void queue_request(uint64_t started_ns);
  /// Writes queued bytes until done or the socket is full; false if failed.
  bool flush();
  /// Reads until EAGAIN, handing each whole response to on_response.
  void read_responses();
  /// Reads errors, closes and flushes, as on_events does for rr and open.
  void handle_events(uint32_t events);
  void fail(const std::string& why);
  /// Replaces the socket (crr's next connection); the old one is closed.
  void replace_socket(UniqueFd fd);
  uint64_t now_if_timing() const { return timing_ ? monotonic_ns() : 0; }
  /// Requests sent or queued and not yet answered.
  size_t in_flight() const { return inflight_.size() - inflight_head_; }
  /// Bytes queued and not yet handed to the socket.
  size_t unsent_bytes() const { return out_.size() - out_offset_; }
  /// Stamps the requests queued since the last stamp as sent at `now_ns`
  /// (open: for the uncorrected latency, from the actual send).
  void stamp_sent(uint64_t now_ns);
  /// Set by a subclass that is done with this socket: reading stops.
  void stop_reading(bool stop) { stop_reading_ = stop; }
  /// The thread's only connection waits for its responses in recv() on a
  /// blocking socket instead of in the loop's epoll_wait, until the loop is
  /// stopped or the connection fails (see WorkloadConnection::run_alone).
  /// While bytes are unsent it waits in poll() for either direction, so a
  /// large request and its echo cannot block each other. Every
  /// kAloneCheckMs of silence it looks at the loop's stop and posted tasks.
  void serve_alone();
  static constexpr int kAloneCheckMs = 10;

  UniqueFd fd_;
  const int index_;
  ClientThreadContext& context_;
  RequestRecorder& recorder_;
  const bool timing_;

 private:
  bool take_response(const char* message, uint64_t now);

  const MessageFormat& format_;  // shared by every connection (shared_instance)
  MessageAssembler assembler_;
  std::vector<char> out_;
  size_t out_offset_ = 0;
  bool stop_reading_ = false;
  bool blocking_ = false;  // serve_alone made the socket blocking: recv() waits unless told MSG_DONTWAIT
  /// A request in flight: when its latency counts from (open: its intended
  /// time) and when it was sent (0 until stamp_sent; rr and crr: never).
  struct InFlight {
    uint64_t started_ns;
    uint64_t sent_ns;
  };
  std::vector<InFlight> inflight_;  // oldest at inflight_head_
  size_t inflight_head_ = 0;
  size_t unstamped_ = 0;  // index in inflight_ of the first request stamp_sent has not stamped
  uint64_t next_seq_ = 0;
  uint64_t expected_seq_ = 0;
  std::atomic<uint64_t> received_{0};  // written by this thread, read by the sampler
};

}  // namespace echolab
