#include "models/offload_pool.h"

namespace echolab {

void OffloadPoolServer::start(const ServerConfig& config, const CpuPlan& plan) {
  const int workers = static_cast<int>(config.options.integer("workers"));
  try {
    pool_.start(config.echo.work, workers, [&](int i) {
      return WorkPool::Member{worker_counters_.add("worker", i), plan.cpus("worker", i)};
    });
    ServerConfig with_pool = config;
    with_pool.echo.offload = &pool_;
    loops_.start(with_pool, plan, ListeningLoops::Sockets::kPerThread);
  } catch (...) {
    stop();
    throw;
  }
}

void OffloadPoolServer::stop() {
  pool_.stop();
  loops_.stop();
}

std::vector<ServerThreadReport> OffloadPoolServer::threads() const {
  std::vector<ServerThreadReport> reports = loops_.threads();
  for (auto& report : worker_counters_.reports()) reports.push_back(std::move(report));
  return reports;
}

}  // namespace echolab
