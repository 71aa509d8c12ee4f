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
/// thread; controlling thread calls start/stop. A connection's counters sit
/// in a slot ("server#N") that the next connection reuses once its thread
/// is joined, so rows are as many as connections at once, not ever.
class ThreadPerConnectionServer : public ServerModel {
 public:
  ~ThreadPerConnectionServer() override { stop(); }
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return address_; }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override { return counters_.reports(); }

 private:
  struct ConnectionThread {
    int fd = -1;  // closed and set to -1 by the thread as it leaves serve(): then join it
    std::thread thread;
    ThreadCounters* counters = nullptr;  // its slot
  };
  void accept_loop(ThreadCounters& counters, CpuList cpus);
  void serve(int fd, ThreadCounters& counters, CpuList cpus);
  /// Joins the threads whose connections ended and frees their slots (so
  /// neither their stacks nor their counters pile up under churn). Called
  /// with mutex_ held, by the acceptor.
  void reap_finished();

  ServerConfig config_;
  CpuPlan plan_;
  CounterSet counters_;
  UniqueFd listen_fd_;
  SocketAddress address_;
  std::thread acceptor_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;  // guards connections_ and free_slots_
  std::list<ConnectionThread> connections_;
  std::vector<ThreadCounters*> free_slots_;
  int next_slot_ = 0;  // acceptor only
};

}  // namespace echolab
