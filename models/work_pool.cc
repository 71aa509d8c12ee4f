#include "models/work_pool.h"

#include "models/server_model.h"

namespace echolab {

void WorkPool::start(const WorkPerRequest& work, int workers, const std::function<Member(int)>& member) {
  work_ = work;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  for (int i = 0; i < workers; ++i) {
    Member m = member(i);
    auto thread = std::make_unique<StartedThread>();
    ThreadCounters* counters = &m.counters;
    thread->start([counters, cpus = m.cpus] { enter_server_thread(*counters, cpus); },
                  [this, counters] { run(*counters); });
    threads_.push_back(std::move(thread));
  }
}

void WorkPool::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_all();
  threads_.clear();  // joins each
}

void WorkPool::submit(uint64_t requests, EventLoop& loop, std::function<void()> done) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    jobs_.push_back({requests, &loop, std::move(done)});
  }
  wake_.notify_one();
}

void WorkPool::run(ThreadCounters& counters) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    bump(counters.wakeups);
    do_request_work(work_, counters, job.requests);
    job.loop->post(std::move(job.done));
    if ((counters.wakeups.load(std::memory_order_relaxed) & 63) == 0) counters.note_cpu();
  }
}

}  // namespace echolab
