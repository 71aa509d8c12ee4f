#include "harness/remote/remote_trial.h"

#include <sys/wait.h>

#include <memory>
#include <set>
#include <sstream>

#include "core/monotonic_clock.h"
#include "harness/config/trial_config.h"
#include "harness/trial/metrics.h"
#include "harness/trial/trial_runner.h"
#include "harness/trial/window_json.h"

namespace echolab {
namespace {

using Clock = ChildProcess::Clock;

// Seconds the clients get between the start order and the start: the order
// travels one ssh hop.
constexpr double kStartLeadS = 0.5;

/// A part of the trial that failed: which host, and why.
class PartFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// One `--control` process of the trial and the host it runs on.
struct Part {
  std::string role;  // "server" or "client"
  HostAddress host;
  std::unique_ptr<ChildProcess> process;

  std::string who() const { return role + " on " + host.name(); }

  // Its next line, or a PartFailure with what its host said.
  std::string line(Clock::time_point deadline, const std::string& waiting_for) {
    if (auto text = process->read_line(deadline)) return *text;
    failed(process->timed_out() ? "no " + waiting_for + " in time" : "ended before " + waiting_for);
  }

  // Throws a PartFailure: what went wrong, how the process ended (ssh
  // exits 255 when its connection fails or drops) and its last words.
  [[noreturn]] void failed(const std::string& what) {
    std::string ending;
    if (!process->timed_out()) {
      const int status = process->wait(deadline_in(2));  // its last words come with its exit
      const bool ssh_lost = WIFEXITED(status) && WEXITSTATUS(status) == 255 && !host.local();
      ending = ssh_lost ? "; ssh lost the connection to " + host.name() + " (exit code 255)"
                        : "; " + describe_wait_status(status);
    }
    const std::string said = process->error_tail();
    throw PartFailure(who() + ": " + what + ending + (said.empty() ? "" : "; it said: " + said));
  }

  // Sends an order; a part that is gone fails with what its host said.
  void order(const std::string& text) {
    if (!process->write_line(text)) failed("gone before the order '" + text.substr(0, text.find(' ')) + "'");
  }

  // Its result line: JSON with status and window.
  Json result(Clock::time_point deadline) {
    const std::string text = line(deadline, "its result line");
    Json parsed = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object()) throw PartFailure(who() + ": unreadable result line: " + text.substr(0, 120));
    if (parsed.value("status", "") != "ok") {
      throw PartFailure(who() + ": " + parsed.value("error", std::string("failed")));
    }
    return parsed;
  }
};

Part start_part(const HostSessions& sessions, const std::string& role, const HostAddress& host, const Json& config,
                double limit_s) {
  Part part{role, host, nullptr};
  part.process = std::make_unique<ChildProcess>(
      sessions.echolab_command(host, {role == "server" ? "serve" : "load", "--control"}, limit_s));
  part.order("config " + config.dump());
  return part;
}

// Tags every thread of a host's measurement with the host's name.
WindowMeasurement tagged_window(const Json& result, const std::string& host) {
  WindowMeasurement window = window_from_json(result.at("window"));
  for (auto* threads : {&window.server_start, &window.server_end, &window.client_start, &window.client_end}) {
    for (auto& thread : *threads) thread.host = host;
  }
  return window;
}

// Series of several client hosts: their intervals line up (one start
// time, one interval), so rates add; a p99 can't be added.
void merge_series(Json& series, const Json& part) {
  if (series.empty()) {
    series = part;
    return;
  }
  for (const char* key : {"throughput_mb_s", "requests_per_s"}) {
    if (!series.contains(key) || !part.contains(key)) continue;
    Json& sum = series[key];
    const Json& add = part[key];
    const size_t n = std::min(sum.size(), add.size());
    sum.erase(sum.begin() + static_cast<std::ptrdiff_t>(n), sum.end());
    for (size_t i = 0; i < n; ++i) sum[i] = sum[i].get<double>() + add[i].get<double>();
  }
  series["t_s"].erase(series["t_s"].begin() + static_cast<std::ptrdiff_t>(series["throughput_mb_s"].size()),
                      series["t_s"].end());
  series.erase("latency_us_p99");
}

}  // namespace

TrialResult run_hosts_trial(const Json& config, const HostSessions& sessions) {
  const HostsConfig& hosts = sessions.hosts();
  const Timing timing = timing_from(config);
  const double connect_s = get_key(config, "load.connections").get<double>() / 1000.0;
  const double start_s = get_key(config, "server.start_timeout_s").get<double>() + 10;
  const double limit_s = start_s + timing.warmup_s + timing.duration_s + connect_s + kHostsTrialOverheadS;
  TrialResult result;
  result.config = config;
  result.placement = {{"threads", Json::array()}, {"warnings", Json::array()}};
  std::vector<Part> clients;
  try {
    Part server = start_part(sessions, "server", hosts.server, config, limit_s);
    const std::string listening = server.line(deadline_in(start_s), "its 'listening on' line");
    if (!listening.starts_with("listening on ")) {
      Json failure = Json::parse(listening, nullptr, /*allow_exceptions=*/false);
      if (failure.is_object() && failure.contains("status")) {
        return TrialResult::failure(config, result.placement, failure.value("status", "failed"),
                                    server.who() + ": " + failure.value("error", std::string("did not start")));
      }
      throw PartFailure(server.who() + ": expected 'listening on', got '" + listening.substr(0, 120) + "'");
    }
    const std::string target = listening.substr(sizeof("listening on ") - 1);
    result.extra["server_address"] = target;

    Json client_config = config;
    client_config["load"]["target"] = target;
    for (const auto& host : hosts.clients)
      clients.push_back(start_part(sessions, "client", host, client_config, limit_s));
    for (auto& client : clients) {
      const std::string ready = client.line(deadline_in(start_s), "its 'ready' line");
      if (ready != "ready") throw PartFailure(client.who() + ": expected 'ready', got '" + ready.substr(0, 120) + "'");
    }
    // One start time for every client, so the measured windows line up.
    const double start_at = wall_clock_s() + kStartLeadS;
    const double window_from = start_at + timing.warmup_s;
    std::ostringstream start_order, window_order;
    start_order.precision(17);
    window_order.precision(17);
    start_order << "start " << start_at;
    window_order << "window " << window_from << " " << window_from + timing.duration_s;
    server.order(window_order.str());
    for (auto& client : clients) client.order(start_order.str());

    const auto results_due = deadline_in(kStartLeadS + timing.warmup_s + timing.duration_s + connect_s + 10);
    WindowMeasurement whole;
    std::set<std::string> machines;
    Json series = Json::object();
    for (auto& client : clients) {
      const Json part = client.result(results_due);
      const std::string name = client.host.name();
      merge_window(whole, tagged_window(part, name), machines.insert(client.host.url).second);
      append_host_placement(result.placement, part.at("placement"), name);
      merge_series(series, part.at("series"));
      if (part.contains("warning")) result.extra["warning"] = client.who() + ": " + part["warning"].get<std::string>();
    }
    server.order("stop");
    const Json server_part = server.result(deadline_in(10));
    merge_window(whole, tagged_window(server_part, hosts.server.name()), machines.insert(hosts.server.url).second);
    if (server_part.contains("warning"))
      result.extra["warning"] = server.who() + ": " + server_part["warning"].get<std::string>();
    append_host_placement(result.placement, server_part.at("placement"), hosts.server.name());
    result.metrics = compute_metrics(whole);
    result.extra.update(instrument_limits(result.metrics));
    result.series = series;
    if (whole.requests) {
      if (whole.requests->latency.count() > 0) result.histograms["latency_ns"] = whole.requests->latency.to_json();
      if (whole.requests->connect.count() > 0) result.histograms["connect_ns"] = whole.requests->connect.to_json();
    }
    server.process->wait(deadline_in(5));
    for (auto& client : clients) client.process->wait(deadline_in(5));
    if (whole.echoed_bytes == 0 && !result.extra.contains("warning")) {
      result.extra["warning"] = "no bytes were echoed during the measured window: the server stalled";
    }
  } catch (const PartFailure& failure) {
    return TrialResult::failure(config, result.placement, "failed", failure.what());
  } catch (const std::exception& error) {
    return TrialResult::failure(config, result.placement, "failed", std::string("hosts trial: ") + error.what());
  }
  return result;
}

}  // namespace echolab
