#pragma once

#include <atomic>
#include <list>
#include <mutex>
#include <thread>
#include <vector>

#include "models/server_model.h"

namespace echolab {

/// The classic baseline: a blocking accept loop and one blocking thread per
/// connection (read, then write it all back). Owns the listener and every
/// thread; controlling thread calls start/stop.
class ThreadPerConnectionServer : public ServerModel {
 public:
  ~ThreadPerConnectionServer() override { stop(); }
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return address_; }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override { return counters_.reports(); }

 private:
  struct ConnectionThread {
    int fd = -1;  // closed by the thread itself when it ends
    std::thread thread;
  };
  void accept_loop(ThreadCounters& counters, CpuList cpus);
  void serve(int fd, ThreadCounters& counters, CpuList cpus);

  ServerConfig config_;
  CpuPlan plan_;
  CounterSet counters_;
  UniqueFd listen_fd_;
  SocketAddress address_;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // guards connections_
  std::list<ConnectionThread> connections_;
};

}  // namespace echolab
