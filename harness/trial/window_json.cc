#include "harness/trial/window_json.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace echolab {
namespace {

constexpr std::pair<const char*, uint64_t CounterSnapshot::*> kCounterFields[] = {
    {"bytes_in", &CounterSnapshot::bytes_in},
    {"bytes_out", &CounterSnapshot::bytes_out},
    {"reads", &CounterSnapshot::reads},
    {"writes", &CounterSnapshot::writes},
    {"wakeups", &CounterSnapshot::wakeups},
    {"events", &CounterSnapshot::events},
    {"accepted", &CounterSnapshot::accepted},
    {"closed", &CounterSnapshot::closed},
    {"spurious_wakeups", &CounterSnapshot::spurious_wakeups},
    {"errors", &CounterSnapshot::errors},
    {"hops", &CounterSnapshot::hops},
    {"dropped", &CounterSnapshot::dropped},
    {"handoffs", &CounterSnapshot::handoffs},
    {"handoff_ns", &CounterSnapshot::handoff_ns},
    {"connection_events", &CounterSnapshot::connection_events},
    {"idle_events", &CounterSnapshot::idle_events},
};

// Counters a window may lack (a host running an echolab from before work
// per request, empty polls or zero-copy sends): read as 0 when absent.
constexpr std::pair<const char*, uint64_t CounterSnapshot::*> kOptionalCounterFields[] = {
    {"requests_worked", &CounterSnapshot::requests_worked},
    {"work_cpu_ns", &CounterSnapshot::work_cpu_ns},
    {"work_blocked_ns", &CounterSnapshot::work_blocked_ns},
    {"empty_polls", &CounterSnapshot::empty_polls},
    {"zerocopy_sends", &CounterSnapshot::zerocopy_sends},
    {"zerocopy_completed", &CounterSnapshot::zerocopy_completed},
    {"zerocopy_copied", &CounterSnapshot::zerocopy_copied},
    {"zerocopy_refused", &CounterSnapshot::zerocopy_refused},
};

constexpr std::pair<const char*, uint64_t RequestTotals::*> kRequestCounts[] = {
    {"completed", &RequestTotals::completed}, {"connects", &RequestTotals::connects},
    {"scheduled", &RequestTotals::scheduled}, {"behind_schedule", &RequestTotals::behind_schedule},
    {"not_sent", &RequestTotals::not_sent},   {"unanswered", &RequestTotals::unanswered},
};

constexpr std::pair<const char*, LatencyHistogram RequestTotals::*> kRequestHistograms[] = {
    {"latency", &RequestTotals::latency},
    {"connect", &RequestTotals::connect},
    {"send_lag", &RequestTotals::send_lag},
    {"uncorrected", &RequestTotals::uncorrected},
    {"unanswered_age", &RequestTotals::unanswered_age},
};

template <typename T>
Json optional_json(const std::optional<T>& value) {
  return value ? Json(*value) : Json(nullptr);
}

template <typename T>
std::optional<T> optional_from(const Json& json, const char* key) {
  if (!json.contains(key) || json.at(key).is_null()) return std::nullopt;
  return json.at(key).get<T>();
}

Json memory_json(const std::optional<MemoryStats>& memory) {
  if (!memory) return nullptr;
  return {{"rss_kb", memory->rss_kb}, {"hwm_kb", memory->hwm_kb}};
}

std::optional<MemoryStats> memory_from(const Json& json, const char* key) {
  if (!json.contains(key) || json.at(key).is_null()) return std::nullopt;
  return MemoryStats{json.at(key).at("rss_kb").get<uint64_t>(), json.at(key).at("hwm_kb").get<uint64_t>()};
}

Json observation_json(const ThreadObservation& thread) {
  Json counters = {{"tid", thread.counters.tid}, {"cpus_seen", thread.counters.cpus_seen}};
  for (const auto& [name, field] : kCounterFields) counters[name] = thread.counters.*field;
  for (const auto& [name, field] : kOptionalCounterFields) counters[name] = thread.counters.*field;
  Json row = {{"role", thread.role},  {"index", thread.index},
              {"host", thread.host},  {"has_counters", thread.has_counters},
              {"counters", counters}, {"os", nullptr}};
  if (thread.os) {
    const OsThreadStats& os = *thread.os;
    row["os"] = {{"tid", os.tid},
                 {"cpu_user_s", os.cpu_user_s},
                 {"cpu_sys_s", os.cpu_sys_s},
                 {"ctx_voluntary", os.ctx_voluntary},
                 {"ctx_involuntary", os.ctx_involuntary},
                 {"migrations", os.migrations},
                 {"migrations_known", os.migrations_known},
                 {"last_cpu", os.last_cpu}};
  }
  return row;
}

ThreadObservation observation_from(const Json& row) {
  ThreadObservation thread;
  thread.role = row.at("role").get<std::string>();
  thread.index = row.at("index").get<int>();
  thread.host = row.value("host", "");
  thread.has_counters = row.at("has_counters").get<bool>();
  const Json& counters = row.at("counters");
  thread.counters.tid = counters.at("tid").get<int>();
  thread.counters.cpus_seen = counters.at("cpus_seen").get<std::vector<int>>();
  for (const auto& [name, field] : kCounterFields) thread.counters.*field = counters.at(name).get<uint64_t>();
  for (const auto& [name, field] : kOptionalCounterFields) {
    if (counters.contains(name)) thread.counters.*field = counters.at(name).get<uint64_t>();
  }
  if (const Json& os = row.at("os"); !os.is_null()) {
    thread.os = OsThreadStats{os.at("tid").get<int>(),
                              os.at("cpu_user_s").get<double>(),
                              os.at("cpu_sys_s").get<double>(),
                              os.at("ctx_voluntary").get<uint64_t>(),
                              os.at("ctx_involuntary").get<uint64_t>(),
                              os.at("migrations").get<uint64_t>(),
                              os.at("migrations_known").get<bool>(),
                              os.at("last_cpu").get<int>()};
  }
  return thread;
}

Json observations_json(const std::vector<ThreadObservation>& threads) {
  Json rows = Json::array();
  for (const auto& thread : threads) rows.push_back(observation_json(thread));
  return rows;
}

std::vector<ThreadObservation> observations_from(const Json& rows) {
  std::vector<ThreadObservation> threads;
  for (const auto& row : rows) threads.push_back(observation_from(row));
  return threads;
}

Json connections_json(const std::vector<ConnectionBytes>& connections) {
  Json rows = Json::array();
  for (const auto& c : connections) rows.push_back({c.index, c.client_thread, c.bytes});
  return rows;
}

std::vector<ConnectionBytes> connections_from(const Json& rows) {
  std::vector<ConnectionBytes> connections;
  for (const auto& row : rows) {
    connections.push_back({row.at(0).get<int>(), row.at(1).get<int>(), row.at(2).get<uint64_t>()});
  }
  return connections;
}

Json requests_json(const std::optional<RequestTotals>& requests) {
  if (!requests) return nullptr;
  Json out;
  for (const auto& [name, field] : kRequestCounts) out[name] = (*requests).*field;
  for (const auto& [name, field] : kRequestHistograms) out[name] = ((*requests).*field).to_json();
  return out;
}

std::optional<RequestTotals> requests_from(const Json& json) {
  if (json.is_null()) return std::nullopt;
  RequestTotals requests;
  // A field an older echolab did not send reads as zero / empty.
  for (const auto& [name, field] : kRequestCounts) requests.*field = json.value(name, uint64_t{0});
  for (const auto& [name, field] : kRequestHistograms) {
    if (json.contains(name)) requests.*field = LatencyHistogram::from_json(json.at(name));
  }
  return requests;
}

template <typename T>
void add_optional(std::optional<T>& sum, const std::optional<T>& part) {
  if (part) sum = sum.value_or(T{}) + *part;
}

void add_memory(std::optional<MemoryStats>& sum, const std::optional<MemoryStats>& part) {
  if (!part) return;
  if (!sum) sum = MemoryStats{};
  sum->rss_kb += part->rss_kb;
  sum->hwm_kb += part->hwm_kb;
}

// Most client threads of any connection in `connections`, plus one.
int client_threads_in(const std::vector<ConnectionBytes>& connections) {
  int threads = 0;
  for (const auto& c : connections) threads = std::max(threads, c.client_thread + 1);
  return threads;
}

}  // namespace

Json window_to_json(const WindowMeasurement& w) {
  return {{"server_start", observations_json(w.server_start)},
          {"server_end", observations_json(w.server_end)},
          {"client_start", observations_json(w.client_start)},
          {"client_end", observations_json(w.client_end)},
          {"window_s", w.window_s},
          {"echoed_bytes", w.echoed_bytes},
          {"message_bytes", w.message_bytes},
          {"interval_mb_s", w.interval_mb_s},
          {"interval_ms", w.interval_ms},
          {"connections_start", connections_json(w.connections_start)},
          {"connections_end", connections_json(w.connections_end)},
          {"steal_s", optional_json(w.steal_s)},
          {"machine_busy_s", optional_json(w.machine_busy_s)},
          {"cpu_mhz", optional_json(w.cpu_mhz)},
          {"placement_pus", w.placement_pus},
          {"requests", requests_json(w.requests)},
          {"offered_requests_per_s", w.offered_requests_per_s},
          {"connections", w.connections},
          {"connect_s", w.connect_s},
          {"memory_base", memory_json(w.memory_base)},
          {"memory_end", memory_json(w.memory_end)},
          {"server_memory_base", memory_json(w.server_memory_base)},
          {"server_memory_end", memory_json(w.server_memory_end)},
          {"server_process_cpu_start", optional_json(w.server_process_cpu_start)},
          {"server_process_cpu_end", optional_json(w.server_process_cpu_end)}};
}

WindowMeasurement window_from_json(const Json& json) {
  try {
    WindowMeasurement w;
    w.server_start = observations_from(json.at("server_start"));
    w.server_end = observations_from(json.at("server_end"));
    w.client_start = observations_from(json.at("client_start"));
    w.client_end = observations_from(json.at("client_end"));
    w.window_s = json.at("window_s").get<double>();
    w.echoed_bytes = json.at("echoed_bytes").get<uint64_t>();
    w.message_bytes = json.at("message_bytes").get<size_t>();
    w.interval_mb_s = json.at("interval_mb_s").get<std::vector<double>>();
    w.interval_ms = json.at("interval_ms").get<int>();
    w.connections_start = connections_from(json.at("connections_start"));
    w.connections_end = connections_from(json.at("connections_end"));
    w.steal_s = optional_from<double>(json, "steal_s");
    w.machine_busy_s = optional_from<double>(json, "machine_busy_s");
    w.cpu_mhz = optional_from<double>(json, "cpu_mhz");
    w.placement_pus = json.at("placement_pus").get<int>();
    w.requests = requests_from(json.at("requests"));
    w.offered_requests_per_s = json.at("offered_requests_per_s").get<double>();
    w.connections = json.at("connections").get<int>();
    w.connect_s = json.at("connect_s").get<double>();
    w.memory_base = memory_from(json, "memory_base");
    w.memory_end = memory_from(json, "memory_end");
    w.server_memory_base = memory_from(json, "server_memory_base");
    w.server_memory_end = memory_from(json, "server_memory_end");
    w.server_process_cpu_start = optional_from<double>(json, "server_process_cpu_start");
    w.server_process_cpu_end = optional_from<double>(json, "server_process_cpu_end");
    return w;
  } catch (const Json::exception& error) {
    throw std::invalid_argument(std::string("measurement window: ") + error.what());
  }
}

void merge_window(WindowMeasurement& whole, const WindowMeasurement& part, bool new_machine) {
  auto append = [](std::vector<ThreadObservation>& to, const std::vector<ThreadObservation>& from) {
    to.insert(to.end(), from.begin(), from.end());
  };
  append(whole.server_start, part.server_start);
  append(whole.server_end, part.server_end);
  if (!part.client_end.empty()) {
    // Indices continue after the parts already merged, so each connection
    // and client thread keeps a row of its own (two load processes on one
    // host are told apart too).
    const int first_connection = static_cast<int>(whole.connections_end.size());
    const int first_thread =
        std::max(client_threads_in(whole.connections_end), static_cast<int>(whole.client_end.size()));
    for (auto [from, to] :
         {std::pair{&part.client_start, &whole.client_start}, std::pair{&part.client_end, &whole.client_end}}) {
      for (ThreadObservation thread : *from) {
        thread.index += first_thread;
        to->push_back(std::move(thread));
      }
    }
    for (auto [from, to] : {std::pair{&part.connections_start, &whole.connections_start},
                            std::pair{&part.connections_end, &whole.connections_end}}) {
      for (ConnectionBytes c : *from) {
        c.index += first_connection;
        c.client_thread += first_thread;
        to->push_back(c);
      }
    }
    whole.echoed_bytes += part.echoed_bytes;
    whole.connections += part.connections;
    whole.connect_s = std::max(whole.connect_s, part.connect_s);
    whole.offered_requests_per_s += part.offered_requests_per_s;
    if (whole.window_s == 0) whole.window_s = part.window_s;
    if (whole.message_bytes == 0) whole.message_bytes = part.message_bytes;
    if (whole.interval_ms == 0) whole.interval_ms = part.interval_ms;
    if (whole.interval_mb_s.empty()) {
      whole.interval_mb_s = part.interval_mb_s;
    } else {
      whole.interval_mb_s.resize(std::min(whole.interval_mb_s.size(), part.interval_mb_s.size()));
      for (size_t i = 0; i < whole.interval_mb_s.size(); ++i) whole.interval_mb_s[i] += part.interval_mb_s[i];
    }
    if (part.requests) {
      if (!whole.requests) whole.requests = RequestTotals{};
      for (const auto& [name, field] : kRequestCounts) (*whole.requests).*field += (*part.requests).*field;
      for (const auto& [name, field] : kRequestHistograms) ((*whole.requests).*field).merge((*part.requests).*field);
    }
    add_memory(whole.memory_base, part.memory_base);
    add_memory(whole.memory_end, part.memory_end);
  }
  add_memory(whole.server_memory_base, part.server_memory_base);
  add_memory(whole.server_memory_end, part.server_memory_end);
  add_optional(whole.server_process_cpu_start, part.server_process_cpu_start);
  add_optional(whole.server_process_cpu_end, part.server_process_cpu_end);
  whole.placement_pus += part.placement_pus;
  if (new_machine) {
    add_optional(whole.steal_s, part.steal_s);
    add_optional(whole.machine_busy_s, part.machine_busy_s);
    // The server host's frequency is the one that bears on the server's
    // figures; a client host's stands in until the server's part is merged.
    if (part.cpu_mhz && (!part.server_end.empty() || !whole.cpu_mhz)) whole.cpu_mhz = part.cpu_mhz;
  }
}

}  // namespace echolab
