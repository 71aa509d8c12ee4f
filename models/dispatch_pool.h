#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/connection.h"
#include "core/loop_thread.h"
#include "models/server_model.h"

namespace echolab {

/// One epoll thread hands each ready connection (EPOLLONESHOT, re-armed
/// after the work) to a pool of N threads, so connections hop between
/// threads: the "just use a thread pool" design. Owns the listener, the
/// connections, the work queue and every thread; controlling thread calls
/// start/stop.
class DispatchPoolServer : public ServerModel {
 public:
  DispatchPoolServer();
  ~DispatchPoolServer() override;
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return address_; }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override { return counters_.reports(); }

 private:
  class PooledConnection;
  struct Work {
    PooledConnection* connection;
    uint32_t events;
  };

  void adopt(UniqueFd fd, EventLoop& dispatcher_loop);  // dispatcher thread
  void enqueue(Work work);                              // dispatcher thread
  void pool_thread(int index, ThreadCounters& counters, CpuList cpus);

  ServerConfig config_;
  CounterSet counters_;
  UniqueFd listen_fd_;
  SocketAddress address_;
  std::unique_ptr<LoopThread> dispatcher_;
  std::vector<std::thread> pool_;

  std::mutex mutex_;  // guards queue_, stopping_ and connections_
  std::condition_variable work_ready_;
  std::deque<Work> queue_;
  bool stopping_ = false;
  std::unordered_map<PooledConnection*, std::unique_ptr<PooledConnection>> connections_;
};

}  // namespace echolab
