#pragma once

#include "models/listening_loops.h"

namespace echolab {

/// N threads, each with its own epoll, all registering the one listening
/// socket (the forum's design). Controlling thread calls start/stop.
class SharedListenerServer : public ListeningLoopsServer {
 public:
  void start(const ServerConfig& config, const CpuPlan& plan) override {
    loops_.start(config, plan, ListeningLoops::Sockets::kShared);
  }
};

}  // namespace echolab
