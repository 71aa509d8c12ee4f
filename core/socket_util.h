#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "core/unique_fd.h"

namespace echolab {

/// A resolved IPv4/IPv6 socket address; a plain value, any thread.
struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  /// Parses "HOST:PORT", "[V6]:PORT" or (with default_port) a bare host.
  /// Numeric addresses and "localhost" only; throws std::invalid_argument.
  static SocketAddress parse(const std::string& text, int default_port = -1);
  static SocketAddress from_host_port(const std::string& host, int port);
  int port() const;
  std::string to_string() const;
  int family() const { return storage.ss_family; }
};

/// How listen_tcp() sets up a listening socket; a plain value.
struct ListenOptions {
  int backlog = 1024;
  bool reuse_port = false;
  bool nonblocking = true;
};

/// Creates a bound, listening TCP socket with SO_REUSEADDR; throws
/// std::system_error naming the address on failure (e.g. port in use).
UniqueFd listen_tcp(const SocketAddress& address, const ListenOptions& options);
/// Connects within timeout_ms; returns a non-blocking socket. Throws
/// std::system_error naming the address (refused, unreachable, timed out).
UniqueFd connect_tcp(const SocketAddress& address, int timeout_ms = 5000, const SocketAddress* source = nullptr);
/// A non-blocking socket whose connect() to `address` has begun, bound to
/// `source` first if given (its port chosen at connect time, so many
/// connections may share one source address). Throws std::system_error
/// naming the address unless the connect is under way or done.
UniqueFd start_connect(const SocketAddress& address, const SocketAddress* source = nullptr);
/// After a started connect reported writable: throws std::system_error
/// naming the address if it failed (refused, unreachable).
void check_connected(int fd, const SocketAddress& address);
/// The address a socket is bound to (after port 0 was chosen).
SocketAddress local_address(int fd);

void set_nonblocking(int fd, bool on);
void set_nodelay(int fd, bool on);
/// A blocking recv() on `fd` returns EAGAIN after `ms` without data (SO_RCVTIMEO).
void set_receive_timeout(int fd, int ms);
/// SIGPIPE is ignored process-wide once; sends also use MSG_NOSIGNAL.
void ignore_sigpipe();
/// Whether `host` (an address or "localhost") names this machine's loopback:
/// 127.0.0.0/8, ::1 or localhost.
bool is_loopback_address(const std::string& host);
/// Makes close() send an RST instead of a FIN (SO_LINGER 0): tests, and
/// zero-copy connections closing with sends in flight.
void set_linger_reset(int fd);
/// The socket's pending error (SO_ERROR, which this clears), 0 if none.
int take_socket_error(int fd);

}  // namespace echolab
