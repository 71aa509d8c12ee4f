#include <cerrno>
#include <cstring>
#include <system_error>

#include "harness/load/request_socket.h"

namespace echolab {
namespace {

/// crr (neper's tcp_crr): one connection slot that connects, sends one
/// request, reads its echo, closes and starts again. A request's latency
/// runs from the connect() call to its echo (the first request, on the
/// socket the client connected before the window, from its send); connect
/// latency from connect() to writable. Client thread only.
class ConnectPerRequest : public RequestSocket {
 public:
  using RequestSocket::RequestSocket;

  void start() override {
    register_socket();
    started_ns_ = now_if_timing();
    send_request();
  }

  void on_events(uint32_t events) override {
    if (!fd_) return;
    if (connecting_) {
      if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
      try {
        check_connected(fd_.get(), context_.config.target);
      } catch (const std::system_error& error) {
        fail(error.what());
        return;
      }
      connecting_ = false;
      bump(recorder_.connects);
      if (timing_) recorder_.connect.record(monotonic_ns() - started_ns_);
      send_request();
      return;
    }
    handle_events(events);
  }

 protected:
  void on_response(uint64_t, uint64_t) override {
    // The old socket is done (whatever the server does with it next); the
    // next connect starts after this event batch.
    stop_reading(true);
    context_.loop.defer([this] { reconnect(); });
  }

 private:
  void reconnect() {
    if (!fd_ || context_.loop.stop_requested()) return;
    stop_reading(false);
    // Our close comes first, so TIME_WAIT is on the client side: rotating
    // source addresses keep a 4-tuple free for every connect.
    bump(context_.counters.closed);
    started_ns_ = timing_ ? monotonic_ns() : 0;
    const auto source = rotating_source_address(context_.config.target, static_cast<uint64_t>(index_) + reconnects_++);
    try {
      replace_socket(start_connect(context_.config.target, source ? &*source : nullptr));
    } catch (const std::system_error& error) {
      fail(error.what());
      return;
    }
    bump(context_.counters.accepted);
    connecting_ = true;
    register_socket();
  }

  void register_socket() { context_.loop.add(fd_.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, this); }

  void send_request() {
    queue_request(started_ns_);
    flush();
  }

  bool connecting_ = false;
  uint64_t reconnects_ = 0;
  uint64_t started_ns_ = 0;
};

}  // namespace

std::unique_ptr<WorkloadConnection> connect_crr(UniqueFd fd, int index, ClientThreadContext& context) {
  return std::make_unique<ConnectPerRequest>(std::move(fd), index, context);
}

}  // namespace echolab
