#pragma once

#include <cstddef>

#include "core/thread_counters.h"

namespace echolab {

/// Echoes a blocking socket until the peer closes it or an error: read up to
/// `read_buffer` bytes, write them all back, counting into `counters`. Does
/// not close `fd`. For the blocking models (thread_per_connection,
/// blocking_pool); the calling server thread only.
void echo_until_closed(int fd, ThreadCounters& counters, size_t read_buffer);

}  // namespace echolab
