#include "core/loop_thread_pool.h"

namespace echolab {

void LoopThreadPool::start(int count, const std::function<Member(int)>& member) {
  for (int i = 0; i < count; ++i) {
    Member spec = member(i);
    threads_.push_back(std::make_unique<LoopThread>(spec.counters, std::move(spec.cpus)));
    threads_.back()->start(std::move(spec.init));
  }
}

void LoopThreadPool::stop() {
  for (auto& thread : threads_) thread->stop();
}

}  // namespace echolab
