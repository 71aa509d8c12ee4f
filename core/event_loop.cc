#include "core/event_loop.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>

namespace echolab {
namespace {

/// The EventLoop owned by this thread, if any (muduo's t_loopInThisThread).
thread_local EventLoop* t_loop_in_this_thread = nullptr;

}  // namespace

EventLoop::EventLoop(ThreadCounters* counters)
    : owner_(std::this_thread::get_id()), counters_(counters), wake_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (t_loop_in_this_thread) {
    char name[16] = "?";
    pthread_getname_np(pthread_self(), name, sizeof name);
    std::fprintf(stderr, "echolab: a second EventLoop on thread %d (\"%s\"), which already owns EventLoop %p\n",
                 static_cast<int>(gettid()), name, static_cast<void*>(t_loop_in_this_thread));
    std::abort();
  }
  if (!wake_fd_) throw std::system_error(errno, std::generic_category(), "eventfd");
  // The wake fd's tag is null: the loop recognises it without a handler.
  poller_.add(wake_fd_.get(), EPOLLIN, nullptr);
  t_loop_in_this_thread = this;
}

// Off the owner thread (LoopThread frees its loop after the thread exited)
// the owner's slot is not this thread's and is left alone.
EventLoop::~EventLoop() {
  if (t_loop_in_this_thread == this) t_loop_in_this_thread = nullptr;
}

void EventLoop::assert_in_loop_thread(const char* what) const {
  if (!in_loop_thread()) {
    std::fprintf(stderr, "echolab: EventLoop::%s called off the loop's owner thread\n", what);
    std::abort();
  }
}

void EventLoop::run() {
  assert_in_loop_thread("run");
  if (wait_ == LoopWait::kSpin) {
    while (!stopping_.load(std::memory_order_acquire)) {
      if (run_once(0) == 0 && counters_) bump(counters_->empty_polls);
    }
  } else {
    while (!stopping_.load(std::memory_order_acquire)) run_once(-1);
  }
  run_posted_tasks();
}

void EventLoop::set_wait(LoopWait wait) {
  assert_in_loop_thread("set_wait");
  wait_ = wait;
}

void EventLoop::set_max_events(int max_events) {
  assert_in_loop_thread("set_max_events");
  if (max_events < 1 || max_events > kMaxEvents) {
    throw std::invalid_argument("max_events " + std::to_string(max_events) + " is outside 1.." +
                                std::to_string(kMaxEvents));
  }
  max_events_ = max_events;
}

int EventLoop::run_once(int timeout_ms) {
  assert_in_loop_thread("run_once");
  std::array<epoll_event, kMaxEvents> events;
  int n = poller_.wait(std::span(events).first(static_cast<size_t>(max_events_)), timeout_ms);
  if (counters_ && n > 0) {
    bump(counters_->wakeups);
    bump(counters_->events, static_cast<uint64_t>(n));
    connection_events_at_previous_batch_ = connection_events_at_batch_;
    connection_events_at_batch_ = counters_->connection_events.load(std::memory_order_relaxed);
    if ((counters_->wakeups.load(std::memory_order_relaxed) & 63) == 0) counters_->note_cpu();
  }
  for (int i = 0; i < n; ++i) {
    auto* handler = static_cast<EventHandler*>(events[i].data.ptr);
    if (handler) {
      handler->on_events(events[i].events);
    } else {
      uint64_t value;
      while (::read(wake_fd_.get(), &value, sizeof value) < 0 && errno == EINTR) {
      }
      run_posted_tasks();
    }
  }
  if (!deferred_.empty()) {
    auto batch = std::move(deferred_);
    deferred_.clear();
    for (auto& task : batch) task();
  }
  return n;
}

bool EventLoop::served_connections_recently() const {
  return counters_ &&
         counters_->connection_events.load(std::memory_order_relaxed) > connection_events_at_previous_batch_;
}

void EventLoop::stop() {
  stopping_.store(true, std::memory_order_release);
  uint64_t one = 1;
  while (::write(wake_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void EventLoop::post(std::function<void()> task) {
  {
    std::lock_guard lock(tasks_mutex_);
    tasks_.push_back(std::move(task));
    tasks_posted_.store(true, std::memory_order_release);
  }
  uint64_t one = 1;
  while (::write(wake_fd_.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void EventLoop::defer(std::function<void()> task) {
  assert_in_loop_thread("defer");
  deferred_.push_back(std::move(task));
}

void EventLoop::run_posted_tasks() {
  assert_in_loop_thread("run_posted_tasks");
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard lock(tasks_mutex_);
    batch.swap(tasks_);
    tasks_posted_.store(false, std::memory_order_release);
  }
  for (auto& task : batch) task();
}

void EventLoop::add(int fd, uint32_t events, EventHandler* handler) {
  assert_in_loop_thread("add");
  poller_.add(fd, events, handler);
}

void EventLoop::modify(int fd, uint32_t events, EventHandler* handler) {
  assert_in_loop_thread("modify");
  poller_.modify(fd, events, handler);
}

void EventLoop::remove(int fd) {
  assert_in_loop_thread("remove");
  poller_.remove(fd);
}

void EventLoop::rearm_oneshot(int fd, uint32_t events, EventHandler* handler) {
  if (!(events & EPOLLONESHOT)) {
    std::fprintf(stderr, "echolab: EventLoop::rearm_oneshot without EPOLLONESHOT (fd %d)\n", fd);
    std::abort();
  }
  poller_.modify(fd, events, handler);
}

void EventLoop::remove_oneshot(int fd) { poller_.remove(fd); }

}  // namespace echolab
