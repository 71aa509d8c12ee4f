// A plain blocking ping-pong client, the yardstick for `echolab load
// --workload rr` (as plain_echo_client is for `stream`): one connection, one
// thread, blocking send() of MESSAGE_BYTES, blocking read() until the whole
// echo is back, one clock read per round trip; no event loop, no framing
// checks. Prints "requests_per_s p50_us p99_us" over the measured window
// (percentiles exact, from every round trip, sorted).
//
// usage: plain_ping_pong HOST:PORT MESSAGE_BYTES WARMUP_S DURATION_S CPU
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "core/monotonic_clock.h"
#include "core/socket_util.h"

namespace {

bool round_trip(int fd, const std::vector<char>& message, std::vector<char>& echo) {
  if (::send(fd, message.data(), message.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(message.size())) return false;
  size_t got = 0;
  while (got < echo.size()) {
    ssize_t n = ::read(fd, echo.data() + got, echo.size() - got);
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: %s HOST:PORT MESSAGE_BYTES WARMUP_S DURATION_S CPU\n", argv[0]);
    return 2;
  }
  using namespace echolab;
  ignore_sigpipe();
  const auto target = SocketAddress::parse(argv[1]);
  const size_t message_bytes = std::stoul(argv[2]);
  const auto warmup_ns = static_cast<uint64_t>(std::stod(argv[3]) * 1e9);
  const auto duration_ns = static_cast<uint64_t>(std::stod(argv[4]) * 1e9);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(std::stoi(argv[5]), &cpus);
  sched_setaffinity(0, sizeof cpus, &cpus);

  UniqueFd socket = connect_tcp(target);
  set_nonblocking(socket.get(), false);
  set_nodelay(socket.get(), true);
  std::vector<char> message(message_bytes, 'x'), echo(message_bytes);
  std::vector<uint64_t> latencies;
  latencies.reserve(1 << 20);
  const uint64_t start = monotonic_ns() + warmup_ns, end = start + duration_ns;
  uint64_t sent = monotonic_ns();
  for (;;) {
    if (!round_trip(socket.get(), message, echo)) {
      std::fprintf(stderr, "plain_ping_pong: the connection to %s failed\n", argv[1]);
      return 1;
    }
    const uint64_t now = monotonic_ns();
    if (now >= end) break;
    if (sent >= start) latencies.push_back(now - sent);
    sent = now;
  }
  if (latencies.empty()) return 1;
  std::sort(latencies.begin(), latencies.end());
  auto at = [&](double q) { return static_cast<double>(latencies[static_cast<size_t>(q * (latencies.size() - 1))]); };
  std::printf("%.1f %.2f %.2f\n", static_cast<double>(latencies.size()) / (static_cast<double>(duration_ns) / 1e9),
              at(0.5) / 1000.0, at(0.99) / 1000.0);
  return 0;
}
