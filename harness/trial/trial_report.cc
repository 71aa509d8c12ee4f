#include "harness/trial/trial_report.h"

#include <cstdio>
#include <string>

#include "models/registry.h"

namespace echolab {
namespace {

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

double number(const Json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string cpu_text(const Json& list) {
  std::string out;
  for (const auto& cpu : list) out += (out.empty() ? "" : ",") + std::to_string(cpu.get<int>());
  return out.empty() ? "-" : out;
}

// The figure with `decimals`, or "n/a" where it is null (unknown: an
// external server's counters, a latency without requests), never 0.
std::string or_na(const Json& m, const char* key, int decimals) {
  auto it = m.find(key);
  return it != m.end() && it->is_number() ? fixed(it->get<double>(), decimals) : "n/a";
}

std::string micros(const Json& m, const char* key) { return or_na(m, key, 1); }

void print_requests(std::ostream& out, const Json& m) {
  out << "requests " << fixed(number(m, "requests_per_s"), 0) << "/s";
  if (m.contains("offered_requests_per_s")) {
    out << " of " << fixed(number(m, "offered_requests_per_s"), 0) << " offered, "
        << m.at("requests_behind_schedule").dump() << " behind schedule";
  }
  if (m.contains("connects_per_s")) {
    out << "  connects " << fixed(number(m, "connects_per_s"), 0) << "/s (p50 " << micros(m, "connect_us_p50")
        << " us, p99 " << micros(m, "connect_us_p99") << " us)";
  }
  out << "\nlatency us  p50 " << micros(m, "latency_us_p50") << "  p90 " << micros(m, "latency_us_p90") << "  p99 "
      << micros(m, "latency_us_p99") << "  p99.9 " << micros(m, "latency_us_p999") << "  p99.99 "
      << micros(m, "latency_us_p9999") << "  max " << micros(m, "latency_us_max") << "  mean "
      << micros(m, "latency_us_mean") << "\n";
}

}  // namespace

void print_placement(std::ostream& out, const Json& placement) {
  for (const auto& thread : placement.at("threads")) {
    out << "  " << thread.at("role").get<std::string>() << "#" << thread.at("index").get<int>() << "  planned "
        << cpu_text(thread.at("planned"));
    if (!thread.at("observed").empty()) out << "  observed " << cpu_text(thread.at("observed"));
    out << "\n";
  }
  for (const auto& warning : placement.at("warnings")) out << "  warning: " << warning.get<std::string>() << "\n";
}

void print_trial_table(std::ostream& out, const Json& result) {
  const Json& config = result.at("config");
  const Json& server = config.at("server");
  const Json& load = config.at("load");
  const std::string model = server.at("model").get<std::string>();
  const ModelInfo* info = find_model(model);
  out << "model " << model;
  if (model == "external") {
    // Its own code decides threads, triggers and buffers: none of ours apply.
    std::string command;
    for (const auto& arg : server.value("command", Json::array()))
      command += (command.empty() ? "" : " ") + arg.get<std::string>();
    out << "  command " << command;
  } else {
    out << "  threads " << server.at("threads").get<int>();
    if (info && info->epoll_axes) {
      out << "  trigger " << server.at("trigger").get<std::string>() << "  read "
          << server.at("read").get<std::string>() << "  write_interest "
          << server.at("write_interest").get<std::string>();
    }
    out << "  read_buffer " << server.at("read_buffer").get<long long>();
    if (server.value("process", "in_process") == "separate") out << "  process separate";
  }
  out << "\n";
  out << "load  " << load.at("connections").get<int>() << " connections on " << load.at("threads").get<int>()
      << " thread(s), " << load.at("message_bytes").get<long long>() << "-byte messages, workload "
      << load.at("workload").get<std::string>() << "\n";
  out << "status " << result.at("status").get<std::string>();
  if (!result.at("error").get<std::string>().empty()) out << ": " << result.at("error").get<std::string>();
  out << "\n";
  if (result.contains("warning")) out << "warning: " << result.at("warning").get<std::string>() << "\n";
  const Json& m = result.at("metrics");
  if (m.empty()) return;
  out << "throughput " << fixed(number(m, "throughput_mb_s"), 1) << " MB/s  (" << fixed(number(m, "msgs_per_s"), 0)
      << " msgs/s)  interval CV " << fixed(number(m, "interval_cv"), 3) << "\n";
  if (m.contains("requests_per_s")) print_requests(out, m);
  if (m.contains("server_cpu_s")) {
    out << "server CPU " << fixed(number(m, "server_cpu_s"), 2) << " s (" << fixed(number(m, "server_cpu_per_gb"), 2)
        << " s/GB)  client CPU " << fixed(number(m, "client_cpu_s"), 2) << " s  ctx switches vol "
        << m.at("ctx_switches_voluntary").dump() << " invol " << m.at("ctx_switches_involuntary").dump()
        << "  migrations " << m.at("migrations").dump() << "  spurious wake-ups " << or_na(m, "spurious_wakeups", 0)
        << "  fairness " << or_na(m, "fairness_jain", 3) << "\n";
  } else {
    out << "client CPU " << fixed(number(m, "client_cpu_s"), 2) << " s\n";
  }
  if (number(m, "server_zerocopy_sends") > 0 || number(m, "server_zerocopy_refused") > 0) {
    out << "zero-copy sends " << m.at("server_zerocopy_sends").dump() << "  copied by the kernel "
        << m.at("server_zerocopy_copied").dump() << " (share " << or_na(m, "server_zerocopy_copied_share", 3)
        << ")  refused (ENOBUFS) " << m.at("server_zerocopy_refused").dump() << "\n";
  }
  char line[200];
  std::snprintf(line, sizeof line, "%-10s %3s %-8s %6s %12s %10s %8s %8s %8s %8s\n", "role", "idx", "cpus", "conns",
                "MB", "wakeups", "user_s", "sys_s", "vol", "invol");
  out << line;
  for (const auto& t : m.at("threads")) {
    std::snprintf(line, sizeof line, "%-10s %3d %-8s %6lld %12.1f %10lld %8.2f %8.2f %8lld %8lld\n",
                  t.at("role").get<std::string>().c_str(), t.at("index").get<int>(),
                  cpu_text(t.at("cpus_observed")).c_str(), static_cast<long long>(number(t, "connections")),
                  number(t, "bytes") / 1e6, static_cast<long long>(number(t, "wakeups")), number(t, "cpu_user_s"),
                  number(t, "cpu_sys_s"), static_cast<long long>(number(t, "ctx_voluntary")),
                  static_cast<long long>(number(t, "ctx_involuntary")));
    out << line;
  }
}

}  // namespace echolab
