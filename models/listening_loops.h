#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "core/loop_thread_pool.h"
#include "core/unique_fd.h"
#include "models/server_model.h"

namespace echolab {

/// N loop threads that each accept on a listening socket registered in their
/// own epoll and echo what they accept: either one socket shared by all
/// (single_thread, shared_listener) or one SO_REUSEPORT socket per thread
/// (reuseport). Owns the sockets and threads; controlling thread only.
class ListeningLoops {
 public:
  enum class Sockets { kShared, kPerThread };

  void start(const ServerConfig& config, const CpuPlan& plan, Sockets sockets);
  void stop();
  SocketAddress address() const { return address_; }
  std::vector<ServerThreadReport> threads() const { return counters_.reports(); }
  /// The listening sockets (one when shared).
  const std::vector<UniqueFd>& sockets() const { return listen_fds_; }

 private:
  CounterSet counters_;
  std::atomic<int> registrations_{0};  // listener registrations so far: the next thread's rank
  std::vector<UniqueFd> listen_fds_;
  LoopThreadPool loops_;
  SocketAddress address_;
};

/// Base of the models that are ListeningLoops plus a socket choice
/// (single_thread, shared_listener, reuseport); controlling thread only.
class ListeningLoopsServer : public ServerModel {
 public:
  SocketAddress address() const override { return loops_.address(); }
  void stop() override { loops_.stop(); }
  std::vector<ServerThreadReport> threads() const override { return loops_.threads(); }

 protected:
  ListeningLoops loops_;
};

}  // namespace echolab
