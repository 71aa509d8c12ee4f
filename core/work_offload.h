#pragma once

#include <cstdint>
#include <functional>

#include "core/event_loop.h"

namespace echolab {

/// Where a connection hands the work of its complete requests instead of
/// doing it on its loop (offload_pool, models/work_pool.h): submit() from any loop thread.
class WorkOffload {
 public:
  virtual ~WorkOffload() = default;
  /// Does `requests` requests' work on another thread, then runs `done` on
  /// `loop` (posted: the loop's eventfd wakes it).
  virtual void submit(uint64_t requests, EventLoop& loop, std::function<void()> done) = 0;
};

}  // namespace echolab
