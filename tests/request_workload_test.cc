#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <thread>

#include "core/proc_stats.h"
#include "harness/load/request_workloads.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

using testing::run_echolab;

TEST(MessageFormat, TheEchoOfTheRightRequestPassesAndEveryOtherFailsWithTheReason) {
  MessageFormat format(64);
  std::vector<char> a(64), b(64);
  format.write(7, 3, a.data());
  format.write(8, 3, b.data());
  EXPECT_EQ(format.check(7, 3, a.data()), "");
  EXPECT_NE(format.check(7, 3, b.data()).find("reordered"), std::string::npos);
  EXPECT_NE(format.check(7, 4, a.data()).find("crossed connections"), std::string::npos);
  std::vector<char> torn = a;
  std::copy(b.begin(), b.begin() + 32, torn.begin() + 8);  // half of one echo spliced into another
  EXPECT_NE(format.check(7, 3, torn.data()), "");
  std::vector<char> flipped = a;
  flipped[40] ^= 1;
  EXPECT_NE(format.check(7, 3, flipped.data()).find("body differs"), std::string::npos);
}

TEST(MessageAssembler, MessagesSplitAnywhereComeOutWhole) {
  MessageFormat format(16);
  std::vector<char> stream(16 * 5);
  for (uint64_t i = 0; i < 5; ++i) format.write(i, 0, stream.data() + i * 16);
  MessageAssembler assembler(16);
  uint64_t next = 0;
  auto check = [&](const char* message) {
    EXPECT_EQ(format.check(next++, 0, message), "");
    return true;
  };
  // Pieces of 1, 7, 20, 3 and the rest: messages straddle every boundary.
  size_t at = 0;
  for (size_t piece : {1, 7, 20, 3, 49}) {
    assembler.feed(stream.data() + at, piece, check);
    at += piece;
  }
  EXPECT_EQ(next, 5u);
  EXPECT_EQ(assembler.partial_bytes(), 0u);
}

TEST(SourceAddresses, SpreadOverLoopbackOnlyWhenPortsWouldRunShort) {
  const auto target = SocketAddress::from_host_port("127.0.0.1", 9);
  EXPECT_FALSE(source_address_for(target, 5, 100));
  const auto far = source_address_for(target, 99999, 100000);
  ASSERT_TRUE(far);
  EXPECT_NE(far->to_string().rfind("127.0.0.", 0), std::string::npos);
  EXPECT_NE(far->to_string(), source_address_for(target, 0, 100000)->to_string());
  EXPECT_FALSE(source_address_for(SocketAddress::from_host_port("::1", 9), 99999, 100000));
  EXPECT_NE(rotating_source_address(target, 0)->to_string(), rotating_source_address(target, 1)->to_string());
}

TEST(FdLimit, AskingForMoreThanTheKernelAllowsNamesTheLimit) {
  long nr_open = 0;
  std::ifstream("/proc/sys/fs/nr_open") >> nr_open;
  ASSERT_GT(nr_open, 0);
  rlimit before{};
  getrlimit(RLIMIT_NOFILE, &before);
  const std::string error = raise_fd_limit(static_cast<uint64_t>(nr_open) + 1);
  EXPECT_NE(error.find("RLIMIT_NOFILE"), std::string::npos) << error;
  rlimit after{};
  getrlimit(RLIMIT_NOFILE, &after);
  EXPECT_GE(after.rlim_cur, before.rlim_cur);  // never lowered
  EXPECT_EQ(raise_fd_limit(16), "");
}

/// A deliberately wrong echo server for one test: accepts connections on
/// its own thread and hands each (blocking) to `serve`. Owns the thread.
class FaultyServer {
 public:
  explicit FaultyServer(std::function<void(int)> serve)
      : listener_(listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), {.nonblocking = false})),
        address_(local_address(listener_.get())),
        thread_([this, serve = std::move(serve)] {
          while (!stop_) {
            pollfd ready{listener_.get(), POLLIN, 0};
            if (::poll(&ready, 1, 50) <= 0) continue;
            UniqueFd client(::accept(listener_.get(), nullptr, nullptr));
            if (client) {
              set_nonblocking(client.get(), false);
              serve(client.get());
              accepted_ += 1;
            }
          }
        }) {}
  ~FaultyServer() {
    stop_ = true;
    thread_.join();
  }
  std::string address() const { return address_.to_string(); }
  void close_listener() { ::shutdown(listener_.get(), SHUT_RDWR); }

 private:
  UniqueFd listener_;
  SocketAddress address_;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

bool read_exact(int fd, char* out, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::read(fd, out + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

Json load_json(const testing::CommandResult& run) {
  try {
    return Json::parse(run.out);
  } catch (const std::exception&) {
    ADD_FAILURE() << "not JSON: " << run.out << run.err;
    return Json::object();
  }
}

std::vector<std::string> load_args(const FaultyServer& server, std::vector<std::string> extra) {
  std::vector<std::string> args = {"load",     "--target", server.address(), "--message-bytes", "16", "--duration", "1",
                                   "--warmup", "0",        "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(RequestWorkloads, AReorderedEchoFailsTheTrialNamingConnectionAndRequest) {
  FaultyServer server([](int fd) {
    char two[32];
    if (!read_exact(fd, two, 32)) return;
    char swapped[32];
    std::copy(two + 16, two + 32, swapped);
    std::copy(two, two + 16, swapped + 16);
    (void)!::write(fd, swapped, 32);
    char rest[256];
    while (::read(fd, rest, sizeof rest) > 0) {
    }
  });
  auto run = run_echolab(load_args(server, {"--workload", "rr", "--load.depth", "2", "--connections", "1"}));
  Json result = load_json(run);
  EXPECT_EQ(result.value("status", ""), "failed");
  EXPECT_NE(result.value("error", "")
                .find("connection 0: request 0: echo mismatch: echo of request 1 arrived instead (reordered)"),
            std::string::npos)
      << result.value("error", "");
}

TEST(RequestWorkloads, AShortEchoAndCloseSaysHowMuchOfWhichRequestCameBack) {
  FaultyServer server([](int fd) {
    char request[16];
    if (!read_exact(fd, request, 16)) return;
    (void)!::write(fd, request, 10);
  });
  auto run = run_echolab(load_args(server, {"--workload", "rr", "--connections", "1"}));
  Json result = load_json(run);
  EXPECT_EQ(result.value("status", ""), "failed");
  EXPECT_NE(result.value("error", "").find("request 0 in flight (10 of 16 bytes echoed)"), std::string::npos)
      << result.value("error", "");
}

TEST(RequestWorkloads, CrrAgainstATargetThatStopsAcceptingFailsWithTheConnectError) {
  std::atomic<FaultyServer*> self{nullptr};
  FaultyServer server([&](int fd) {
    char request[16];
    if (!read_exact(fd, request, 16)) return;
    self.load()->close_listener();  // every later connect is refused
    (void)!::write(fd, request, 16);
  });
  self = &server;
  auto run = run_echolab(load_args(server, {"--workload", "crr", "--connections", "1"}), 30);
  Json result = load_json(run);
  EXPECT_EQ(result.value("status", ""), "failed");
  EXPECT_NE(result.value("error", "").find("connection 0: connect 127.0.0.1:"), std::string::npos)
      << result.value("error", "");
  EXPECT_NE(result.value("error", "").find("refused"), std::string::npos) << result.value("error", "");
}

TEST(RequestWorkloads, RrPipelinesAndChecksEveryEchoAgainstABuiltInServer) {
  auto run = run_echolab({"trial", "--workload", "rr", "--load.depth", "8", "--connections", "3", "--message-bytes",
                          "100", "--duration", "0.5", "--warmup", "0.1", "--json"});
  Json result = load_json(run);
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  const Json& m = result["metrics"];
  EXPECT_GT(m["requests_per_s"].get<double>(), 0);
  EXPECT_EQ(m["connections_served"], 3);
  for (const char* key : {"latency_us_p50", "latency_us_p99", "latency_us_p9999", "latency_us_max"}) {
    ASSERT_TRUE(m[key].is_number()) << key;
  }
  EXPECT_LE(m["latency_us_p50"].get<double>(), m["latency_us_p99"].get<double>());
  EXPECT_LE(m["latency_us_p99"].get<double>(), m["latency_us_max"].get<double>() * 1.01);
  // The histogram in the record holds the window's requests, not the
  // warm-up's too (that would be ~20% more), and exactly them: both edges of
  // the window are copied on the client thread, counter and histogram
  // together (a copy from the controlling thread once fell between them and
  // was 2.3% off under ASan).
  const LatencyHistogram histogram = LatencyHistogram::from_json(result["histograms"]["latency_ns"]);
  const double window_s = m["window_s"].get<double>();
  EXPECT_NEAR(static_cast<double>(histogram.count()), m["requests_per_s"].get<double>() * window_s, 0.01);
  EXPECT_EQ(result["series"]["latency_us_p99"].size(), result["series"]["t_s"].size());
}

TEST(RequestWorkloads, UntimedRequestsAreCountedAndGiveNoLatency) {
  // load.timing false: no request carries a start time, so the requests
  // still in flight at the window's end are counted as unanswered but give
  // no age (an age from time 0 once came out as a p50 of 7 hours).
  auto run = run_echolab({"trial", "--workload", "rr", "--load.timing", "false", "--load.depth", "4", "--connections",
                          "3", "--message-bytes", "64", "--duration", "0.3", "--warmup", "0.1", "--json"});
  Json result = load_json(run);
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  const Json& m = result["metrics"];
  EXPECT_GT(m["requests_per_s"].get<double>(), 0);
  EXPECT_GT(m["requests_unanswered"].get<double>(), 0);  // 3 connections x 4 in flight when the window closed
  for (const char* key : {"latency_us_p50", "latency_us_p99", "latency_us_max"}) {
    EXPECT_TRUE(m[key].is_null()) << key << ": " << m[key];
  }
}

/// Syscalls per request of each client thread of an rr trial at depth 1
/// with `connections` over `threads`: every epoll_wait return (wakeups),
/// every read() or recv() call, EAGAIN included, and every send() of the
/// window, over the requests its echoed bytes (read at the same instants)
/// say came back.
std::vector<double> ping_pong_syscalls_per_request(int connections, int threads, int message_bytes) {
  auto run = run_echolab({"trial", "--workload", "rr", "--load.depth", "1", "--connections",
                          std::to_string(connections), "--load.threads", std::to_string(threads), "--message-bytes",
                          std::to_string(message_bytes), "--duration", "0.5", "--warmup", "0.1", "--json"});
  Json result = load_json(run);
  EXPECT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  std::vector<double> per_request;
  for (const Json& row : result["metrics"]["threads"]) {
    if (row["role"] != "client") continue;
    const double requests = row["bytes"].get<double>() / message_bytes;
    // Enough round trips to show the ping-pong goes on; under TSan, beside
    // another shard, the 1 MiB ping-pong made 11 in its 0.5 s window (every
    // echoed byte is checked, each check instrumented).
    EXPECT_GT(requests, testing::kSanitized ? 5 : 20) << row.dump();
    const double syscalls = row["wakeups"].get<double>() + row["reads"].get<double>() + row["writes"].get<double>();
    per_request.push_back(syscalls / std::max(requests, 1.0));
  }
  return per_request;
}

TEST(RequestWorkloads, ALonePingPongWaitsInRecvAsABlockingClientDoes) {
  // One connection on its thread: send, recv() that blocks; no epoll_wait.
  const auto alone = ping_pong_syscalls_per_request(1, 1, 64);
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_LE(alone[0], 2.01);
  // Two on one thread share the loop: wait, receive, send.
  const auto shared = ping_pong_syscalls_per_request(2, 1, 64);
  ASSERT_EQ(shared.size(), 1u);
  EXPECT_LE(shared[0], 3.01);
  EXPECT_GT(shared[0], 2.5);  // the loop's wait is counted: the lone path is not taken
}

TEST(RequestWorkloads, ALonePingPongOfMessagesLargerThanTheSocketBuffersGoesOn) {
  // 1 MiB requests do not fit in one send(): the lone connection waits in
  // poll() for either direction, so its request and the echo never block
  // each other (a blocking send would wait on a server waiting for us).
  const auto alone = ping_pong_syscalls_per_request(1, 1, 1 << 20);
  ASSERT_EQ(alone.size(), 1u);
}

TEST(RequestWorkloads, CrrReportsConnectsPerSecondAndConnectLatency) {
  auto run = run_echolab({"trial", "--workload", "crr", "--connections", "2", "--message-bytes", "32", "--duration",
                          "0.5", "--warmup", "0.1", "--json"});
  Json result = load_json(run);
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  const Json& m = result["metrics"];
  EXPECT_GT(m["connects_per_s"].get<double>(), 0);
  EXPECT_TRUE(m["connect_us_p50"].is_number());
  EXPECT_TRUE(result["histograms"].contains("connect_ns"));
  // Each connect carries one request: the two counts agree within the
  // requests in flight at the window's edges (2 connections) plus what
  // completes while the sampler copies one counter after the other; 2% of
  // the count bounds that even when the sampler is preempted between the
  // copies (0.9% seen under TSan), and a connect counted twice or never fails.
  const double connects = m["connects_per_s"].get<double>() * m["window_s"].get<double>();
  const double requests = m["requests_per_s"].get<double>() * m["window_s"].get<double>();
  EXPECT_NEAR(connects, requests, 4.0 + 0.02 * requests);
}

TEST(RequestWorkloads, OpenLoopSendsAtTheOfferedRate) {
  auto run =
      run_echolab({"trial", "--workload", "open", "--load.rate", "2000", "--load.arrival", "poisson", "--connections",
                   "4", "--message-bytes", "64", "--duration", "1", "--warmup", "0.2", "--json"});
  Json result = load_json(run);
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  const Json& m = result["metrics"];
  EXPECT_EQ(m["offered_requests_per_s"], 2000.0);
  // Poisson arrivals over one second: ~2000 +- 45 (1 sd); the bounds are
  // far outside chance and catch a schedule that is off by a factor.
  EXPECT_GT(m["requests_per_s"].get<double>(), 1700);
  EXPECT_LT(m["requests_per_s"].get<double>(), 2300);
}

TEST(RequestWorkloads, AnOpenLoopFarAboveWhatTheClientCanSendStaysBoundedAndCountsWhatItDidNotSend) {
  // 50M requests/s is far beyond this client (a few M/s here): each
  // connection holds at most its cap, the rest is counted as not sent.
  auto run = run_echolab({"trial", "--workload", "open", "--load.rate", "50000000", "--connections", "2",
                          "--message-bytes", "64", "--duration", "1", "--warmup", "0.2", "--json"});
  Json result = load_json(run);
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  const Json& m = result["metrics"];
  EXPECT_TRUE(result["overloaded"].get<bool>());
  EXPECT_GT(m["requests_not_sent"].get<double>(), 0);
  EXPECT_LT(m["achieved_rate_share"].get<double>(), 0.95);
  // The bound: 2 connections x (256 KiB unsent + 16384 requests x 16 B in
  // flight) = 1 MiB, on top of the process's own (the in-process server,
  // the histograms); before the cap this trial grew past 690 MB.
  EXPECT_LT(m["process_rss_hwm_bytes"].get<double>(), 256.0 * 1024 * 1024);
  EXPECT_GT(result["open_loop_seed"].get<long long>(), 0);  // recorded, to replay the arrivals
}

TEST(RequestWorkloads, AServerThatStopsAnsweringShowsInTheTailAsUnansweredRequests) {
  // The server answers for 0.6 s after the connect, then never again: the
  // window's last ~0.7 s of requests stay unanswered and count with their
  // age at the window's end, instead of vanishing from the percentiles.
  const std::string server = "python3 " + testing::source_path("tests/peers/bad_echo.py") + " stall {port}";
  auto run = run_echolab({"trial", "--model", "external", "--server.command", server, "--workload", "open",
                          "--load.rate", "2000", "--connections", "2", "--message-bytes", "64", "--duration", "1.2",
                          "--warmup", "0.1", "--json"});
  Json result = load_json(run);
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  const Json& m = result["metrics"];
  EXPECT_GT(m["requests_unanswered"].get<double>(), 700) << m.dump();
  EXPECT_GT(m["latency_us_p99"].get<double>(), 300e3) << m.dump();  // at least 0.3 s
  EXPECT_TRUE(result["overloaded"].get<bool>());
}

TEST(RequestWorkloads, ThousandsOfConnectionsAreAllServed) {
  auto run = run_echolab({"trial", "--workload", "rr", "--connections", "3000", "--client-threads", "2",
                          "--message-bytes", "16", "--duration", "1", "--warmup", "0.5", "--json"},
                         120);
  Json result = load_json(run);
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  EXPECT_EQ(result["metrics"]["connections_served"], 3000);
  EXPECT_TRUE(result["metrics"]["process_rss_per_conn_bytes"].is_number());
  EXPECT_TRUE(result["metrics"]["server_rss_bytes"].is_null());  // in-process: not the server's alone
}

TEST(RequestWorkloads, BadRequestOptionsAreUsageErrors) {
  for (const auto& [args, why] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--workload", "open", "--load.rate", "0"}, "load.rate"},
           {{"--workload", "rr", "--load.depth", "0"}, "load.depth"},
           {{"--workload", "rr", "--message-bytes", "8"}, "16-byte header"},
           {{"--workload", "stream", "--load.depth", "4"}, "not an option of workload stream"}}) {
    std::vector<std::string> full = {"trial"};
    full.insert(full.end(), args.begin(), args.end());
    auto run = run_echolab(full);
    EXPECT_EQ(run.exit_code, 2) << args[1];
    EXPECT_NE(run.err.find(why), std::string::npos) << run.err;
  }
}

}  // namespace
}  // namespace echolab

namespace echolab {
namespace {

TEST(SeparateServerProcess, EveryBuiltInModelRunsAsItsOwnProcessWithItsOptions) {
  std::string refused;  // models this kernel refused: the test skips (visibly) after checking the rest
  // A 0.4 s warm-up: under TSan, with another test beside it, a separate
  // io_uring server once served none of its 4 connections by 0.1 s.
  for (const std::string model : {"single_thread", "shared_listener", "reuseport", "acceptor_workers",
                                  "thread_per_connection", "dispatch_pool", "io_uring"}) {
    const std::string threads = model == "single_thread" ? "1" : "2";
    auto run = testing::run_echolab({"trial", "--model", model, "--threads", threads, "--server-process", "separate",
                                     "--workload", "rr", "--connections", "4", "--message-bytes", "32", "--duration",
                                     "0.3", "--warmup", "0.4", "--json"});
    Json result = load_json(run);
    if (result.value("status", "") == "skipped") {  // io_uring refused by this kernel
      refused += model + ": " + result.value("error", "") + "; ";
      continue;
    }
    ASSERT_EQ(result.value("status", ""), "ok") << model << ": " << result.value("error", "") << run.err;
    const Json& m = result["metrics"];
    EXPECT_EQ(m["connections_served"], 4) << model;
    // The server's memory is its own process's, and its CPU time is known.
    EXPECT_TRUE(m["server_rss_bytes"].is_number()) << model;
    EXPECT_TRUE(m["server_rss_per_conn_bytes"].is_number()) << model;
    EXPECT_TRUE(m["client_rss_bytes"].is_number()) << model;
    EXPECT_GT(m["server_cpu_s"].get<double>(), 0.0) << model;
  }
  if (!refused.empty()) GTEST_SKIP() << "not run here: " << refused;
}

}  // namespace
}  // namespace echolab
