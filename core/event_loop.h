#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/poller.h"
#include "core/thread_counters.h"

namespace echolab {

/// Receives the epoll events of one registered fd; called on the loop thread.
class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_events(uint32_t events) = 0;
};

/// Owns a Poller, a wake-up eventfd and a task queue; at most one per thread
/// (a second is fatal). Created, run and changed only on its owner thread
/// (the constructing thread: enforced); post() and stop() from any thread.
class EventLoop {
 public:
  explicit EventLoop(ThreadCounters* counters = nullptr);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  /// Runs until stop(); owner thread only.
  void run();
  /// Owner thread: how run() waits (kBlock until changed). A spinning loop
  /// counts its empty polls in its ThreadCounters (empty_polls).
  void set_wait(LoopWait wait);
  LoopWait wait() const { return wait_; }
  /// Owner thread: waits up to timeout_ms (-1 forever) for one batch of
  /// events, handles it and the deferred tasks; returns the event count.
  int run_once(int timeout_ms);
  /// Any thread: the loop returns from run() after its current batch. run()
  /// may return before stop() does, so the loop must not be destroyed until
  /// every stop() call has returned (LoopThread joins before freeing it).
  void stop();
  /// Any thread: queue a task to run on the loop thread and wake it.
  void post(std::function<void()> task);
  /// Owner thread: run `task` after the current event batch (safe deletion).
  void defer(std::function<void()> task);
  /// Any thread: whether tasks were posted that have not run yet. An owner
  /// thread waiting elsewhere than in run() (a lone blocking connection)
  /// looks at it and then calls run_posted_tasks().
  bool has_posted_tasks() const { return tasks_posted_.load(std::memory_order_acquire); }
  /// Owner thread: runs the tasks posted so far.
  void run_posted_tasks();

  /// Owner thread: the only way to change the loop's epoll registrations.
  void add(int fd, uint32_t events, EventHandler* handler);
  void modify(int fd, uint32_t events, EventHandler* handler);
  void remove(int fd);
  /// Any thread holding the one event of an EPOLLONESHOT registration (it
  /// stays disarmed until re-armed, so no other thread touches it): re-arm
  /// it (`events` must contain EPOLLONESHOT) or remove it.
  void rearm_oneshot(int fd, uint32_t events, EventHandler* handler);
  void remove_oneshot(int fd);

  /// Any thread: whether stop() was called. A handler that could run for
  /// ever (a peer that reads as fast as it is written to) checks it.
  bool stop_requested() const { return stopping_.load(std::memory_order_acquire); }
  bool in_loop_thread() const { return std::this_thread::get_id() == owner_; }
  /// Aborts with a message naming `what` when called off the owner thread.
  void assert_in_loop_thread(const char* what) const;

  ThreadCounters* counters() const { return counters_; }
  /// Owner thread: whether the loop handled connection events (counted in
  /// its ThreadCounters) since its previous wake-up began, i.e. it was busy
  /// serving rather than asleep. False without counters.
  bool served_connections_recently() const;
  /// Owner thread: at most this many events per epoll_wait (1..kMaxEvents;
  /// kDefaultMaxEvents until changed: server.max_events).
  void set_max_events(int max_events);
  static constexpr int kDefaultMaxEvents = 256;
  static constexpr int kMaxEvents = 1024;

 private:
  class Waker;

  const std::thread::id owner_;
  ThreadCounters* counters_;
  Poller poller_;
  UniqueFd wake_fd_;
  std::atomic<bool> stopping_{false};
  LoopWait wait_ = LoopWait::kBlock;
  int max_events_ = kDefaultMaxEvents;
  std::mutex tasks_mutex_;
  std::vector<std::function<void()>> tasks_;
  std::atomic<bool> tasks_posted_{false};  // tasks_ is not empty (set and cleared under tasks_mutex_)
  std::vector<std::function<void()>> deferred_;
  // counters_->connection_events when the previous and the current batch began.
  uint64_t connection_events_at_previous_batch_ = 0;
  uint64_t connection_events_at_batch_ = 0;
};

}  // namespace echolab
