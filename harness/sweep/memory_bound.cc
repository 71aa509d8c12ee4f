#include "harness/sweep/memory_bound.h"

#include <cstdio>
#include <fstream>

namespace echolab {
namespace {

constexpr uint64_t kPerConnectionBookkeeping = 8 * 1024;

uint64_t load_key(const SpecPoint& point, const char* key) {
  const Json& load = point.config["load"];
  return load.contains(key) && load[key].is_number() ? load[key].get<uint64_t>() : 0;
}

std::string bytes_text(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB", "PB"};
  int unit = 0;
  while (bytes >= 1000 && unit < 5) {
    bytes /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
  return text;
}

}  // namespace

uint64_t estimated_peak_bytes(const SpecPoint& point) {
  // In doubles, saturated: a spec may ask for more than 2^64 bytes.
  const double total =
      static_cast<double>(load_key(point, "connections")) *
      (static_cast<double>(load_key(point, "depth") + 2) * static_cast<double>(load_key(point, "message_bytes")) +
       static_cast<double>(kPerConnectionBookkeeping));
  return total >= 18e18 ? UINT64_MAX : static_cast<uint64_t>(total);
}

std::optional<uint64_t> memory_available_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit) {
    if (key == "MemAvailable:") return kb * 1024;
  }
  return std::nullopt;
}

void check_memory_bound(const std::vector<const SpecPoint*>& points, std::optional<uint64_t> available, bool force,
                        const std::string& spec_file) {
  if (force || !available) return;
  for (const SpecPoint* point : points) {
    const uint64_t needed = estimated_peak_bytes(*point);
    if (needed <= *available) continue;
    throw SpecError(spec_file + ": point " + std::to_string(point->number) + " (" + point->display_name() +
                    "): needs about " + bytes_text(static_cast<double>(needed)) + " of memory, more than the " +
                    bytes_text(static_cast<double>(*available)) + " available (MemAvailable): load.connections " +
                    std::to_string(load_key(*point, "connections")) + " x ((load.depth " +
                    std::to_string(load_key(*point, "depth")) + " + 2) x load.message_bytes " +
                    std::to_string(load_key(*point, "message_bytes")) +
                    " + 8 KiB); lower them, or pass --force to run it anyway");
  }
}

}  // namespace echolab
