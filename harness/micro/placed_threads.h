#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "core/cpu_binding.h"
#include "core/started_thread.h"
#include "harness/micro/placement.h"

namespace echolab::micro {

/// Binds the calling thread to one PU for this object's lifetime and then
/// restores the mask it had; the constructing thread only.
class ScopedBinding {
 public:
  explicit ScopedBinding(int pu);
  ~ScopedBinding();
  ScopedBinding(const ScopedBinding&) = delete;
  ScopedBinding& operator=(const ScopedBinding&) = delete;

 private:
  CpuList previous_;
};

/// Spin-waits for a condition another thread makes true: a CPU pause per
/// turn, or sched_yield when the waiter shares its PU with the thread it
/// waits for (spinning would only burn that thread's turn). Throws
/// std::runtime_error after 10 s without the condition (a bug, not a
/// result). Owned and used by one waiting thread.
class Spinner {
 public:
  explicit Spinner(bool yield) : yield_(yield) {}

  template <typename Done>
  void until(Done done, const char* what) {
    for (uint64_t turns = 1; !done(); ++turns) {
      relax();
      if (turns % kCheckEvery == 0) check_deadline(what);
    }
    started_ = {};
  }

 private:
  static constexpr uint64_t kCheckEvery = 1 << 16;
  void relax() const;
  void check_deadline(const char* what);

  bool yield_;
  std::chrono::steady_clock::time_point started_{};
};

/// Owns one thread bound to one PU that runs `body` until `stop` makes it
/// return; the constructor returns once the thread is bound (rethrowing a
/// binding failure), the destructor calls `stop` and joins. Created and
/// destroyed by the benchmark thread.
class PartnerThread {
 public:
  PartnerThread(int pu, std::function<void()> body, std::function<void()> stop);
  ~PartnerThread();
  PartnerThread(const PartnerThread&) = delete;
  PartnerThread& operator=(const PartnerThread&) = delete;

 private:
  std::function<void()> stop_;
  StartedThread thread_;
};

/// A placed pair of threads: binds the benchmark thread to placement.a and
/// runs a partner loop on placement.b, stopped and joined on destruction
/// (declare it after everything the partner uses). Benchmark thread only.
class PlacedPair {
 public:
  PlacedPair(const Placement& placement, std::function<void()> partner_body, std::function<void()> stop_partner)
      : binding_(placement.a), partner_(placement.b, std::move(partner_body), std::move(stop_partner)) {}

 private:
  ScopedBinding binding_;
  PartnerThread partner_;
};

}  // namespace echolab::micro
