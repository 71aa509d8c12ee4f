#pragma once

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

#include "models/server_model.h"

namespace echolab {

/// The prefork design (Apache's, and the "blocking accept" of Cloudflare's
/// NGINX write-up): N threads each block in accept() on one shared
/// listener, serve the connection they took until it closes, then accept
/// again. The kernel wakes one blocked accept() per connection, in FIFO
/// order. Owns the listener and the threads; controlling thread calls
/// start/stop.
class BlockingPoolServer : public ServerModel {
 public:
  ~BlockingPoolServer() override { stop(); }
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return address_; }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override { return counters_.reports(); }

 private:
  void accept_and_serve(size_t index, ThreadCounters& counters, const CpuList& cpus);

  ServerConfig config_;
  CounterSet counters_;
  UniqueFd listen_fd_;
  SocketAddress address_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;          // guards serving_
  std::vector<int> serving_;  // the fd each thread serves, or -1
};

}  // namespace echolab
