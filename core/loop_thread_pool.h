#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "core/cpu_binding.h"
#include "core/loop_thread.h"
#include "core/thread_counters.h"

namespace echolab {

/// Owns N LoopThreads, started in index order. start()/stop() on the
/// controlling thread; size(), at() and next() from any thread once start()
/// returned.
class LoopThreadPool {
 public:
  /// What thread `index` gets.
  struct Member {
    ThreadCounters& counters;
    CpuList cpus;
    LoopThread::Init init;
  };

  /// Starts `count` threads, thread i as member(i) says (member() runs on the
  /// controlling thread, in index order). Rethrows the first start failure;
  /// the threads started before it run until stop().
  void start(int count, const std::function<Member(int)>& member);
  /// Stops and joins every thread in index order; idempotent. The threads
  /// (and their loops) are freed with the pool.
  void stop();

  size_t size() const { return threads_.size(); }
  LoopThread& at(size_t index) { return *threads_.at(index); }
  /// Round robin over the threads: 0, 1, ..., size()-1, 0, ...
  size_t next_index() { return next_.fetch_add(1, std::memory_order_relaxed) % threads_.size(); }
  LoopThread& next() { return at(next_index()); }

 private:
  std::vector<std::unique_ptr<LoopThread>> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace echolab
