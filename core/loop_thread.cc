#include "core/loop_thread.h"

namespace echolab {

LoopThread::LoopThread(ThreadCounters& counters, CpuList cpus) : counters_(counters), cpus_(std::move(cpus)) {}

LoopThread::~LoopThread() { stop(); }

void LoopThread::start(Init init) {
  thread_.start([this, init = std::move(init)] { setup(init); }, [this] { run(); });
}

void LoopThread::setup(const Init& init) {
  bind_current_thread(cpus_);
  counters_.attach_current_thread();
  // A failing init destroys the loop here, on its own thread.
  auto loop = std::make_unique<EventLoop>(&counters_);
  if (init) keep_alive_ = init(*loop);
  loop_owner_ = std::move(loop);
  loop_.store(loop_owner_.get(), std::memory_order_release);
}

void LoopThread::run() {
  loop_owner_->run();
  // Tear down on the owning thread, while the loop still exists.
  keep_alive_.reset();
}

void LoopThread::stop() {
  if (!thread_.running()) return;
  if (EventLoop* loop = loop_.load(std::memory_order_acquire)) loop->stop();
  thread_.join();
  loop_.store(nullptr, std::memory_order_release);
}

void LoopThread::post(std::function<void()> task) {
  if (EventLoop* loop = loop_.load(std::memory_order_acquire)) loop->post(std::move(task));
}

}  // namespace echolab
