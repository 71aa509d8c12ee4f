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

}  // namespace

// Series of several client hosts: their intervals line up (one start
// time, one interval), so rates add; a p99 can't be added.
void merge_client_series(Json& series, const Json& part) {
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
  // Times as many as the summed rates, never more than there are.
  if (series.contains("t_s") && series["t_s"].is_array() && series.contains("throughput_mb_s")) {
    Json& times = series["t_s"];
    const size_t n = std::min(times.size(), series["throughput_mb_s"].size());
    times.erase(times.begin() + static_cast<std::ptrdiff_t>(n), times.end());
  }
  series.erase("latency_us_p99");
}

void HostsMerge::add(const Json& part, const std::string& who, const HostAddress& host, bool client) {
  merge_window(whole, tagged_window(part, host.name()), machines.insert(host.url).second);
  append_host_placement(placement, part.at("placement"), host.name());
  if (client) merge_client_series(series, part.at("series"));
  if (part.contains("warning")) warning = who + ": " + part["warning"].get<std::string>();
}

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
    // One start time for every client, so the measured windows line up;
    // each host gets it on its own clock (this clock plus its offset).
    const double start_at = wall_clock_s() + kStartLeadS;
    const double window_from = start_at + timing.warmup_s;
    auto order = [](const char* word, std::initializer_list<double> times) {
      std::ostringstream text;
      text.precision(17);
      text << word;
      for (double time : times) text << " " << time;
      return text.str();
    };
    const double server_offset = sessions.clock_offset_s(hosts.server);
    server.order(order("window", {window_from + server_offset, window_from + timing.duration_s + server_offset}));
    for (auto& client : clients) client.order(order("start", {start_at + sessions.clock_offset_s(client.host)}));

    const auto results_due = deadline_in(kStartLeadS + timing.warmup_s + timing.duration_s + connect_s + 10);
    HostsMerge merge;
    merge.placement = result.placement;
    for (auto& client : clients) {
      Json part;
      try {
        part = client.result(results_due);
      } catch (const PartFailure&) {
        // A server that went away (its ssh dropped) fails its clients too
        // (connect refused, reset): name the cause, if the server ended.
        if (!server.process->read_line(deadline_in(1)) && !server.process->timed_out())
          server.failed("ended during the trial");
        throw;
      }
      merge.add(part, client.who(), client.host, true);
    }
    server.order("stop");
    merge.add(server.result(deadline_in(10)), server.who(), hosts.server, false);
    const WindowMeasurement& whole = merge.whole;
    result.placement = merge.placement;
    if (!merge.warning.empty()) result.extra["warning"] = merge.warning;
    result.metrics = compute_metrics(whole);
    result.extra.update(instrument_limits(result.metrics));
    result.series = merge.series;
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
