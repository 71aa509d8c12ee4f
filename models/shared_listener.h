#pragma once

#include "models/listening_loops.h"
#include "models/server_model.h"

namespace echolab {

/// N threads, each with its own epoll, all registering the one listening
/// socket (the forum's design). Controlling thread calls start/stop.
class SharedListenerServer : public ServerModel {
 public:
  void start(const ServerConfig& config, const CpuPlan& plan) override {
    loops_.start(config, plan, ListeningLoops::Sockets::kShared);
  }
  SocketAddress address() const override { return loops_.address(); }
  void stop() override { loops_.stop(); }
  std::vector<ServerThreadReport> threads() const override { return loops_.threads(); }

 private:
  ListeningLoops loops_;
};

}  // namespace echolab
