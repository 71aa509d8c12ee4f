#include "models/single_thread.h"

#include <stdexcept>
#include <string>

namespace echolab {

void SingleThreadServer::start(const ServerConfig& config, const CpuPlan& plan) {
  if (config.threads != 1) {
    throw std::invalid_argument("single_thread runs exactly 1 thread, not threads=" + std::to_string(config.threads));
  }
  loops_.start(config, plan, ListeningLoops::Sockets::kShared);
}

}  // namespace echolab
