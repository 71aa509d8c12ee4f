// The accept race of a shared listener, as the trial metrics measure it:
// each listening thread's registration rank, and whether an accept was made
// by a thread already serving connections or by one woken from sleep.
// Counts, not times.
#include <gtest/gtest.h>
#include <sys/eventfd.h>

#include "core/event_loop.h"
#include "core/socket_util.h"
#include "models/acceptor_workers.h"
#include "models/registry.h"
#include "models/shared_listener.h"
#include "models/single_thread.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

ServerConfig shared_listener_config(int threads, const std::string& register_order) {
  ServerConfig config = testing::model_config("shared_listener", threads);
  config.options.set("register_order", register_order);
  return config;
}

TEST(AcceptRace, ThreadsRankTheirListenerRegistrationInStartOrder) {
  for (const std::string order : {"index", "reverse"}) {
    SharedListenerServer server;
    server.start(shared_listener_config(4, order), CpuPlan{});
    std::vector<int> rank_of_index(4, -2);
    for (const auto& thread : server.threads()) rank_of_index.at(thread.index) = thread.counters.listener_rank;
    server.stop();
    const std::vector<int> expected = order == "index" ? std::vector<int>{0, 1, 2, 3} : std::vector<int>{3, 2, 1, 0};
    EXPECT_EQ(rank_of_index, expected) << "register_order " << order;
  }
}

/// Marks every event it gets as a connection event, as Connection does.
class ConnectionEventCounter : public EventHandler {
 public:
  explicit ConnectionEventCounter(ThreadCounters& counters) : counters_(counters) {}
  void on_events(uint32_t) override {
    uint64_t value;
    (void)!::read(fd.get(), &value, sizeof value);
    bump(counters_.connection_events);
  }
  UniqueFd fd{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};

 private:
  ThreadCounters& counters_;
};

void signal(const UniqueFd& fd) {
  uint64_t one = 1;
  ASSERT_EQ(::write(fd.get(), &one, sizeof one), static_cast<ssize_t>(sizeof one));
}

TEST(AcceptRace, ALoopIsBusyWhenItServedConnectionsSinceItsPreviousWakeup) {
  ThreadCounters counters;
  EventLoop loop(&counters);
  ConnectionEventCounter connection(counters);
  UniqueFd other(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  loop.add(connection.fd.get(), EPOLLIN, &connection);
  EXPECT_FALSE(loop.served_connections_recently());  // never woke

  signal(connection.fd);
  ASSERT_EQ(loop.run_once(1000), 1);
  EXPECT_TRUE(loop.served_connections_recently());  // in this very wake-up

  loop.post([] {});  // a wake-up without connection events
  ASSERT_EQ(loop.run_once(1000), 1);
  EXPECT_TRUE(loop.served_connections_recently());  // the previous one served

  loop.post([] {});
  ASSERT_EQ(loop.run_once(1000), 1);
  EXPECT_FALSE(loop.served_connections_recently());  // two quiet wake-ups: idle
}

uint64_t accepts_while_busy(const ServerModel& model) {
  return testing::sum_over_threads(model, &CounterSnapshot::accepts_while_busy);
}

/// A single thread with one connection open, then a second one: how many
/// of the two accepts the thread made while busy.
uint64_t busy_accepts_of_two_connections(WriteInterest interest) {
  SingleThreadServer server;
  ServerConfig config = testing::model_config("single_thread", 1);
  config.echo.trigger = Trigger::kLevel;
  config.echo.write_interest = interest;
  server.start(config, CpuPlan{});
  UniqueFd first = connect_tcp(server.address());
  EXPECT_TRUE(testing::wait_until([&] { return testing::accepted(server) == 1; }));
  EXPECT_EQ(accepts_while_busy(server), 0u) << "the first accept woke an idle thread";
  if (interest == WriteInterest::kAlways) {
    // Once the loop has handled the first connection's events it handles
    // one in every wake-up (EPOLLOUT for good, level-triggered), so the
    // wake-up that takes the second connection follows a busy one, whatever
    // the order of events inside it.
    EXPECT_TRUE(testing::wait_until(
        [&] { return testing::sum_over_threads(server, &CounterSnapshot::connection_events) > 0; }));
  }
  UniqueFd second = connect_tcp(server.address());
  EXPECT_TRUE(testing::wait_until([&] { return testing::accepted(server) == 2; }));
  const uint64_t busy = accepts_while_busy(server);
  server.stop();
  return busy;
}

TEST(AcceptRace, AThreadSpinningOnWritableEventsAcceptsWhileBusy) {
  // Level-triggered EPOLLOUT registered for good (the forum's socket code)
  // fires in every wake-up: the thread never sleeps, so the second accept
  // is made by a busy thread.
  EXPECT_EQ(busy_accepts_of_two_connections(WriteInterest::kAlways), 1u);
}

TEST(AcceptRace, AThreadWithQuietConnectionsIsWokenForEachAccept) {
  EXPECT_EQ(busy_accepts_of_two_connections(WriteInterest::kOnDemand), 0u);
}

}  // namespace
}  // namespace echolab

namespace echolab {
namespace {

/// Connections open on each worker of a 2-worker acceptor_workers server
/// after: A and B connect, A closes, C and D connect (each step waited for).
std::vector<uint64_t> open_per_worker_after_churn(const std::string& dispatch) {
  AcceptorWorkersServer server;
  ServerConfig config = testing::model_config("acceptor_workers", 2);
  config.options.set("dispatch", dispatch);
  server.start(config, CpuPlan{});
  auto workers_sum = [&](uint64_t CounterSnapshot::*counter) {  // the acceptor counts its accepts too
    uint64_t total = 0;
    for (const auto& thread : server.threads()) total += thread.role == "server" ? thread.counters.*counter : 0;
    return total;
  };
  auto adopted = [&] { return workers_sum(&CounterSnapshot::accepted); };
  auto closed = [&] { return workers_sum(&CounterSnapshot::closed); };
  UniqueFd a = connect_tcp(server.address()), b = connect_tcp(server.address());
  EXPECT_TRUE(testing::wait_until([&] { return adopted() == 2; }));
  a.reset();
  EXPECT_TRUE(testing::wait_until([&] { return closed() == 1; }));
  UniqueFd c = connect_tcp(server.address());
  EXPECT_TRUE(testing::wait_until([&] { return adopted() == 3; }));
  UniqueFd d = connect_tcp(server.address());
  EXPECT_TRUE(testing::wait_until([&] { return adopted() == 4; }));
  std::vector<uint64_t> open(2);
  for (const auto& thread : server.threads()) {
    if (thread.role == "server") open.at(thread.index) = thread.counters.connections_open();
  }
  server.stop();
  return open;
}

TEST(AcceptorDispatch, LeastConnectionsFillsTheWorkerAClosedConnectionLeftEmpty) {
  // Round robin hands out 0, 1, 0, 1 whatever closed: B and D on worker 1.
  EXPECT_EQ(open_per_worker_after_churn("round_robin"), (std::vector<uint64_t>{1, 2}));
  // Least connections: A's close leaves worker 0 empty, C goes there, and D
  // to the first of the two now even workers.
  EXPECT_EQ(open_per_worker_after_churn("least_connections"), (std::vector<uint64_t>{2, 1}));
}

}  // namespace
}  // namespace echolab
