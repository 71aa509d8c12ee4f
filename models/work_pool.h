#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/cpu_binding.h"
#include "core/event_loop.h"
#include "core/request_work.h"
#include "core/started_thread.h"
#include "core/thread_counters.h"
#include "core/work_offload.h"

namespace echolab {

/// A pool of worker threads taking request work from one queue (mutex and
/// condition variable): each does a job's work (core/request_work.h) and
/// posts its completion to the loop that submitted it. Owns the threads;
/// start()/stop() on the controlling thread, submit() from any thread.
class WorkPool : public WorkOffload {
 public:
  /// Thread i: its counters and CPUs.
  struct Member {
    ThreadCounters& counters;
    CpuList cpus;
  };
  ~WorkPool() override { stop(); }
  void start(const WorkPerRequest& work, int workers, const std::function<Member(int)>& member);
  /// Stops taking jobs, drops those still queued (their loops are stopping
  /// too) and joins every worker; idempotent.
  void stop();
  void submit(uint64_t requests, EventLoop& loop, std::function<void()> done) override;

 private:
  struct Job {
    uint64_t requests;
    EventLoop* loop;
    std::function<void()> done;
  };
  void run(ThreadCounters& counters);

  WorkPerRequest work_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::unique_ptr<StartedThread>> threads_;
};

}  // namespace echolab
