#pragma once

#include "models/listening_loops.h"

namespace echolab {

/// One thread, one epoll loop doing accept and all I/O. Controlling thread
/// calls start/stop.
class SingleThreadServer : public ListeningLoopsServer {
 public:
  void start(const ServerConfig& config, const CpuPlan& plan) override;
};

}  // namespace echolab
