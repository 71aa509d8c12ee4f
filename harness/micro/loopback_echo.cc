// Loopback TCP echo of 4 KiB: the benchmark thread writes 4 KiB on one
// connection and reads it back; the partner thread, placed on the other PU,
// reads and writes it (blocking sockets, no epoll): the floor under every
// echo model.
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <system_error>
#include <vector>

#include "core/listener.h"
#include "core/socket_util.h"
#include "core/unique_fd.h"
#include "harness/micro/micro_benchmarks.h"
#include "harness/micro/placed_threads.h"

namespace echolab::micro {
namespace {

constexpr size_t kMessageBytes = 4096;

/// Reads exactly `size` bytes from a blocking socket; false on EOF.
bool read_exactly(int fd, char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    const ssize_t n = ::read(fd, data + done, size - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
    } else if (n == 0) {
      return false;
    } else if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "read");
    }
  }
  return true;
}

void write_all(int fd, const char* data, size_t size) {
  for (size_t done = 0; done < size;) {
    const ssize_t n = ::send(fd, data + done, size - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      throw std::system_error(errno, std::generic_category(), "send");
    }
  }
}

/// Owns both ends of one loopback TCP connection, blocking, TCP_NODELAY;
/// each end is then used by one thread.
struct LoopbackConnection {
  UniqueFd client, server;

  LoopbackConnection() {
    UniqueFd listener = listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), {1, false, false});
    client = connect_tcp(local_address(listener.get()));
    server = accept_nonblocking(listener.get());  // a blocking listener: waits
    for (int fd : {client.get(), server.get()}) {
      set_nonblocking(fd, false);
      set_nodelay(fd, true);
    }
  }
};

void loopback_echo(benchmark::State& state, const Placement& placement) {
  LoopbackConnection connection;
  PlacedPair pair(
      placement,
      [&] {
        std::vector<char> buffer(kMessageBytes);
        while (read_exactly(connection.server.get(), buffer.data(), buffer.size())) {
          write_all(connection.server.get(), buffer.data(), buffer.size());
        }
      },
      [&] { ::shutdown(connection.client.get(), SHUT_WR); });  // the partner reads EOF
  std::vector<char> message(kMessageBytes, 'x'), echoed(kMessageBytes);
  MeasuredTime time;
  for (auto _ : state) {
    write_all(connection.client.get(), message.data(), message.size());
    if (!read_exactly(connection.client.get(), echoed.data(), echoed.size())) {
      throw std::system_error(ECONNRESET, std::generic_category(), "echo connection closed");
    }
  }
  report_per_op(state, "roundtrip", time);
  // Bytes echoed back per second, one direction, MB = 10^6 bytes (as
  // throughput_mb_s in trial results).
  state.counters["echo_mb_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kMessageBytes / 1e6, benchmark::Counter::kIsRate);
}

}  // namespace

void register_loopback_benchmarks(const std::vector<Placement>& placements) {
  register_per_pair(placements, "BM_Loopback4KiB", loopback_echo, IterationTime::kReal);
}

}  // namespace echolab::micro
