// A plain blocking echo client to check that `echolab load` is not the
// bottleneck: per connection one writer thread sends message_bytes in a
// loop and one reader thread reads the echoes; no event loop, no in-flight
// cap (the kernel's socket buffers are the only limit). Prints the echoed
// MB/s (one direction, MB = 10^6 bytes) over the measured window.
//
// usage: plain_echo_client HOST:PORT CONNECTIONS MESSAGE_BYTES WARMUP_S DURATION_S CPU
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "core/socket_util.h"

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fprintf(stderr, "usage: %s HOST:PORT CONNECTIONS MESSAGE_BYTES WARMUP_S DURATION_S CPU\n", argv[0]);
    return 2;
  }
  using namespace echolab;
  ignore_sigpipe();
  const auto target = SocketAddress::parse(argv[1]);
  const int connections = std::stoi(argv[2]);
  const size_t message_bytes = std::stoul(argv[3]);
  const double warmup_s = std::stod(argv[4]), duration_s = std::stod(argv[5]);
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(std::stoi(argv[6]), &cpus);
  sched_setaffinity(0, sizeof cpus, &cpus);  // every thread created below inherits it

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> received{0};
  std::vector<UniqueFd> sockets;
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    sockets.push_back(connect_tcp(target));
    set_nonblocking(sockets.back().get(), false);
    int fd = sockets.back().get();
    threads.emplace_back([fd, message_bytes, &stop] {
      std::vector<char> message(message_bytes, 'x');
      while (!stop.load(std::memory_order_relaxed)) {
        if (::send(fd, message.data(), message.size(), MSG_NOSIGNAL) <= 0) return;
      }
    });
    threads.emplace_back([fd, &stop, &received] {
      std::vector<char> buffer(256 * 1024);
      while (!stop.load(std::memory_order_relaxed)) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n <= 0) return;
        received.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(warmup_s));
  const uint64_t start_bytes = received.load();
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(duration_s));
  const uint64_t bytes = received.load() - start_bytes;
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%.1f\n", static_cast<double>(bytes) / seconds / 1e6);
  std::fflush(stdout);
  stop = true;
  for (auto& fd : sockets) ::shutdown(fd.get(), SHUT_RDWR);
  for (auto& thread : threads) thread.join();
  return 0;
}
