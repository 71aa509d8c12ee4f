#include "core/connection.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "core/socket_util.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

/// A Connection on one end of a socketpair (or, for MSG_ZEROCOPY, a
/// loopback TCP pair), driven by the test thread.
class ConnectionHarness {
 public:
  explicit ConnectionHarness(EchoOptions options) : options_(options), scratch_(options.read_buffer) {
    int pair[2];
    if (options.send == SendMode::kZeroCopy) {
      testing::LoopbackTcpPair tcp;
      EXPECT_TRUE(tcp.accepted.valid());
      peer_ = std::move(tcp.client);
      pair[0] = tcp.accepted.release();
    } else {
      EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair), 0);
      peer_.reset(pair[1]);
    }
    connection_ =
        std::make_unique<Connection>(loop_, UniqueFd(pair[0]), options_, [this](Connection*) { closed_ = true; });
    connection_->bind_thread(&counters_, scratch_);
    connection_->start();
  }

  /// Dispatches whatever is ready now (or within timeout_ms); returns the
  /// number of events handled.
  int pump(int timeout_ms = 0) { return loop_.run_once(timeout_ms); }

  /// Writes as much of `data` as the peer socket takes now.
  size_t peer_write(const std::vector<char>& data, size_t from) {
    ssize_t n = ::send(peer_.get(), data.data() + from, data.size() - from, MSG_NOSIGNAL);
    return n > 0 ? static_cast<size_t>(n) : 0;
  }
  void peer_read_available(std::vector<char>& into) {
    char buffer[65536];
    for (;;) {
      ssize_t n = ::read(peer_.get(), buffer, sizeof buffer);
      if (n <= 0) return;
      into.insert(into.end(), buffer, buffer + n);
    }
  }

  Connection& connection() { return *connection_; }
  ThreadCounters& counters() { return counters_; }
  UniqueFd& peer() { return peer_; }
  bool closed() const { return closed_; }

 private:
  EchoOptions options_;
  EventLoop loop_;
  std::vector<char> scratch_;
  ThreadCounters counters_;
  UniqueFd peer_;
  std::unique_ptr<Connection> connection_;
  bool closed_ = false;
};

EchoOptions small_options(Trigger trigger, ReadMode read, WriteInterest interest) {
  EchoOptions options;
  options.trigger = trigger;
  options.read = read;
  options.write_interest = interest;
  options.read_buffer = 4096;
  options.max_pending = 16384;
  return options;
}

/// Every trigger x read x write_interest combination, one Connection each.
class ConnectionModes : public ::testing::TestWithParam<std::tuple<Trigger, ReadMode, WriteInterest>> {};

TEST_P(ConnectionModes, EchoesLargePayloadExactlyThroughPartialWrites) {
  auto [trigger, read, interest] = GetParam();
  EchoOptions options = small_options(trigger, read, interest);
  // Edge + once moves only when new data arrives (legal but starving): it
  // keeps up only when one read takes everything outstanding.
  const auto payload = testing::random_payload(1 << 20, 7);
  if (trigger == Trigger::kEdge && read == ReadMode::kOnce) options.read_buffer = payload.size();
  ConnectionHarness harness(options);
  // A small send buffer on the server side forces partial writes.
  int small = 4096;
  setsockopt(harness.connection().fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  std::vector<char> received;
  size_t sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (received.size() < payload.size() && std::chrono::steady_clock::now() < deadline) {
    if (sent < payload.size()) sent += harness.peer_write(payload, sent);
    harness.pump(1);
    harness.peer_read_available(received);
  }
  ASSERT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
  EXPECT_FALSE(harness.closed());
  EXPECT_EQ(harness.counters().bytes_out.load(), payload.size());
}

INSTANTIATE_TEST_SUITE_P(AllAxes, ConnectionModes,
                         ::testing::Combine(::testing::Values(Trigger::kLevel, Trigger::kEdge),
                                            ::testing::Values(ReadMode::kOnce, ReadMode::kDrain),
                                            ::testing::Values(WriteInterest::kOnDemand, WriteInterest::kAlways)));

/// Copying sends, and MSG_ZEROCOPY (over TCP), whose buffers stay ours
/// until the kernel's completions arrive.
class ConnectionSend : public ::testing::TestWithParam<SendMode> {};

TEST_P(ConnectionSend, StopsReadingWhenPeerNeverReadsAndResumesAfter) {
  EchoOptions options = small_options(Trigger::kEdge, ReadMode::kDrain, WriteInterest::kOnDemand);
  options.send = GetParam();
  ConnectionHarness harness(options);
  if (options.send == SendMode::kZeroCopy) {
    // TCP buffers of a fixed 64 KiB (no autotuning), so what the sockets
    // absorb is small beside the payload.
    const int small = 65536;
    for (int fd : {harness.connection().fd(), harness.peer().get()}) {
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    }
  }
  // Zero-copy may also hold a send buffer's worth (net.ipv4.tcp_wmem's
  // maximum) of chunks in flight.
  const auto payload = testing::random_payload(options.send == SendMode::kZeroCopy ? 12 << 20 : 4 << 20, 11);
  size_t sent = 0;
  // Push until neither side takes more: the server must stop reading.
  for (int idle_rounds = 0; idle_rounds < 50;) {
    size_t wrote = harness.peer_write(payload, sent);
    sent += wrote;
    int events = harness.pump(1);
    idle_rounds = (wrote == 0 && events == 0) ? idle_rounds + 1 : 0;
  }
  EXPECT_LT(sent, payload.size()) << "the server kept reading a peer that never reads";
  EXPECT_LE(harness.connection().pending_bytes(), options.max_pending + options.read_buffer);
  EXPECT_FALSE(harness.closed());
  // The peer starts reading: everything comes back, in order.
  std::vector<char> received;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (received.size() < payload.size() && std::chrono::steady_clock::now() < deadline) {
    harness.peer_read_available(received);
    if (sent < payload.size()) sent += harness.peer_write(payload, sent);
    harness.pump(1);
  }
  ASSERT_EQ(received.size(), payload.size());
  EXPECT_TRUE(received == payload);
  if (options.send == SendMode::kZeroCopy) {
    EXPECT_GT(harness.counters().zerocopy_sends.load(), 0u);
  }
}

TEST_P(ConnectionSend, HalfCloseEchoesTheRestThenCloses) {
  EchoOptions options = small_options(Trigger::kLevel, ReadMode::kOnce, WriteInterest::kOnDemand);
  options.send = GetParam();
  // Zero-copy drains: one pass reads everything and the EOF, so the last
  // echoes are still in flight when the peer's close is seen.
  if (options.send == SendMode::kZeroCopy) options.read = ReadMode::kDrain;
  ConnectionHarness harness(options);
  const auto payload = testing::random_payload(10000, 3);
  size_t sent = 0;
  while (sent < payload.size()) sent += harness.peer_write(payload, sent);
  ASSERT_EQ(::shutdown(harness.peer().get(), SHUT_WR), 0);
  std::vector<char> received;
  EXPECT_TRUE(testing::wait_until([&] {
    harness.pump(1);
    harness.peer_read_available(received);
    return harness.closed();
  }));
  harness.peer_read_available(received);
  EXPECT_TRUE(received == payload);
  EXPECT_EQ(harness.counters().errors.load(), 0u);
  // Zero-copy: closed only after every send's completion arrived.
  EXPECT_EQ(harness.counters().zerocopy_completed.load(), harness.counters().zerocopy_sends.load());
}

INSTANTIATE_TEST_SUITE_P(CopyAndZeroCopy, ConnectionSend, ::testing::Values(SendMode::kCopy, SendMode::kZeroCopy),
                         [](const auto& info) { return info.param == SendMode::kCopy ? "copy" : "zerocopy"; });

TEST(Connection, PeerResetClosesAndCountsAnError) {
  // RST needs TCP: build a loopback pair.
  testing::LoopbackTcpPair tcp;
  ASSERT_TRUE(tcp.accepted.valid());
  EventLoop loop;
  ThreadCounters counters;
  std::vector<char> scratch(4096);
  bool closed = false;
  Connection connection(loop, std::move(tcp.accepted),
                        small_options(Trigger::kEdge, ReadMode::kDrain, WriteInterest::kOnDemand),
                        [&](Connection*) { closed = true; });
  connection.bind_thread(&counters, scratch);
  connection.start();
  ASSERT_EQ(::send(tcp.client.get(), "hello", 5, MSG_NOSIGNAL), 5);
  set_linger_reset(tcp.client.get());
  tcp.client.reset();
  EXPECT_TRUE(testing::wait_until([&] {
    loop.run_once(1);
    return closed;
  }));
  EXPECT_TRUE(connection.closed());
  EXPECT_EQ(counters.errors.load(), 1u);
}

}  // namespace
}  // namespace echolab
