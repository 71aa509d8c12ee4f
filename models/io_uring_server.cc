#include "models/io_uring_server.h"

#include "models/uring_worker.h"

namespace echolab {
namespace {

UringSetup uring_setup_from(const OptionValues& options) {
  UringSetup setup;
  const std::string& task_run = options.text("task_run");
  setup.task_run = task_run == "coop"     ? UringSetup::TaskRun::kCoop
                   : task_run == "signal" ? UringSetup::TaskRun::kSignal
                                          : UringSetup::TaskRun::kDefer;
  setup.multishot_recv = options.text("recv") == "multishot";
  setup.submit_batched = options.text("submit") == "batched";
  return setup;
}

}  // namespace

IoUringServer::IoUringServer() = default;
IoUringServer::~IoUringServer() { stop(); }

void IoUringServer::start(const ServerConfig& config, const CpuPlan& plan) {
  listen_fd_ =
      listen_tcp(SocketAddress::from_host_port(config.bind_address, config.port), {config.backlog, false, true});
  address_ = local_address(listen_fd_.get());
  const UringSetup setup = uring_setup_from(config.options);
  try {
    for (int i = 0; i < config.threads; ++i) {
      workers_.push_back(std::make_unique<UringWorker>(listen_fd_.get(), config.echo, setup, counters_.add("server", i),
                                                       plan.cpus("server", i)));
      workers_.back()->start();
    }
  } catch (...) {
    stop();
    throw;
  }
}

void IoUringServer::stop() {
  for (auto& worker : workers_) worker->stop();
  workers_.clear();
  listen_fd_.reset();
}

}  // namespace echolab
