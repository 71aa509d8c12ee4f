#include "harness/trial/trial_runner.h"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "core/monotonic_clock.h"
#include "core/proc_stats.h"
#include "harness/config/placement.h"
#include "harness/config/trial_config.h"
#include "harness/load/load_client.h"
#include "harness/trial/metrics.h"
#include "harness/trial/window_json.h"
#include "models/registry.h"

namespace echolab {
namespace {

using Clock = std::chrono::steady_clock;

// An open loop answering less than this share of its offered rate says so.

/// Restores the calling thread's CPU affinity when the trial ends.
class AffinityGuard {
 public:
  AffinityGuard() { pthread_getaffinity_np(pthread_self(), sizeof saved_, &saved_); }
  ~AffinityGuard() { pthread_setaffinity_np(pthread_self(), sizeof saved_, &saved_); }

 private:
  cpu_set_t saved_;
};

// A seed for the open loop's arrivals: 1..2^31-1 from the OS's entropy.
long long fresh_seed() {
  std::random_device entropy;
  return 1 + static_cast<long long>(entropy() % 2147483646u);
}

TrialResult failed(TrialResult result, const std::string& status, const std::string& error) {
  result.status = status;
  result.error = error;
  return result;
}

}  // namespace

Json placement_json(const PlacementPlan& plan) {
  Json threads = Json::array();
  for (const auto& thread : plan.threads) {
    threads.push_back(
        {{"role", thread.role}, {"index", thread.index}, {"planned", thread.cpus}, {"observed", Json::array()}});
  }
  return {{"threads", threads}, {"warnings", plan.warnings}};
}

void fill_observed(Json& placement, const std::vector<ServerThreadReport>& reports) {
  for (auto& row : placement["threads"]) {
    for (const auto& report : reports) {
      if (report.role == row["role"] && report.index == row["index"]) row["observed"] = report.counters.cpus_seen;
    }
  }
}

void append_host_placement(Json& placement, const Json& part, const std::string& host) {
  for (Json row : part.value("threads", Json::array())) {
    row["host"] = host;
    placement["threads"].push_back(row);
  }
  for (const auto& warning : part.value("warnings", Json::array())) {
    placement["warnings"].push_back(host + ": " + warning.get<std::string>());
  }
}

int distinct_pus(const PlacementPlan& plan) {
  std::set<int> pus;
  for (const auto& thread : plan.threads) pus.insert(thread.cpus.begin(), thread.cpus.end());
  return static_cast<int>(pus.size());
}

void observe_server_edge(const ServerModel& model, bool at_start, WindowMeasurement& window) {
  const int pid = model.pid();
  (at_start ? window.server_start : window.server_end) = observe_threads(model.threads(), pid);
  if (pid > 0) (at_start ? window.server_process_cpu_start : window.server_process_cpu_end) = read_process_cpu_s(pid);
}

void observe_machine_edge(bool at_start, std::optional<MachineCpu>& start, WindowMeasurement& window) {
  if (at_start) {
    start = read_machine_cpu();
    return;
  }
  if (const auto end = read_machine_cpu(); start && end) {
    window.steal_s = end->steal_s - start->steal_s;
    window.machine_busy_s = end->busy_s - start->busy_s;
  }
  window.cpu_mhz = read_cpu_mhz();
}

Json plan_trial(const Json& config, const Topology& topology, bool with_server) {
  auto plan = plan_placement(topology, placement_groups(config, with_server, true),
                             get_key(config, "load.overlap").get<bool>());
  return placement_json(plan);
}

TrialResult run_trial(const Json& config, const Topology& topology, bool with_server, const TrialSchedule& schedule) {
  TrialResult result;
  result.config = config;
  const PlacementPlan plan = plan_placement(topology, placement_groups(config, with_server, true),
                                            get_key(config, "load.overlap").get<bool>());
  result.placement = placement_json(plan);
  const Timing timing = timing_from(config);

  const bool external_server = with_server && serving_model(config).name == "external";
  const auto connections = get_key(config, "load.connections").get<uint64_t>();
  // Each connection costs the client one descriptor and an in-process
  // server another; the rest is headroom for listeners, epoll and eventfds.
  if (std::string error = raise_fd_limit(connections * (with_server && !external_server ? 2 : 1) + 256);
      !error.empty()) {
    return failed(result, "failed", std::to_string(connections) + " connections: " + error);
  }

  std::unique_ptr<ServerModel> model;
  SocketAddress server_address;
  if (with_server) {
    ServerConfig server = server_config_from(config);
    const ModelInfo& info = serving_model(config);
    if (std::string error = chosen_model(config).thread_limit_error(server.threads); !error.empty()) {
      return failed(result, "failed", error);
    }
    model = info.create();
    try {
      model->start(server, plan.cpus);
    } catch (const ModelUnavailable& error) {
      return failed(result, "skipped", error.what());
    } catch (const std::exception& error) {
      model->stop();
      return failed(result, "failed", std::string("server did not start: ") + error.what());
    }
    server_address = model->address();
    result.extra["server_address"] = server_address.to_string();
  }

  const int server_pid = model ? model->pid() : 0;
  WindowMeasurement window;
  window.memory_base = read_memory(0);
  if (server_pid > 0) window.server_memory_base = read_tree_memory(server_pid);

  AffinityGuard restore_affinity;
  LoadClient client;
  LoadConfig load;
  try {
    load = load_config_from(config, with_server ? &server_address : nullptr);
    // The open loop's arrivals: a fresh seed per trial unless one is given,
    // recorded so that a trial can be replayed (--load.seed N).
    if (load.options.has("seed")) {
      if (load.options.integer("seed") == 0) load.options.set("seed", static_cast<long long>(fresh_seed()));
      result.extra["open_loop_seed"] = load.options.integer("seed");
    }
    LoadClient::AcceptedCount server_accepted;
    if (model && server_pid == 0) {
      server_accepted = [&model] {
        uint64_t accepted = 0;
        for (const auto& report : model->threads()) accepted += report.counters.accepted;
        return accepted;
      };
    }
    if (schedule.start_wall_s) sleep_until_wall_clock(*schedule.start_wall_s);
    client.start(load, plan.cpus, server_accepted);
    bind_current_thread(plan.cpus.cpus("sampler", 0));
  } catch (const ConfigError&) {
    if (model) model->stop();
    throw;
  } catch (const std::exception& error) {
    client.stop();
    if (model) model->stop();
    return failed(result, "failed", std::string("load client: ") + error.what());
  }

  auto server_reports = [&] { return model ? model->threads() : std::vector<ServerThreadReport>{}; };
  double late_s = 0;  // a scheduled window that began after its time
  if (schedule.start_wall_s) {
    const double window_at = *schedule.start_wall_s + timing.warmup_s;
    late_s = std::max(0.0, wall_clock_s() - window_at);
    sleep_until_wall_clock(window_at);
  } else {
    std::this_thread::sleep_for(std::chrono::duration<double>(timing.warmup_s));
  }

  // What the workload's registry row says it measures, not its name.
  const WorkloadInfo& workload = *find_workload(load.workload);
  const bool request_workload =
      std::find(workload.metrics.begin(), workload.metrics.end(), "requests_per_s") != workload.metrics.end();
  window.connections = load.connections;
  window.connect_s = client.connect_s();
  if (load.options.has("rate")) window.offered_requests_per_s = load.options.number("rate");
  window.message_bytes = get_key(config, "load.message_bytes").get<size_t>();
  window.interval_ms = timing.interval_ms;
  window.placement_pus = distinct_pus(plan);
  std::optional<MachineCpu> machine_start;
  observe_machine_edge(true, machine_start, window);
  window.connections_start = client.connection_bytes();
  if (model) observe_server_edge(*model, true, window);
  window.client_start = observe_threads(client.threads(), 0);
  const uint64_t bytes_start = client.bytes_echoed();
  // Taken on the client threads, as the end's census is: a copy from here
  // could fall between a thread's counter and its histogram.
  const RequestTotals requests_start = request_workload ? client.census_totals(false) : client.request_totals();
  RequestTotals requests_previous = requests_start;
  Json requests_series = Json::array(), p99_series = Json::array();
  const auto start = Clock::now();
  const auto end =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(timing.duration_s));
  Json t_s = Json::array();
  Json series = Json::array();
  uint64_t previous_bytes = bytes_start;
  auto previous_time = start;
  ThreadCounters sampler;
  while (previous_time < end) {
    auto next = std::min(previous_time + std::chrono::milliseconds(timing.interval_ms), end);
    std::this_thread::sleep_until(next);
    const auto now = Clock::now();
    const uint64_t bytes = client.bytes_echoed();
    const double dt = std::chrono::duration<double>(now - previous_time).count();
    const double mb_s = dt > 0 ? static_cast<double>(bytes - previous_bytes) / dt / 1e6 : 0.0;
    window.interval_mb_s.push_back(mb_s);
    t_s.push_back(std::chrono::duration<double>(now - start).count());
    series.push_back(mb_s);
    if (request_workload) {
      const RequestTotals requests = client.request_totals();
      const RequestTotals interval = requests.minus(requests_previous);
      requests_series.push_back(dt > 0 ? static_cast<double>(interval.completed) / dt : 0.0);
      const auto p99 = interval.latency.quantile_ns(0.99);
      p99_series.push_back(p99 ? Json(*p99 / 1000.0) : Json(nullptr));
      requests_previous = requests;
    }
    previous_bytes = bytes;
    previous_time = now;
    sampler.note_cpu();
  }
  window.window_s = std::chrono::duration<double>(previous_time - start).count();
  window.echoed_bytes = previous_bytes - bytes_start;
  if (model) observe_server_edge(*model, false, window);
  window.client_end = observe_threads(client.threads(), 0);
  window.connections_end = client.connection_bytes();
  // What is still unanswered is censored at the window's end (its latency
  // is at least its age), each client thread counting at one instant.
  if (request_workload) window.requests = client.census_totals().minus(requests_start);
  window.memory_end = read_memory(0);
  if (server_pid > 0) window.server_memory_end = read_tree_memory(server_pid);
  observe_machine_edge(false, machine_start, window);

  client.stop();  // the client threads hand over their first error when they stop
  const std::string client_error = client.first_error();
  const std::string server_gone = model ? model->gone() : "";
  if (model) model->stop();

  result.metrics = compute_metrics(window);
  result.extra.update(instrument_limits(result.metrics));
  result.series = {{"interval_ms", timing.interval_ms}, {"t_s", t_s}, {"throughput_mb_s", series}};
  if (window.requests) {
    result.series["requests_per_s"] = requests_series;
    result.series["latency_us_p99"] = p99_series;
    if (window.requests->latency.count() > 0) result.histograms["latency_ns"] = window.requests->latency.to_json();
    if (window.requests->connect.count() > 0) result.histograms["connect_ns"] = window.requests->connect.to_json();
  }
  fill_observed(result.placement, server_reports());
  fill_observed(result.placement, client.threads());
  ServerThreadReport sampler_report{"sampler", 0, sampler.snapshot(), true};
  fill_observed(result.placement, {sampler_report});
  if (schedule.keep_window) result.extra["window"] = window_to_json(window);
  if (late_s > 0.001) {
    result.extra["warning"] = "the measured window began " + std::to_string(late_s) +
                              " s after its scheduled time: connecting took longer than the warm-up, so this "
                              "host's window does not line up with the others' (raise timing.warmup_s)";
  }
  if (!server_gone.empty()) {
    // The clients' errors follow from it; the cause comes first.
    result.fail("the server's process ended during the trial: " + server_gone +
                (client_error.empty() ? "" : "; then client connection failed: " + client_error));
  } else if (!client_error.empty()) {
    result.fail("client connection failed: " + client_error);
  } else if (result.extra.value("overloaded", false)) {  // only an open loop can be
    result.extra["warning"] = "open loop: " + std::to_string(result.metrics["requests_per_s"].get<double>()) +
                              " requests/s answered of " + std::to_string(window.offered_requests_per_s) +
                              " offered; the server or the client fell behind, and the latencies include the "
                              "queueing (requests behind schedule: " +
                              std::to_string(window.requests->behind_schedule) + ")";
  } else if (window.echoed_bytes == 0) {
    // Every connection alive, nothing echoed: the server stalled. That is a
    // measurement (0 MB/s; edge + read once starves by design), not a failure.
    result.extra["warning"] = "no bytes were echoed during the measured window: the server stalled";
  }
  return result;
}

}  // namespace echolab
