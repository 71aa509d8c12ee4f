#pragma once

#include "models/listening_loops.h"
#include "models/server_model.h"

namespace echolab {

/// N threads, each with its own SO_REUSEPORT listener and loop; optionally
/// steers each connection to the listener of the CPU that received it.
/// Controlling thread calls start/stop.
class ReuseportServer : public ServerModel {
 public:
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return loops_.address(); }
  void stop() override { loops_.stop(); }
  std::vector<ServerThreadReport> threads() const override { return loops_.threads(); }

 private:
  ListeningLoops loops_;
};

}  // namespace echolab
