#include "harness/micro/placed_threads.h"

#include <sched.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>

namespace echolab::micro {

ScopedBinding::ScopedBinding(int pu) : previous_(current_thread_binding()) { bind_current_thread({pu}); }

ScopedBinding::~ScopedBinding() {
  try {
    bind_current_thread(previous_);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "echolab-micro: cannot restore the thread's CPU mask: %s\n", error.what());
  }
}

void Spinner::relax() const {
  if (yield_) {
    sched_yield();
  } else {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
  }
}

void Spinner::check_deadline(const char* what) {
  const auto now = std::chrono::steady_clock::now();
  if (started_ == std::chrono::steady_clock::time_point{}) {
    started_ = now;
  } else if (now - started_ > std::chrono::seconds(10)) {
    started_ = {};
    throw std::runtime_error(std::string("no progress for 10 s waiting for ") + what);
  }
}

PartnerThread::PartnerThread(int pu, std::function<void()> body, std::function<void()> stop) : stop_(std::move(stop)) {
  thread_.start([pu] { bind_current_thread({pu}); },
                [pu, body = std::move(body)] {
                  try {
                    body();
                  } catch (const std::exception& error) {
                    // The benchmark thread would wait for this partner for ever.
                    std::fprintf(stderr, "echolab-micro: partner thread on PU %d failed: %s\n", pu, error.what());
                    std::abort();
                  }
                });
}

PartnerThread::~PartnerThread() {
  stop_();
  thread_.join();
}

}  // namespace echolab::micro
