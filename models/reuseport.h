#pragma once

#include "models/listening_loops.h"

namespace echolab {

/// N threads, each with its own SO_REUSEPORT listener and loop; optionally
/// steers each connection to the listener of the CPU that received it.
/// Controlling thread calls start/stop.
class ReuseportServer : public ListeningLoopsServer {
 public:
  void start(const ServerConfig& config, const CpuPlan& plan) override;
};

}  // namespace echolab
