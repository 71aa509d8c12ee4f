// The listener's axes, made deterministic: connections complete in the
// kernel's backlog before the loop runs, then the loop runs one wake-up at a
// time. One accept per edge leaves the second of two back-to-back
// connections in the backlog (the forum's mio code); accepting until EAGAIN
// serves both; a level-triggered listener reports the rest again. Also the
// hand-off queue's capacity, and SO_REUSEPORT steering by CPU.
#include "core/listener.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "core/handoff_queue.h"
#include "core/socket_util.h"
#include "core/topology.h"
#include "models/reuseport.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

/// A loop with a listener of the given axes and `queued` connections that
/// completed their handshakes before the listener was registered. Test
/// thread only (it owns the loop).
class QueuedConnections {
 public:
  QueuedConnections(Trigger trigger, bool accept_once, int queued)
      : listen_fd_(listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), {})) {
    for (int i = 0; i < queued; ++i) connect_one();
    listener_ = std::make_unique<Listener>(loop_, listen_fd_.get(), ListenerOptions{trigger, false, accept_once},
                                           counters_, [this](UniqueFd fd) { accepted_.push_back(std::move(fd)); });
  }
  /// One wake-up of the loop (waiting up to `timeout_ms` for it).
  void wake_once(int timeout_ms = 0) { loop_.run_once(timeout_ms); }
  /// A new connection: on an edge-triggered listener, a new edge.
  void connect_one() { clients_.push_back(connect_tcp(local_address(listen_fd_.get()))); }
  size_t accepted() const { return accepted_.size(); }

 private:
  ThreadCounters counters_;
  EventLoop loop_;
  UniqueFd listen_fd_;
  std::vector<UniqueFd> clients_;
  std::vector<UniqueFd> accepted_;
  std::unique_ptr<Listener> listener_;
};

TEST(Listener, EdgeAndAcceptOnceLeaveTheSecondConnectionInTheBacklog) {
  QueuedConnections rig(Trigger::kEdge, /*accept_once=*/true, 2);
  rig.wake_once();
  EXPECT_EQ(rig.accepted(), 1u);
  rig.wake_once();  // no new edge: the second connection waits
  rig.wake_once();
  EXPECT_EQ(rig.accepted(), 1u);
  rig.connect_one();  // the next edge takes one more, the backlog keeps one
  rig.wake_once(5000);
  EXPECT_EQ(rig.accepted(), 2u);
}

TEST(Listener, EdgeAndDrainServeBothConnectionsInOneWakeUp) {
  QueuedConnections rig(Trigger::kEdge, /*accept_once=*/false, 2);
  rig.wake_once();
  EXPECT_EQ(rig.accepted(), 2u);
}

TEST(Listener, LevelAndAcceptOnceServeTheSecondOnTheNextWakeUp) {
  QueuedConnections rig(Trigger::kLevel, /*accept_once=*/true, 2);
  rig.wake_once();
  EXPECT_EQ(rig.accepted(), 1u);
  rig.wake_once();  // still readable: reported again
  EXPECT_EQ(rig.accepted(), 2u);
}

TEST(Listener, LevelAndDrainServeBothConnectionsInOneWakeUp) {
  QueuedConnections rig(Trigger::kLevel, /*accept_once=*/false, 2);
  rig.wake_once();
  EXPECT_EQ(rig.accepted(), 2u);
}

TEST(HandoffQueue, AFullQueueRefusesAndTheSocketStaysWithTheCaller) {
  HandoffQueue queue(2);  // no worker attached: nothing drains it
  std::vector<UniqueFd> fds;
  for (int i = 0; i < 3; ++i) fds.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_TRUE(queue.push(fds[0], HandoffQueue::now_ns()));
  EXPECT_TRUE(queue.push(fds[1], HandoffQueue::now_ns()));
  EXPECT_FALSE(fds[0]);  // owned by the queue now
  EXPECT_FALSE(queue.push(fds[2], HandoffQueue::now_ns()));
  EXPECT_TRUE(fds[2]);  // refused: still the caller's, to close (a drop)
}

TEST(HandoffQueue, APushGoesToTheFirstQueueWithRoomAndADropIsCounted) {
  std::vector<std::unique_ptr<HandoffQueue>> queues;
  for (int i = 0; i < 2; ++i) queues.push_back(std::make_unique<HandoffQueue>(1));
  ThreadCounters counters;
  std::vector<UniqueFd> fds;
  for (int i = 0; i < 3; ++i) fds.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  EXPECT_EQ(push_to_first_with_room(queues, 1, fds[0], counters), 1u);            // the chosen one
  EXPECT_EQ(push_to_first_with_room(queues, 1, fds[1], counters), 0u);            // full: the next
  EXPECT_EQ(push_to_first_with_room(queues, 0, fds[2], counters), std::nullopt);  // all full
  EXPECT_EQ(counters.dropped.load(), 1u);
  EXPECT_FALSE(fds[2]);  // a dropped connection is closed
}

/// Runs `work` on a thread pinned to `pu` (an OS index).
template <typename Work>
void on_pu(int pu, Work work) {
  std::thread thread([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(pu, &set);
    ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0);
    work();
  });
  thread.join();
}

/// Connects `per_pu` times from the first usable PU, then from the second;
/// after each round every listener of the 2-thread `server` has taken
/// exactly the connections made from the PUs `listener_of(pu)` names it for.
void expect_connections_by_pu(const ReuseportServer& server, const std::vector<int>& pus, int per_pu,
                              const std::function<size_t(int pu)>& listener_of) {
  std::vector<UniqueFd> clients;
  uint64_t expected[2] = {0, 0};
  for (int round = 0; round < 2; ++round) {
    const int pu = pus[static_cast<size_t>(round)];
    on_pu(pu, [&] {
      for (int i = 0; i < per_pu; ++i) clients.push_back(connect_tcp(server.address()));
    });
    expected[listener_of(pu)] += static_cast<uint64_t>(per_pu);
    ASSERT_TRUE(testing::wait_until([&] { return testing::accepted(server) == clients.size(); }));
    const auto threads = server.threads();
    ASSERT_EQ(threads.size(), 2u);
    for (size_t listener = 0; listener < 2; ++listener) {
      EXPECT_EQ(threads[listener].counters.accepted, expected[listener])
          << "listener " << listener << " after " << per_pu << " connections from PU " << pu;
    }
  }
}

TEST(ReuseportSteer, EachConnectionGoesToTheListenerOfTheCpuThatReceivedIt) {
  const auto pus = Topology::system().usable_pus();
  if (pus.size() < 2) GTEST_SKIP() << "needs 2 usable PUs";
  ReuseportServer server;
  ServerConfig config = testing::model_config("reuseport", 2);
  config.options.set("steer", true);
  server.start(config, CpuPlan{});
  // On loopback a SYN is received on the CPU that sent it: the steering
  // program picks listener (receiving CPU mod 2).
  expect_connections_by_pu(server, pus, 5, [](int pu) { return static_cast<size_t>(pu % 2); });
  server.stop();
}

TEST(ReuseportIncomingCpu, EachConnectionGoesToTheListenerWhoseThreadIsOnTheCpuThatReceivedIt) {
  const auto pus = Topology::system().usable_pus();
  if (pus.size() < 2) GTEST_SKIP() << "needs 2 usable PUs";
  ReuseportServer server;
  ServerConfig config = testing::model_config("reuseport", 2);
  config.options.set("incoming_cpu", true);
  // Thread 0 on the second PU, thread 1 on the first: the listener is
  // chosen by its thread's PU, not by index (steer's CPU mod 2).
  CpuPlan plan;
  plan.set("server", 0, {pus[1]});
  plan.set("server", 1, {pus[0]});
  server.start(config, plan);
  expect_connections_by_pu(server, pus, 20, [&](int pu) { return pu == pus[0] ? size_t{1} : size_t{0}; });
  server.stop();
  // A thread not placed on exactly one PU has no CPU to name.
  ReuseportServer unplaced;
  EXPECT_THROW(unplaced.start(config, CpuPlan{}), std::invalid_argument);
}

}  // namespace
}  // namespace echolab
