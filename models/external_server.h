#pragma once

#include <string>
#include <vector>

#include "models/server_model.h"

namespace echolab {

/// Any echo server started from an argv template ({port} replaced): waits
/// until it accepts, binds its process to the server CPUs, and always stops
/// it (SIGTERM, then SIGKILL to its process group). Owns the child process;
/// controlling thread calls start/stop, threads() from any thread.
class ExternalServer : public ServerModel {
 public:
  ~ExternalServer() override { stop(); }
  void start(const ServerConfig& config, const CpuPlan& plan) override;
  SocketAddress address() const override { return address_; }
  void stop() override;
  std::vector<ServerThreadReport> threads() const override;
  int pid() const override { return pid_; }
  std::string gone() const override;

 private:
  std::string output_tail() const;
  /// Who, outside the server's process tree, listens on `port` ("pid N
  /// (name)"), or "" when every listener there is the server's.
  std::string foreign_listener(int port) const;

  int pid_ = 0;
  std::string command_;  // argv[0], for messages
  SocketAddress address_;
  UniqueFd log_fd_;  // the server's stdout and stderr (a file with no name)
};

}  // namespace echolab
