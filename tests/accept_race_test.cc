// The accept race of a shared listener, as the trial metrics measure it:
// each listening thread's registration rank, and whether an accept was made
// by a thread already serving connections or by one woken from sleep.
// Counts, not times.
#include <gtest/gtest.h>
#include <sys/eventfd.h>

#include "core/event_loop.h"
#include "core/socket_util.h"
#include "models/registry.h"
#include "models/shared_listener.h"
#include "models/single_thread.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

ServerConfig shared_listener_config(int threads, const std::string& register_order) {
  ServerConfig config;
  config.model = "shared_listener";
  config.threads = threads;
  config.options = find_model("shared_listener")->default_options();
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
class CountingHandler : public EventHandler {
 public:
  explicit CountingHandler(ThreadCounters& counters) : counters_(counters) {}
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
  CountingHandler connection(counters);
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

uint64_t accepted(const ServerModel& model) { return testing::sum_over_threads(model, &CounterSnapshot::accepted); }

uint64_t accepts_while_busy(const ServerModel& model) {
  return testing::sum_over_threads(model, &CounterSnapshot::accepts_while_busy);
}

/// A single thread with one connection open, then a second one: how many
/// of the two accepts the thread made while busy.
uint64_t busy_accepts_of_two_connections(WriteInterest interest) {
  SingleThreadServer server;
  ServerConfig config;
  config.model = "single_thread";
  config.threads = 1;
  config.options = find_model("single_thread")->default_options();
  config.echo.trigger = Trigger::kLevel;
  config.echo.write_interest = interest;
  server.start(config, CpuPlan{});
  UniqueFd first = connect_tcp(server.address());
  EXPECT_TRUE(testing::wait_until([&] { return accepted(server) == 1; }));
  EXPECT_EQ(accepts_while_busy(server), 0u) << "the first accept woke an idle thread";
  UniqueFd second = connect_tcp(server.address());
  EXPECT_TRUE(testing::wait_until([&] { return accepted(server) == 2; }));
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
