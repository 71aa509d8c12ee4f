#include "core/loop_thread.h"

#include <future>

namespace echolab {

LoopThread::LoopThread(ThreadCounters& counters, CpuList cpus, const EchoOptions& options)
    : counters_(counters), cpus_(std::move(cpus)), options_(options) {}

LoopThread::~LoopThread() { stop(); }

void LoopThread::start(Init init) {
  std::promise<void> ready;
  auto started = ready.get_future();
  thread_ = std::thread([this, init = std::move(init), &ready] { body(init, &ready); });
  try {
    started.get();
  } catch (...) {
    thread_.join();
    throw;
  }
}

void LoopThread::body(Init init, std::promise<void>* ready) {
  std::shared_ptr<void> keep_alive;
  std::unique_ptr<EchoWorker> worker;
  try {
    bind_current_thread(cpus_);
    counters_.attach_current_thread();
    // The loop outlives this thread (freed by stop() after join), so a
    // concurrent stop() or post() never touches a destroyed loop.
    loop_owner_ = std::make_unique<EventLoop>(&counters_);
    worker = std::make_unique<EchoWorker>(*loop_owner_, options_, counters_);
    if (init) keep_alive = init(*worker);
  } catch (...) {
    ready->set_exception(std::current_exception());
    return;
  }
  worker_ = worker.get();
  loop_.store(loop_owner_.get(), std::memory_order_release);
  ready->set_value();
  loop_owner_->run();
  // Tear down on the owning thread, listeners first, then connections.
  keep_alive.reset();
  worker.reset();
}

void LoopThread::stop() {
  if (!thread_.joinable()) return;
  if (EventLoop* loop = loop_.load(std::memory_order_acquire)) loop->stop();
  thread_.join();
  loop_.store(nullptr, std::memory_order_release);
  // loop_owner_ lives on until the destructor: a post() racing with stop()
  // then finds a stopped loop, never a freed one.
}

void LoopThread::post(std::function<void(EchoWorker&)> task) {
  EventLoop* loop = loop_.load(std::memory_order_acquire);
  if (!loop) return;
  loop->post([this, task = std::move(task)] { task(*worker_); });
}

}  // namespace echolab
