#include "harness/load/load_client.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/started_thread.h"

namespace echolab {

/// One client thread with its loop and the connections its workload drives;
/// owns the thread. start()/stop() by the controlling thread.
class LoadClient::Worker {
 public:
  Worker(ThreadCounters& counters, CpuList cpus, const LoadConfig& config, const WorkloadInfo& workload, int index)
      : counters_(counters), cpus_(std::move(cpus)), config_(config), workload_(workload), index_(index) {}
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

  const RequestRecorder& requests() const { return requests_; }

  // From the controlling thread while the client runs: the thread's totals
  // copied on the client thread, between two of its requests, so its
  // counters and histograms agree (a copy from another thread can fall
  // between them). With `censor`, every request still queued or in flight
  // is first censored at that instant, so each request is either answered
  // or unanswered in them, never neither. Waits up to `timeout`; nullopt if
  // the thread did not get to it by then.
  std::optional<RequestTotals> census(std::chrono::milliseconds timeout, bool censor) {
    if (!thread_.running()) return std::nullopt;
    auto result = std::make_shared<std::promise<RequestTotals>>();
    auto answer = result->get_future();
    loop_->post([this, result, censor] {
      if (censor) {
        const uint64_t now = monotonic_ns();
        for (auto& connection : connections_) connection->censor_unanswered(now);
        if (driver_) driver_->censor_unanswered(now);
      }
      result->set_value(RequestTotals::of(requests_));
    });
    if (answer.wait_for(timeout) != std::future_status::ready) return std::nullopt;
    return answer.get();
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
    loop_->set_wait(config_.wait);
    context_ = std::make_unique<ClientThreadContext>(
        ClientThreadContext{*loop_, counters_, config_, requests_, scratch_, error_, index_});
    ThreadConnections started;
    for (size_t i = 0; i < sockets_.size(); ++i) {
      bump(counters_.accepted);
      connections_.push_back(workload_.connect(std::move(sockets_[i]), indexes_[i], *context_));
      connections_.back()->start();
      started.push_back(connections_.back().get());
    }
    if (workload_.drive_thread) driver_ = workload_.drive_thread(*context_, started);
  }

  // On the client thread until stop().
  void run() {
    // A spinning thread keeps even a lone connection in its polling loop.
    if (connections_.size() == 1 && !driver_ && config_.wait == LoopWait::kBlock) connections_.front()->run_alone();
    loop_->run();
    driver_.reset();
    connections_.clear();
    std::lock_guard lock(error_mutex_);
    error_copy_ = error_;
  }

  ThreadCounters& counters_;
  CpuList cpus_;
  const LoadConfig config_;
  const WorkloadInfo& workload_;
  const int index_;
  RequestRecorder requests_;
  std::vector<UniqueFd> sockets_;
  std::vector<int> indexes_;  // connection index of each socket
  // Client thread only, from setup() on:
  std::vector<char> scratch_ = std::vector<char>(256 * 1024);
  std::string error_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ClientThreadContext> context_;
  std::vector<std::unique_ptr<WorkloadConnection>> connections_;
  std::unique_ptr<WorkloadThreadDriver> driver_;
  StartedThread thread_;
  mutable std::mutex error_mutex_;
  std::string error_copy_;
};

LoadClient::LoadClient() = default;
LoadClient::~LoadClient() { stop(); }

void LoadClient::start(const LoadConfig& config, const CpuPlan& plan, const AcceptedCount& server_accepted) {
  const WorkloadInfo* workload = find_workload(config.workload);
  if (!workload) throw std::invalid_argument("load.workload: unknown workload '" + config.workload + "'");
  for (int i = 0; i < config.threads; ++i) {
    workers_.push_back(
        std::make_unique<Worker>(counters_.add("client", i), plan.cpus("client", i), config, *workload, i));
  }
  const auto connect_start = std::chrono::steady_clock::now();
  for (int c = 0; c < config.connections; ++c) {
    // A deliberate pause in the load pattern (load.connect_gap_ms), not
    // synchronisation: it lets a different pool thread win each accept.
    if (c > 0 && config.connect_gap_ms > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(config.connect_gap_ms));
    }
    if (server_accepted) wait_for_accepts(config, c, server_accepted);
    const auto source = source_address_for(config.target, c, config.connections);
    workers_[static_cast<size_t>(c % config.threads)]->add_socket(
        connect_tcp(config.target, config.connect_timeout_ms, source ? &*source : nullptr), c);
  }
  connect_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - connect_start).count();
  for (auto& worker : workers_) worker->start();
}

void LoadClient::wait_for_accepts(const LoadConfig& config, int connected, const AcceptedCount& server_accepted) {
  // Keep the connections the server has not yet accepted well inside the
  // listen backlog, so an overflowing backlog (SYNs dropped, a 1 s
  // retransmit) does not become what the trial measures.
  const auto budget = static_cast<uint64_t>(std::max(1, config.backlog / 2));
  if (static_cast<uint64_t>(connected) < budget) return;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(config.connect_timeout_ms);
  uint64_t accepted = server_accepted();
  while (static_cast<uint64_t>(connected) - std::min<uint64_t>(accepted, connected) >= budget) {
    if (std::chrono::steady_clock::now() > give_up) {
      throw std::runtime_error("the server accepted " + std::to_string(accepted) + " of " + std::to_string(connected) +
                               " connections within " + std::to_string(config.connect_timeout_ms) + " ms");
    }
    // Polls a counter the server's threads advance; the connects resume as
    // soon as it has moved.
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    accepted = server_accepted();
  }
}

RequestTotals LoadClient::census_totals(bool censor) {
  RequestTotals totals;
  for (auto& worker : workers_) {
    // A client thread too busy to answer within 2 s counts as it stands.
    auto census = worker->census(std::chrono::seconds(2), censor);
    totals.add_totals(census ? *census : RequestTotals::of(worker->requests()));
  }
  return totals;
}

RequestTotals LoadClient::request_totals() const {
  RequestTotals totals;
  for (const auto& worker : workers_) totals.add(worker->requests());
  return totals;
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
