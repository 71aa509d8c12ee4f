#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/sweep/spec.h"

namespace echolab {

/// A point's estimated peak memory in the trial's process: per client
/// connection, load.depth + 2 messages of load.message_bytes (the requests
/// queued and in flight and the one being read) plus 8 KiB of bookkeeping.
/// An estimate to stop a spec asking for more than the machine has, not a
/// measurement (server_rss_bytes and process_rss_bytes measure).
uint64_t estimated_peak_bytes(const SpecPoint& point);

/// MemAvailable of /proc/meminfo in bytes; nullopt where it cannot be read.
std::optional<uint64_t> memory_available_bytes();

/// Throws SpecError naming the first point whose estimate exceeds
/// `available` bytes and the keys that make it ("point 3 (label): needs
/// about 2.1 TB ... load.connections 100000 x (load.depth 64 + 2) x
/// load.message_bytes 1048576 ..."), unless `force`. Checks nothing when
/// `available` is nullopt.
void check_memory_bound(const std::vector<const SpecPoint*>& points, std::optional<uint64_t> available, bool force,
                        const std::string& spec_file);

}  // namespace echolab
