#include "harness/trial/metrics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace echolab {
namespace {

const ThreadObservation* find_match(const std::vector<ThreadObservation>& list, const ThreadObservation& other) {
  for (const auto& item : list) {
    // Threads without our counters (external servers) come and go: their
    // index is only a position in /proc, so match them by tid.
    bool same = item.host == other.host && (other.has_counters ? item.role == other.role && item.index == other.index
                                                               : item.counters.tid == other.counters.tid);
    if (same) return &item;
  }
  return nullptr;
}

/// Totals over a set of threads, window deltas.
struct SideTotals {
  double cpu_s = 0;
  uint64_t voluntary = 0, involuntary = 0, migrations = 0, spurious = 0;
  uint64_t spurious_since_start = 0, connection_events = 0, idle_events = 0;
  int active_threads = 0;              // threads that moved bytes in the window
  int busy_threads = 0;                // threads that used >= half a CPU over the window
  int cpu_threads = 0;                 // threads that used >= a tenth of a CPU over the window
  std::vector<double> server_accepts;  // connections each server thread took in the window
  // The accept race, from server start (the connects precede the window).
  uint64_t accepted_since_start = 0, accepts_while_busy = 0;
  uint64_t ranked_accepts = 0, rank_weighted_accepts = 0;  // accepts by threads with a listener rank
  uint64_t index_weighted_accepts = 0;
  double max_busy_fraction = 0;  // the busiest thread's CPU time over the window
  uint64_t wakeups = 0;
  uint64_t requests_worked = 0, work_cpu_ns = 0, work_blocked_ns = 0;  // work per request, in the window
  uint64_t empty_polls = 0;                                            // a spinning wait's polls that found nothing
  uint64_t zerocopy_sends = 0, zerocopy_completed = 0, zerocopy_copied = 0, zerocopy_refused = 0;
  // Where the accepts went, from server start: each server thread's CPUs
  // and connections taken; the CPUs the side's threads were seen on.
  std::vector<std::pair<std::vector<int>, uint64_t>> accepts_by_cpus;
  std::set<int> cpus_seen;
  bool remote = false;  // a thread observed on another host: CPUs do not compare
  bool migrations_known = true;
};

constexpr double kBusyShare = 0.5;
constexpr double kUsingCpuShare = 0.1;
// Rows of metrics.per_connection[] and of external servers' OS threads in
// metrics.threads[] kept per trial; above, the rows are left out (totals and
// fairness still cover all of them).
constexpr size_t kMaxRowsPerTrial = 1024;

Json thread_json(const ThreadObservation& start, const ThreadObservation& end, double window_s, SideTotals& totals,
                 std::vector<double>& server_bytes) {
  Json row;
  row["role"] = end.role;
  row["index"] = end.index;
  if (!end.host.empty()) row["host"] = end.host;
  row["tid"] = end.counters.tid;
  row["cpus_observed"] = end.counters.cpus_seen;
  totals.cpus_seen.insert(end.counters.cpus_seen.begin(), end.counters.cpus_seen.end());
  if (!end.host.empty()) totals.remote = true;
  const bool is_client = end.role == "client";
  if (end.has_counters) {
    const CounterSnapshot& a = start.counters;
    const CounterSnapshot& b = end.counters;
    uint64_t bytes = is_client ? b.bytes_in - a.bytes_in : b.bytes_out - a.bytes_out;
    row["connections"] = b.accepted;
    row["accepts"] = b.accepted - a.accepted;
    if (end.role == "server") {
      totals.accepts_by_cpus.emplace_back(b.cpus_seen, b.accepted);
      totals.server_accepts.push_back(static_cast<double>(b.accepted - a.accepted));
      totals.accepted_since_start += b.accepted;
      totals.accepts_while_busy += b.accepts_while_busy;
      totals.index_weighted_accepts += b.accepted * static_cast<uint64_t>(std::max(0, end.index));
      if (b.listener_rank >= 0) {
        row["listener_rank"] = b.listener_rank;
        totals.ranked_accepts += b.accepted;
        totals.rank_weighted_accepts += b.accepted * static_cast<uint64_t>(b.listener_rank);
      }
      row["accepts_while_busy"] = b.accepts_while_busy;
    }
    row["bytes"] = bytes;
    row["wakeups"] = b.wakeups - a.wakeups;
    row["events"] = b.events - a.events;
    totals.wakeups += b.wakeups - a.wakeups;
    row["reads"] = b.reads - a.reads;
    row["writes"] = b.writes - a.writes;
    row["spurious_wakeups"] = b.spurious_wakeups - a.spurious_wakeups;
    row["errors"] = b.errors;
    if (b.hops) row["hops"] = b.hops - a.hops;
    if (b.dropped) row["dropped"] = b.dropped;
    if (b.handoffs) {
      row["handoffs"] = b.handoffs;
      row["handoff_us_mean"] = static_cast<double>(b.handoff_ns) / static_cast<double>(b.handoffs) / 1000.0;
    }
    if (b.idle_events) row["idle_events"] = b.idle_events - a.idle_events;
    if (b.empty_polls) row["empty_polls"] = b.empty_polls - a.empty_polls;
    totals.empty_polls += b.empty_polls - a.empty_polls;
    if (b.zerocopy_sends || b.zerocopy_refused) {
      row["zerocopy_sends"] = b.zerocopy_sends - a.zerocopy_sends;
      row["zerocopy_completed"] = b.zerocopy_completed - a.zerocopy_completed;
      row["zerocopy_copied"] = b.zerocopy_copied - a.zerocopy_copied;
      row["zerocopy_refused"] = b.zerocopy_refused - a.zerocopy_refused;
    }
    totals.zerocopy_sends += b.zerocopy_sends - a.zerocopy_sends;
    totals.zerocopy_completed += b.zerocopy_completed - a.zerocopy_completed;
    totals.zerocopy_copied += b.zerocopy_copied - a.zerocopy_copied;
    totals.zerocopy_refused += b.zerocopy_refused - a.zerocopy_refused;
    if (b.requests_worked) {
      row["requests_worked"] = b.requests_worked - a.requests_worked;
      row["work_cpu_s"] = static_cast<double>(b.work_cpu_ns - a.work_cpu_ns) / 1e9;
      row["work_blocked_s"] = static_cast<double>(b.work_blocked_ns - a.work_blocked_ns) / 1e9;
    }
    totals.requests_worked += b.requests_worked - a.requests_worked;
    totals.work_cpu_ns += b.work_cpu_ns - a.work_cpu_ns;
    totals.work_blocked_ns += b.work_blocked_ns - a.work_blocked_ns;
    totals.spurious += b.spurious_wakeups - a.spurious_wakeups;
    totals.spurious_since_start += b.spurious_wakeups;
    totals.connection_events += b.connection_events - a.connection_events;
    totals.idle_events += b.idle_events - a.idle_events;
    if (bytes > 0 && end.role == "server") ++totals.active_threads;
    if (end.role == "server") server_bytes.push_back(static_cast<double>(bytes));
  }
  if (start.os && end.os) {
    OsThreadStats d = end.os->minus(*start.os);
    row["cpu_user_s"] = d.cpu_user_s;
    row["cpu_sys_s"] = d.cpu_sys_s;
    row["ctx_voluntary"] = d.ctx_voluntary;
    row["ctx_involuntary"] = d.ctx_involuntary;
    if (d.migrations_known) row["migrations"] = d.migrations;
    totals.cpu_s += d.cpu_user_s + d.cpu_sys_s;
    if (window_s > 0) {
      const double busy = (d.cpu_user_s + d.cpu_sys_s) / window_s;
      row["busy_fraction"] = busy;
      totals.max_busy_fraction = std::max(totals.max_busy_fraction, busy);
    }
    if (window_s > 0 && d.cpu_user_s + d.cpu_sys_s >= kBusyShare * window_s) ++totals.busy_threads;
    if (window_s > 0 && d.cpu_user_s + d.cpu_sys_s >= kUsingCpuShare * window_s) ++totals.cpu_threads;
    totals.voluntary += d.ctx_voluntary;
    totals.involuntary += d.ctx_involuntary;
    totals.migrations += d.migrations;
    totals.migrations_known = totals.migrations_known && d.migrations_known;
  }
  return row;
}

void add_side(const std::vector<ThreadObservation>& start, const std::vector<ThreadObservation>& end, double window_s,
              Json& rows, SideTotals& totals, std::vector<double>& server_bytes) {
  for (const auto& after : end) {
    const ThreadObservation* before = find_match(start, after);
    // A thread that appeared during the window (thread_per_connection)
    // counts from zero.
    ThreadObservation zero{after.role,
                           after.index,
                           {},
                           after.has_counters,
                           after.os ? std::optional<OsThreadStats>(OsThreadStats{}) : std::nullopt,
                           after.host};
    if (before && before->counters.tid != after.counters.tid && before->counters.tid != 0) {
      // The slot's thread changed (thread_per_connection reuses a finished
      // connection's slot): its counters go on, the new thread's OS figures
      // count from zero.
      ThreadObservation reused = *before;
      reused.os = zero.os;
      rows.push_back(thread_json(reused, after, window_s, totals, server_bytes));
      continue;
    }
    rows.push_back(thread_json(before ? *before : zero, after, window_s, totals, server_bytes));
  }
}

}  // namespace

std::vector<ThreadObservation> observe_threads(const std::vector<ServerThreadReport>& reports, int pid) {
  std::vector<ThreadObservation> out;
  for (const auto& report : reports) {
    ThreadObservation observation{report.role, report.index, report.counters, report.has_counters, std::nullopt};
    // A thread without our counters (an external server's) may belong to
    // any process of the server's tree: /proc/TID reaches it whatever it is.
    const pid_t owner = report.has_counters ? pid : report.counters.tid;
    if (report.counters.tid > 0) observation.os = read_thread_stats(owner, report.counters.tid);
    out.push_back(std::move(observation));
  }
  return out;
}

double jain_index(const std::vector<double>& values) {
  double sum = 0, squares = 0;
  for (double v : values) {
    sum += v;
    squares += v * v;
  }
  if (values.empty() || squares == 0) return 1.0;
  return sum * sum / (static_cast<double>(values.size()) * squares);
}

double coefficient_of_variation(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  double mean = 0;
  for (double v : values) mean += v;
  mean /= static_cast<double>(values.size());
  if (mean == 0) return 0;
  double variance = 0;
  for (double v : values) variance += (v - mean) * (v - mean);
  variance /= static_cast<double>(values.size());
  return std::sqrt(variance) / mean;
}

std::vector<double> rebin(const std::vector<double>& values, size_t per_bin) {
  std::vector<double> bins;
  if (per_bin == 0) return bins;
  for (size_t start = 0; start + per_bin <= values.size(); start += per_bin) {
    double sum = 0;
    for (size_t i = start; i < start + per_bin; ++i) sum += values[i];
    bins.push_back(sum / static_cast<double>(per_bin));
  }
  return bins;
}

namespace {

// Client connections: bytes each got back in the window, and how evenly.
void add_connections(const WindowMeasurement& w, Json& m) {
  if (w.connections_end.empty()) return;
  std::map<int, uint64_t> bytes_at_start;  // by connection index
  for (const auto& start : w.connections_start) bytes_at_start[start.index] = start.bytes;
  Json rows = Json::array();
  std::vector<double> bytes;
  for (const auto& end : w.connections_end) {
    const auto found = bytes_at_start.find(end.index);
    const uint64_t before = found == bytes_at_start.end() ? 0 : found->second;
    rows.push_back({{"index", end.index}, {"client_thread", end.client_thread}, {"bytes", end.bytes - before}});
    bytes.push_back(static_cast<double>(end.bytes - before));
  }
  m["connection_fairness_jain"] = jain_index(bytes);
  m["connections_served"] = std::count_if(bytes.begin(), bytes.end(), [](double b) { return b > 0; });
  // Thousands of rows per trial would make trials.jsonl tens of MB; the
  // figures above already cover every connection.
  if (rows.size() <= kMaxRowsPerTrial) m["per_connection"] = rows;
}

// How the window's accepts spread over the server threads and what each
// cost in wake-ups (the claims about shared accept queues and the herd).
// Who won each accept since the server started, and whether it was busy
// serving already or was woken for it (the forum's accept race).
void add_accept_race(const SideTotals& server, Json& m) {
  if (server.accepted_since_start == 0) return;
  m["accepts_won_by_busy_thread"] = server.accepts_while_busy;
  m["accepts_won_by_busy_thread_share"] =
      static_cast<double>(server.accepts_while_busy) / static_cast<double>(server.accepted_since_start);
  m["accept_winner_registration_rank"] =
      server.ranked_accepts > 0
          ? Json(static_cast<double>(server.rank_weighted_accepts) / static_cast<double>(server.ranked_accepts))
          : Json(nullptr);
  m["accept_winner_index"] =
      static_cast<double>(server.index_weighted_accepts) / static_cast<double>(server.accepted_since_start);
  m["spurious_wakeups_per_accept_since_start"] =
      static_cast<double>(server.spurious_since_start) / static_cast<double>(server.accepted_since_start);
}

// SO_INCOMING_CPU's question: did the connections go to the listener on the
// CPU their client ran on (where loopback processes the SYN)?
void add_accepts_on_client_cpus(const SideTotals& server, const SideTotals& client, Json& m) {
  if (server.remote || client.remote || client.cpus_seen.empty() || server.accepted_since_start == 0) return;
  uint64_t on_client_cpus = 0;
  for (const auto& [cpus, accepted] : server.accepts_by_cpus) {
    const bool inside = !cpus.empty() &&
                        std::all_of(cpus.begin(), cpus.end(), [&](int cpu) { return client.cpus_seen.count(cpu) > 0; });
    if (inside) on_client_cpus += accepted;
  }
  m["accepts_on_client_cpus_share"] =
      static_cast<double>(on_client_cpus) / static_cast<double>(server.accepted_since_start);
}

void add_accepts(const SideTotals& server, Json& m) {
  double total = 0, most = 0, least = HUGE_VAL;
  for (double accepts : server.server_accepts) {
    total += accepts;
    most = std::max(most, accepts);
    least = std::min(least, accepts);
  }
  if (total == 0) return;
  m["accepts_in_window"] = total;
  m["accept_fairness_jain"] = jain_index(server.server_accepts);
  m["accept_max_share"] = most / total;
  m["accept_max_min_ratio"] = least > 0 ? Json(most / least) : Json(nullptr);
  m["spurious_wakeups_per_accept"] = static_cast<double>(server.spurious) / total;
  m["ctx_switches_per_accept"] = static_cast<double>(server.voluntary) / total;
}

// Request workloads: rates and latency from the window's histograms.
void add_requests(const WindowMeasurement& w, Json& m) {
  if (!w.requests) return;
  const RequestTotals& r = *w.requests;
  const double per_s = w.window_s > 0 ? 1.0 / w.window_s : 0.0;
  m["requests_per_s"] = static_cast<double>(r.completed) * per_s;
  // Censored tails: a request unanswered at the window's end counts with
  // its age then, a lower bound of its latency.
  LatencyHistogram latency = r.latency;
  latency.merge(r.unanswered_age);
  add_latency_metrics(latency, "latency_us", m);
  m["requests_unanswered"] = r.unanswered;
  if (r.connects > 0 || r.connect.count() > 0) {
    m["connects_per_s"] = static_cast<double>(r.connects) * per_s;
    Json connect;
    add_latency_metrics(r.connect, "connect_us", connect);
    m["connect_us_p50"] = connect["connect_us_p50"];
    m["connect_us_p99"] = connect["connect_us_p99"];
  }
  if (w.offered_requests_per_s > 0) {
    m["offered_requests_per_s"] = w.offered_requests_per_s;
    m["requests_behind_schedule"] = r.behind_schedule;
    Json lag;
    add_latency_metrics(r.send_lag, "send_lag_us", lag);
    m["send_lag_us_p50"] = lag["send_lag_us_p50"];
    m["send_lag_us_p99"] = lag["send_lag_us_p99"];
    m["requests_not_sent"] = r.not_sent;
    Json uncorrected;
    add_latency_metrics(r.uncorrected, "latency_uncorrected_us", uncorrected);
    for (const char* key : {"latency_uncorrected_us_p50", "latency_uncorrected_us_p99", "latency_uncorrected_us_p999"})
      m[key] = uncorrected[key];
    m["achieved_rate_share"] = static_cast<double>(r.completed) * per_s / w.offered_requests_per_s;
  }
}

// Resident memory, and its growth per connection since the connects began:
// the trial's process always; the server's and the client's apart when the
// server has a process of its own (external or server.process separate).
void add_memory(const WindowMeasurement& w, Json& m) {
  if (w.connect_s > 0) m["connect_s"] = w.connect_s;
  auto bytes = [](uint64_t kb) { return kb * 1024; };
  auto per_connection = [&](const std::optional<MemoryStats>& base, const std::optional<MemoryStats>& end) {
    if (!base || !end || w.connections <= 0) return Json(nullptr);
    return Json((static_cast<double>(end->rss_kb) - static_cast<double>(base->rss_kb)) * 1024.0 / w.connections);
  };
  if (w.memory_end) {
    m["process_rss_bytes"] = bytes(w.memory_end->rss_kb);
    m["process_rss_hwm_bytes"] = bytes(w.memory_end->hwm_kb);
    m["process_rss_per_conn_bytes"] = per_connection(w.memory_base, w.memory_end);
  }
  const bool server_apart = w.server_memory_end.has_value();
  m["server_rss_bytes"] = server_apart ? Json(bytes(w.server_memory_end->rss_kb)) : Json(nullptr);
  m["server_rss_per_conn_bytes"] = server_apart ? per_connection(w.server_memory_base, w.server_memory_end) : Json();
  m["client_rss_bytes"] = server_apart && w.memory_end ? Json(bytes(w.memory_end->rss_kb)) : Json(nullptr);
}

}  // namespace

void add_latency_metrics(const LatencyHistogram& histogram, const std::string& prefix, Json& metrics) {
  auto us = [](std::optional<double> ns) { return ns ? Json(*ns / 1000.0) : Json(nullptr); };
  for (const auto& [suffix, q] : std::initializer_list<std::pair<const char*, double>>{
           {"_p50", 0.5}, {"_p90", 0.9}, {"_p99", 0.99}, {"_p999", 0.999}, {"_p9999", 0.9999}}) {
    metrics[prefix + suffix] = us(histogram.quantile_ns(q));
  }
  metrics[prefix + "_max"] = us(histogram.max_ns());
  metrics[prefix + "_mean"] = us(histogram.mean_ns());
}

Json instrument_limits(const Json& metrics) {
  // A spinning client (load.wait spin) is busy by construction: it set the
  // pace only when it rarely polled in vain (under one poll in ten empty).
  const double empty = metrics.value("client_empty_polls", 0.0);
  const double polls = empty + metrics.value("client_wakeups", 0.0);
  const bool waited_for_server = empty > 0 && empty >= kSpinningClientIdlePollShare * polls;
  return {
      {"client_bound", metrics.value("client_busy_fraction_max", 0.0) >= kClientBoundFraction && !waited_for_server},
      {"overloaded", metrics.value("achieved_rate_share", 1.0) < kOverloadedRateShare}};
}

Json compute_metrics(const WindowMeasurement& w) {
  Json threads = Json::array();
  SideTotals server, client;
  std::vector<double> server_bytes, client_bytes_unused;
  add_side(w.server_start, w.server_end, w.window_s, threads, server, server_bytes);
  add_side(w.client_start, w.client_end, w.window_s, threads, client, client_bytes_unused);

  Json m;
  const double bytes = static_cast<double>(w.echoed_bytes);
  m["throughput_mb_s"] = w.window_s > 0 ? bytes / w.window_s / 1e6 : 0.0;
  m["msgs_per_s"] = w.window_s > 0 && w.message_bytes ? bytes / static_cast<double>(w.message_bytes) / w.window_s : 0.0;
  m["bytes_echoed"] = w.echoed_bytes;
  m["window_s"] = w.window_s;
  const bool have_server = !w.server_end.empty();
  if (w.server_process_cpu_start && w.server_process_cpu_end) {
    server.cpu_s = *w.server_process_cpu_end - *w.server_process_cpu_start;  // exited threads included
  }
  if (have_server) {
    m["server_cpu_s"] = server.cpu_s;
    m["server_cpu_per_gb"] = bytes > 0 ? server.cpu_s / (bytes / 1e9) : 0.0;
    if (w.requests && w.requests->completed > 0) {
      m["server_cpu_us_per_request"] = server.cpu_s * 1e6 / static_cast<double>(w.requests->completed);
    }
    m["ctx_switches_voluntary"] = server.voluntary;
    m["ctx_switches_involuntary"] = server.involuntary;
    m["migrations"] = server.migrations_known ? Json(server.migrations) : Json("not supported");
    // An external server has no counters of ours: unknown, not "0" or "even".
    const bool counted = !server_bytes.empty();
    m["spurious_wakeups"] = counted ? Json(server.spurious) : Json(nullptr);
    m["spurious_wakeups_since_start"] = counted ? Json(server.spurious_since_start) : Json(nullptr);
    m["fairness_jain"] = counted ? Json(jain_index(server_bytes)) : Json(nullptr);
    m["server_threads_active"] = counted ? Json(server.active_threads) : Json(nullptr);
    m["server_threads_using_cpu"] = server.cpu_threads;
    m["server_requests_worked"] = counted ? Json(server.requests_worked) : Json(nullptr);
    m["server_work_cpu_s"] = counted ? Json(static_cast<double>(server.work_cpu_ns) / 1e9) : Json(nullptr);
    m["server_work_blocked_s"] = counted ? Json(static_cast<double>(server.work_blocked_ns) / 1e9) : Json(nullptr);
    m["server_empty_polls"] = counted ? Json(server.empty_polls) : Json(nullptr);
    m["server_zerocopy_sends"] = counted ? Json(server.zerocopy_sends) : Json(nullptr);
    m["server_zerocopy_refused"] = counted ? Json(server.zerocopy_refused) : Json(nullptr);
    m["server_zerocopy_copied"] = counted ? Json(server.zerocopy_copied) : Json(nullptr);
    m["server_zerocopy_copied_share"] =
        counted && server.zerocopy_completed > 0
            ? Json(static_cast<double>(server.zerocopy_copied) / static_cast<double>(server.zerocopy_completed))
            : Json(nullptr);
    m["idle_event_share"] =
        counted && server.connection_events > 0
            ? Json(static_cast<double>(server.idle_events) / static_cast<double>(server.connection_events))
            : Json(nullptr);
  }
  m["client_cpu_s"] = client.cpu_s;
  m["client_busy_fraction_max"] = client.max_busy_fraction;
  m["client_wakeups"] = client.wakeups;
  m["client_empty_polls"] = client.empty_polls;
  m["client_ctx_switches_voluntary"] = client.voluntary;
  m["client_ctx_switches_involuntary"] = client.involuntary;
  m["client_migrations"] = client.migrations_known ? Json(client.migrations) : Json("not supported");
  m["busy_threads"] = server.busy_threads + client.busy_threads;
  if (w.placement_pus > 0) m["placement_pus"] = w.placement_pus;
  m["steal_s"] = w.steal_s ? Json(*w.steal_s) : Json(nullptr);
  // Noise: CPU time the machine spent on anything but the trial's server and
  // client threads (other processes, interrupts, the sampler) in the window.
  m["other_cpu_s"] =
      w.machine_busy_s ? Json(std::max(0.0, *w.machine_busy_s - server.cpu_s - client.cpu_s)) : Json(nullptr);
  m["cpu_mhz"] = w.cpu_mhz ? Json(*w.cpu_mhz) : Json(nullptr);
  m["interval_cv"] = coefficient_of_variation(w.interval_mb_s);
  if (w.interval_ms > 0 && 1000 % w.interval_ms == 0) {  // else 1 s bins cannot be made of whole intervals
    const size_t per_second = static_cast<size_t>(1000 / w.interval_ms);
    const auto seconds = rebin(w.interval_mb_s, per_second);
    m["interval_cv_1s"] = seconds.size() >= 2 ? Json(coefficient_of_variation(seconds)) : Json(nullptr);
  }
  if (threads.size() > kMaxRowsPerTrial) {
    m["threads_omitted"] = threads.size();  // e.g. 10,000 threads of thread_per_connection
    threads = Json::array();
  }
  add_connections(w, m);
  add_accepts(server, m);
  if (!server_bytes.empty()) add_accept_race(server, m);
  if (!server_bytes.empty()) add_accepts_on_client_cpus(server, client, m);
  add_requests(w, m);
  add_memory(w, m);
  m["threads"] = threads;
  return m;
}

}  // namespace echolab
