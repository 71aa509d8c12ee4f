#pragma once

#include <memory>
#include <vector>

#include "core/handoff_queue.h"
#include "core/loop_thread.h"
#include "core/loop_thread_pool.h"
#include "models/server_model.h"

namespace echolab {

/// One acceptor thread hands accepted sockets to N worker loops through
/// bounded per-worker queues woken by eventfd (nginx / seastar style: a
/// connection stays on its worker for life). Owns the listener, queues and
/// threads; controlling thread calls start/stop.
class AcceptorWorkersServer : public ServerModel {
 public:
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return address_; }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override { return counters_.reports(); }

 private:
  /// Acceptor thread: picks a worker and queues the socket there.
  void dispatch(UniqueFd fd, ThreadCounters& acceptor_counters);
  bool least_connections_ = false;  // else round robin
  size_t pick_worker();

  ServerConfig config_;
  CounterSet counters_;
  std::vector<ThreadCounters*> worker_counters_;
  std::vector<std::unique_ptr<HandoffQueue>> queues_;
  LoopThreadPool workers_;
  std::unique_ptr<LoopThread> acceptor_;
  UniqueFd listen_fd_;
  SocketAddress address_;
  std::vector<uint64_t> assigned_;  // acceptor thread only: sockets per worker
};

}  // namespace echolab
