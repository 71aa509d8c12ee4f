#pragma once

#include <hwloc.h>

#include <new>

#include "core/cpu_binding.h"

namespace echolab {

/// Owns one hwloc bitmap (a cpuset); used by the thread that made it.
class HwlocBitmap {
 public:
  HwlocBitmap() : map_(hwloc_bitmap_alloc()) {
    if (!map_) throw std::bad_alloc();
  }
  /// The cpuset holding `cpus` (OS indexes).
  explicit HwlocBitmap(const CpuList& cpus) : HwlocBitmap() {
    for (int cpu : cpus) hwloc_bitmap_set(map_, static_cast<unsigned>(cpu));
  }
  ~HwlocBitmap() { hwloc_bitmap_free(map_); }
  HwlocBitmap(const HwlocBitmap&) = delete;
  HwlocBitmap& operator=(const HwlocBitmap&) = delete;

  hwloc_bitmap_t get() const { return map_; }
  /// The set's OS indexes, ascending.
  CpuList to_list() const {
    CpuList out;
    unsigned cpu;
    hwloc_bitmap_foreach_begin(cpu, map_) { out.push_back(static_cast<int>(cpu)); }
    hwloc_bitmap_foreach_end();
    return out;
  }

 private:
  hwloc_bitmap_t map_;
};

}  // namespace echolab
