#pragma once

#include <memory>

#include "harness/load/workload.h"

namespace echolab {

/// The forum's client: writes load.message_bytes whenever the socket is
/// writable (up to load.inflight_messages echoes outstanding, 0 = no cap)
/// and reads the echoes back.
std::unique_ptr<WorkloadConnection> connect_stream(UniqueFd fd, int index, ClientThreadContext& context);

}  // namespace echolab
