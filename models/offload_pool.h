#pragma once

#include "models/listening_loops.h"
#include "models/work_pool.h"

namespace echolab {

/// The forum replies' design for work per request: server.threads event
/// loops (one SO_REUSEPORT listener each) accept and do all socket I/O; each
/// complete request's work goes through one queue to server.workers worker
/// threads, and the worker posts the response back to the loop that owns
/// the connection (its eventfd), which writes it. Connections never move
/// between loops; only work does. Controlling thread calls start/stop.
class OffloadPoolServer : public ServerModel {
 public:
  ~OffloadPoolServer() override { stop(); }
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return loops_.address(); }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override;

 private:
  CounterSet worker_counters_;
  WorkPool pool_;  // stopped before the loops: no completion is posted to a loop that is gone
  ListeningLoops loops_;
};

}  // namespace echolab
