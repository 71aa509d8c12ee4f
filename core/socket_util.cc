#include "core/socket_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace echolab {
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

SocketAddress SocketAddress::from_host_port(const std::string& host_in, int port) {
  if (port < 0 || port > 65535) {
    throw std::invalid_argument("port " + std::to_string(port) + " out of range 0-65535");
  }
  std::string host = host_in == "localhost" ? "127.0.0.1" : host_in;
  SocketAddress result;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&result.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&result.storage);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    result.length = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    result.length = sizeof(sockaddr_in6);
  } else {
    throw std::invalid_argument("'" + host_in + "' is not a numeric IPv4/IPv6 address");
  }
  return result;
}

SocketAddress SocketAddress::parse(const std::string& text, int default_port) {
  std::string host;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos) throw std::invalid_argument("'" + text + "': missing ']'");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') throw std::invalid_argument("'" + text + "': expected ':' after ']'");
      port_text = text.substr(close + 2);
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string::npos && text.find(':') == colon) {
      host = text.substr(0, colon);
      port_text = text.substr(colon + 1);
    } else {
      host = text;
    }
  }
  int port = default_port;
  if (!port_text.empty()) {
    size_t used = 0;
    try {
      port = std::stoi(port_text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != port_text.size())
      throw std::invalid_argument("'" + text + "': port '" + port_text + "' is not a number");
  }
  if (port < 0) throw std::invalid_argument("'" + text + "': expected HOST:PORT");
  return from_host_port(host, port);
}

int SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

std::string SocketAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family() == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(port());
  }
  inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(port());
}

UniqueFd listen_tcp(const SocketAddress& address, const ListenOptions& options) {
  int type = SOCK_STREAM | SOCK_CLOEXEC | (options.nonblocking ? SOCK_NONBLOCK : 0);
  UniqueFd fd(::socket(address.family(), type, 0));
  if (!fd) throw_errno("socket");
  int one = 1;
  if (setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) throw_errno("SO_REUSEADDR");
  if (options.reuse_port && setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    throw_errno("SO_REUSEPORT");
  }
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) != 0) {
    throw_errno("bind " + address.to_string());
  }
  if (::listen(fd.get(), options.backlog) != 0) throw_errno("listen " + address.to_string());
  return fd;
}

UniqueFd start_connect(const SocketAddress& address, const SocketAddress* source) {
  UniqueFd fd(::socket(address.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) throw_errno("socket");
  if (source) {
    int one = 1;
    setsockopt(fd.get(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&source->storage), source->length) != 0) {
      throw_errno("bind source address " + source->to_string());
    }
  }
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.storage), address.length) == 0) return fd;
  if (errno != EINPROGRESS && errno != EINTR) throw_errno("connect " + address.to_string());
  return fd;
}

void check_connected(int fd, const SocketAddress& address) {
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) throw_errno("connect " + address.to_string());
  if (error != 0) {
    errno = error;
    throw_errno("connect " + address.to_string());
  }
}

UniqueFd connect_tcp(const SocketAddress& address, int timeout_ms, const SocketAddress* source) {
  UniqueFd fd = start_connect(address, source);
  pollfd waiter{fd.get(), POLLOUT, 0};
  int ready;
  do {
    ready = ::poll(&waiter, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready == 0) errno = ETIMEDOUT;
  if (ready <= 0) throw_errno("connect " + address.to_string());
  check_connected(fd.get(), address);
  return fd;
}

SocketAddress local_address(int fd) {
  SocketAddress result;
  result.length = sizeof result.storage;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&result.storage), &result.length) != 0) {
    throw_errno("getsockname");
  }
  return result;
}

void set_nonblocking(int fd, bool on) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) throw_errno("fcntl F_GETFL");
  flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
  if (fcntl(fd, F_SETFL, flags) != 0) throw_errno("fcntl F_SETFL");
}

void set_nodelay(int fd, bool on) {
  int value = on ? 1 : 0;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, sizeof value) != 0) throw_errno("TCP_NODELAY");
}

void set_receive_timeout(int fd, int ms) {
  timeval timeout{ms / 1000, (ms % 1000) * 1000};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) throw_errno("SO_RCVTIMEO");
}

void ignore_sigpipe() { ::signal(SIGPIPE, SIG_IGN); }

bool is_loopback_address(const std::string& host) {
  return host.starts_with("127.") || host == "::1" || host == "localhost";
}

void set_linger_reset(int fd) {
  linger value{1, 0};
  if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &value, sizeof value) != 0) throw_errno("SO_LINGER");
}

int take_socket_error(int fd) {
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) return errno;
  return error;
}

}  // namespace echolab
