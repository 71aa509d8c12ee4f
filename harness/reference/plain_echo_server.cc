// A plain epoll echo server, the yardstick for echolab's single_thread with
// server.wait spin (experiments/implementation-speed.sh): one thread, one
// epoll instance, level-triggered, no classes, no counters. It never sleeps:
// epoll_wait with a zero timeout, and a write that meets EAGAIN is retried at
// once until the echo is out ("spins on EAGAIN"). With `block` it sleeps in
// epoll_wait instead (the write still spins). Bound to 127.0.0.1.
//
// usage: plain_echo_server PORT [spin|block] [READ_BUFFER_BYTES]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

// Writes all of [data, data + length) to a non-blocking socket, retrying on
// EAGAIN without waiting; false when the peer is gone.
bool write_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t n = send(fd, data, length, MSG_NOSIGNAL);
    if (n > 0) {
      data += n;
      length -= static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      continue;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s PORT [spin|block] [READ_BUFFER_BYTES]\n", argv[0]);
    return 2;
  }
  const int port = std::atoi(argv[1]);
  const bool spin = argc < 3 || std::strcmp(argv[2], "block") != 0;
  const size_t buffer_bytes = argc == 4 ? std::strtoul(argv[3], nullptr, 10) : 65536;
  if (port <= 0 || port > 65535 || buffer_bytes == 0 || (argc >= 3 && !spin && std::strcmp(argv[2], "block") != 0)) {
    std::fprintf(stderr, "plain_echo_server: bad argument (usage: PORT [spin|block] [READ_BUFFER_BYTES])\n");
    return 2;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener, 1024) != 0) {
    std::perror("plain_echo_server: bind/listen");
    return 1;
  }
  int epoll = epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener;
  epoll_ctl(epoll, EPOLL_CTL_ADD, listener, &event);

  std::vector<char> buffer(buffer_bytes);
  epoll_event ready[256];
  while (!g_stop) {
    int n = epoll_wait(epoll, ready, 256, spin ? 0 : -1);
    for (int i = 0; i < n; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == listener) {
        int connection;
        while ((connection = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
          event.events = EPOLLIN;
          event.data.fd = connection;
          epoll_ctl(epoll, EPOLL_CTL_ADD, connection, &event);
        }
        continue;
      }
      bool open = true;
      for (;;) {  // read until EAGAIN, echoing each read
        ssize_t got = recv(fd, buffer.data(), buffer.size(), 0);
        if (got > 0) {
          if (!write_all(fd, buffer.data(), static_cast<size_t>(got))) {
            open = false;
            break;
          }
        } else if (got < 0 && errno == EAGAIN) {
          break;
        } else if (got < 0 && errno == EINTR) {
          continue;
        } else {
          open = false;
          break;
        }
      }
      if (!open) close(fd);  // closing removes it from the epoll set
    }
  }
  return 0;
}
