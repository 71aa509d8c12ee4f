#include "harness/load/load_client.h"

#include <algorithm>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "core/started_thread.h"

namespace echolab {

/// One client thread with its loop and the connections its workload drives;
/// owns the thread. start()/stop() by the controlling thread.
class LoadClient::Worker {
 public:
  Worker(ThreadCounters& counters, CpuList cpus, const LoadConfig& config, const WorkloadInfo& workload)
      : counters_(counters), cpus_(std::move(cpus)), config_(config), workload_(workload) {}
  ~Worker() { stop(); }

  void add_socket(UniqueFd fd, int index) {
    sockets_.push_back(std::move(fd));
    indexes_.push_back(index);
  }

  // Between start() and stop(): the connections exist and do not change.
  void append_bytes(int thread, std::vector<ConnectionBytes>& out) const {
    for (size_t i = 0; i < connections_.size(); ++i) {
      out.push_back({indexes_[i], thread, connections_[i]->bytes_echoed()});
    }
  }

  void start() {
    thread_.start([this] { setup(); }, [this] { run(); });
  }

  void stop() {
    if (!thread_.running()) return;
    loop_->stop();
    thread_.join();
  }

  std::string error() const {
    std::lock_guard lock(error_mutex_);
    return error_copy_;
  }

 private:
  // On the client thread, before start() returns.
  void setup() {
    bind_current_thread(cpus_);
    counters_.attach_current_thread();
    loop_ = std::make_unique<EventLoop>(&counters_);
    context_ = std::make_unique<ClientThreadContext>(ClientThreadContext{*loop_, counters_, config_, scratch_, error_});
    for (auto& fd : sockets_) {
      bump(counters_.accepted);
      connections_.push_back(workload_.connect(std::move(fd), *context_));
      connections_.back()->start();
    }
  }

  // On the client thread until stop().
  void run() {
    loop_->run();
    connections_.clear();
    std::lock_guard lock(error_mutex_);
    error_copy_ = error_;
  }

  ThreadCounters& counters_;
  CpuList cpus_;
  const LoadConfig config_;
  const WorkloadInfo& workload_;
  std::vector<UniqueFd> sockets_;
  std::vector<int> indexes_;  // connection index of each socket
  // Client thread only, from setup() on:
  std::vector<char> scratch_ = std::vector<char>(256 * 1024);
  std::string error_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ClientThreadContext> context_;
  std::vector<std::unique_ptr<WorkloadConnection>> connections_;
  StartedThread thread_;
  mutable std::mutex error_mutex_;
  std::string error_copy_;
};

LoadClient::LoadClient() = default;
LoadClient::~LoadClient() { stop(); }

void LoadClient::start(const LoadConfig& config, const CpuPlan& plan) {
  const WorkloadInfo* workload = find_workload(config.workload);
  if (!workload) throw std::invalid_argument("load.workload: unknown workload '" + config.workload + "'");
  for (int i = 0; i < config.threads; ++i) {
    workers_.push_back(std::make_unique<Worker>(counters_.add("client", i), plan.cpus("client", i), config, *workload));
  }
  for (int c = 0; c < config.connections; ++c) {
    // A deliberate pause in the load pattern (load.connect_gap_ms), not
    // synchronisation: it lets a different pool thread win each accept.
    if (c > 0 && config.connect_gap_ms > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(config.connect_gap_ms));
    }
    workers_[static_cast<size_t>(c % config.threads)]->add_socket(connect_tcp(config.target, config.connect_timeout_ms),
                                                                  c);
  }
  for (auto& worker : workers_) worker->start();
}

void LoadClient::stop() {
  for (auto& worker : workers_) worker->stop();
}

uint64_t LoadClient::bytes_echoed() const {
  uint64_t total = 0;
  for (const auto& report : counters_.reports()) total += report.counters.bytes_in;
  return total;
}

std::vector<ConnectionBytes> LoadClient::connection_bytes() const {
  std::vector<ConnectionBytes> out;
  for (size_t t = 0; t < workers_.size(); ++t) workers_[t]->append_bytes(static_cast<int>(t), out);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
  return out;
}

std::string LoadClient::first_error() const {
  for (const auto& worker : workers_) {
    if (auto error = worker->error(); !error.empty()) return error;
  }
  return "";
}

}  // namespace echolab
