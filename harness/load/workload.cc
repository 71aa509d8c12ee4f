#include "harness/load/workload.h"

#include <arpa/inet.h>

#include <fstream>

namespace echolab {
namespace {

// Ports in net.ipv4.ip_local_port_range (Linux's default if unreadable).
int ephemeral_ports() {
  static const int ports = [] {
    int low = 32768, high = 60999;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low >> high;
    return high >= low ? high - low + 1 : 28232;
  }();
  return ports;
}

// 127.0.0.(2 + offset) when `target` is IPv4 loopback, port chosen at connect.
std::optional<SocketAddress> loopback_source(const SocketAddress& target, uint32_t offset) {
  if (target.family() != AF_INET) return std::nullopt;
  const auto* v4 = reinterpret_cast<const sockaddr_in*>(&target.storage);
  if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) return std::nullopt;
  SocketAddress source = target;
  auto* out = reinterpret_cast<sockaddr_in*>(&source.storage);
  out->sin_port = 0;
  out->sin_addr.s_addr = htonl((127u << 24) + 2u + offset);
  return source;
}

}  // namespace

RequestTotals RequestTotals::of(const RequestRecorder& recorder) {
  RequestTotals totals;
  totals.latency = recorder.latency.snapshot();
  totals.connect = recorder.connect.snapshot();
  totals.send_lag = recorder.send_lag.snapshot();
  totals.uncorrected = recorder.uncorrected.snapshot();
  totals.unanswered_age = recorder.unanswered_age.snapshot();
  totals.completed = recorder.completed.load(std::memory_order_relaxed);
  totals.connects = recorder.connects.load(std::memory_order_relaxed);
  totals.scheduled = recorder.scheduled.load(std::memory_order_relaxed);
  totals.behind_schedule = recorder.behind_schedule.load(std::memory_order_relaxed);
  totals.not_sent = recorder.not_sent.load(std::memory_order_relaxed);
  totals.unanswered = recorder.unanswered.load(std::memory_order_relaxed);
  return totals;
}

void RequestTotals::add(const RequestRecorder& recorder) { add_totals(of(recorder)); }

void RequestTotals::add_totals(const RequestTotals& other) {
  latency.merge(other.latency);
  connect.merge(other.connect);
  send_lag.merge(other.send_lag);
  uncorrected.merge(other.uncorrected);
  unanswered_age.merge(other.unanswered_age);
  completed += other.completed;
  connects += other.connects;
  scheduled += other.scheduled;
  behind_schedule += other.behind_schedule;
  not_sent += other.not_sent;
  unanswered += other.unanswered;
}

RequestTotals RequestTotals::minus(const RequestTotals& earlier) const {
  RequestTotals out;
  out.latency = latency.minus(earlier.latency);
  out.connect = connect.minus(earlier.connect);
  out.send_lag = send_lag.minus(earlier.send_lag);
  out.uncorrected = uncorrected.minus(earlier.uncorrected);
  out.unanswered_age = unanswered_age.minus(earlier.unanswered_age);
  out.completed = completed - earlier.completed;
  out.connects = connects - earlier.connects;
  out.scheduled = scheduled - earlier.scheduled;
  out.behind_schedule = behind_schedule - earlier.behind_schedule;
  out.not_sent = not_sent - earlier.not_sent;
  out.unanswered = unanswered - earlier.unanswered;
  return out;
}

std::optional<SocketAddress> source_address_for(const SocketAddress& target, int index, int connections) {
  const int per_address = ephemeral_ports() / 2;
  if (connections <= per_address) return std::nullopt;
  return loopback_source(target, static_cast<uint32_t>(index / per_address));
}

std::optional<SocketAddress> rotating_source_address(const SocketAddress& target, uint64_t n) {
  return loopback_source(target, static_cast<uint32_t>(n % 64));
}

}  // namespace echolab
