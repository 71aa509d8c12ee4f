#pragma once

#include <memory>
#include <vector>

#include "models/server_model.h"

namespace echolab {

class UringWorker;

/// N threads, each with its own io_uring: multishot accept on the shared
/// listening socket, multishot recv into a provided-buffer ring, send
/// completions. Where the kernel refuses io_uring, start() throws
/// ModelUnavailable. Owns listener and threads; controlling thread calls
/// start/stop.
class IoUringServer : public ServerModel {
 public:
  IoUringServer();
  ~IoUringServer() override;
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return address_; }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override { return counters_.reports(); }

 private:
  CounterSet counters_;
  UniqueFd listen_fd_;
  SocketAddress address_;
  std::vector<std::unique_ptr<UringWorker>> workers_;
};

}  // namespace echolab
