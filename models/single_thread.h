#pragma once

#include "models/listening_loops.h"
#include "models/server_model.h"

namespace echolab {

/// One thread, one epoll loop doing accept and all I/O. Controlling thread
/// calls start/stop.
class SingleThreadServer : public ServerModel {
 public:
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return loops_.address(); }
  void stop() override { loops_.stop(); }
  std::vector<ServerThreadReport> threads() const override { return loops_.threads(); }

 private:
  ListeningLoops loops_;
};

}  // namespace echolab
