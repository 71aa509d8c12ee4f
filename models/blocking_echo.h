#pragma once

#include <cstddef>

#include "core/echo_options.h"
#include "core/thread_counters.h"

namespace echolab {

/// Echoes a blocking socket until the peer closes it or an error: read up to
/// `echo.read_buffer` bytes, do the work of the requests they complete
/// (echo.work), write them all back, counting into `counters`. Does not
/// close `fd`. For the blocking models (thread_per_connection,
/// blocking_pool); the calling server thread only.
void echo_until_closed(int fd, ThreadCounters& counters, const EchoOptions& echo);

}  // namespace echolab
