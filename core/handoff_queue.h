#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "core/echo_worker.h"
#include "core/event_loop.h"
#include "core/unique_fd.h"

namespace echolab {

/// Bounded single-producer / single-consumer queue of accepted sockets plus
/// the eventfd that wakes the consumer; owns queued fds until adopted.
/// push() from the one producer thread (the acceptor); attach(), detach()
/// and on_events() on the consumer worker's loop thread.
class HandoffQueue : public EventHandler {
 public:
  explicit HandoffQueue(size_t capacity);
  ~HandoffQueue() override;

  /// Producer: queues the socket and wakes the worker; false when full
  /// (the socket then stays with the caller).
  bool push(UniqueFd& fd, uint64_t accepted_at_ns);
  /// Consumer thread: registers the wake-up fd in the worker's loop.
  void attach(EchoWorker& worker);
  void detach();
  /// Drains the queue into the worker, recording hand-off latency.
  void on_events(uint32_t events) override;

  /// Monotonic clock in nanoseconds, as push() expects.
  static uint64_t now_ns();

 private:
  struct Item {
    int fd;
    uint64_t accepted_at_ns;
  };
  std::vector<Item> slots_;
  alignas(64) std::atomic<size_t> head_{0};  // next slot to pop (consumer)
  alignas(64) std::atomic<size_t> tail_{0};  // next slot to fill (producer)
  UniqueFd wake_fd_;
  EchoWorker* worker_ = nullptr;
};

/// Pushes `fd` to queues[first], else to the next queue with room (in
/// order, wrapping); returns the queue's index. When every queue is full
/// the connection is dropped: `fd` is closed and counters.dropped counted.
/// The producer thread.
std::optional<size_t> push_to_first_with_room(std::vector<std::unique_ptr<HandoffQueue>>& queues, size_t first,
                                              UniqueFd& fd, ThreadCounters& counters);

}  // namespace echolab
