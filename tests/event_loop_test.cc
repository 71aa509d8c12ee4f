#include "core/event_loop.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <thread>

#include "tests/test_support.h"

namespace echolab {
namespace {

using testing::wait_until;

/// Runs an EventLoop on its own thread for a test; the loop is destroyed
/// only after stop() has returned, since run() may return while stop() is
/// still writing to the loop's wake-up fd.
struct LoopOnThread {
  std::promise<EventLoop*> created;
  std::promise<void> stop_returned;
  std::thread thread;
  EventLoop* loop = nullptr;
  ThreadCounters counters;

  explicit LoopOnThread(LoopWait wait = LoopWait::kBlock) {
    auto future = created.get_future();
    thread = std::thread([this, wait] {
      EventLoop own(&counters);
      own.set_wait(wait);
      created.set_value(&own);
      own.run();
      stop_returned.get_future().wait();
    });
    loop = future.get();
  }
  ~LoopOnThread() {
    loop->stop();
    stop_returned.set_value();
    thread.join();
  }
};

TEST(EventLoop, RunsPostedTasksOnItsOwnThread) {
  LoopOnThread owner;
  std::promise<std::thread::id> ran_on;
  owner.loop->post([&] { ran_on.set_value(std::this_thread::get_id()); });
  EXPECT_EQ(ran_on.get_future().get(), owner.thread.get_id());
}

TEST(EventLoop, ASpinningLoopPollsWithoutSleepingCountsItsEmptyPollsAndStillServes) {
  LoopOnThread owner(LoopWait::kSpin);
  ASSERT_TRUE(wait_until([&] { return owner.counters.empty_polls.load() >= 1000; }))
      << "a spinning loop with nothing to do polls again and again";
  std::promise<std::thread::id> ran_on;
  owner.loop->post([&] { ran_on.set_value(std::this_thread::get_id()); });
  EXPECT_EQ(ran_on.get_future().get(), owner.thread.get_id());
}

TEST(EventLoop, ABlockingLoopHasNoEmptyPolls) {
  LoopOnThread owner;
  for (int i = 0; i < 3; ++i) {
    std::promise<void> ran;
    owner.loop->post([&] { ran.set_value(); });
    ran.get_future().wait();
  }
  EXPECT_EQ(owner.counters.empty_polls.load(), 0u);
  EXPECT_GE(owner.counters.wakeups.load(), 3u);
}

TEST(EventLoop, TasksFromManyThreadsAllRun) {
  LoopOnThread owner;
  std::atomic<int> count{0};
  std::vector<std::thread> posters;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) owner.loop->post([&] { count.fetch_add(1); });
    });
  }
  for (auto& poster : posters) poster.join();
  EXPECT_TRUE(wait_until([&] { return count.load() == 4000; }));
}

TEST(EventLoop, StopFromAnotherThreadReturnsFromRun) {
  std::promise<EventLoop*> created;
  std::promise<void> stop_returned;
  std::atomic<bool> returned{false};
  std::thread thread([&] {
    EventLoop loop;
    created.set_value(&loop);
    loop.run();
    returned = true;
    stop_returned.get_future().wait();  // the loop outlives the stop() call
  });
  EventLoop* loop = created.get_future().get();
  loop->stop();
  stop_returned.set_value();
  thread.join();
  EXPECT_TRUE(returned);
}

/// Counts events of one fd; loop thread only.
struct CountingHandler : EventHandler {
  std::atomic<int> calls{0};
  int fd = -1;
  void on_events(uint32_t) override {
    uint64_t value;
    (void)::read(fd, &value, sizeof value);
    calls.fetch_add(1);
  }
};

TEST(EventLoop, DispatchesReadinessToRegisteredHandler) {
  LoopOnThread owner;
  UniqueFd event(eventfd(0, EFD_NONBLOCK));
  CountingHandler handler;
  handler.fd = event.get();
  std::promise<void> added;
  owner.loop->post([&] {
    owner.loop->add(event.get(), EPOLLIN, &handler);
    added.set_value();
  });
  added.get_future().get();
  uint64_t one = 1;
  ASSERT_EQ(::write(event.get(), &one, sizeof one), 8);
  EXPECT_TRUE(wait_until([&] { return handler.calls.load() >= 1; }));
  EXPECT_GE(owner.counters.wakeups.load(), 1u);
  std::promise<void> removed;
  owner.loop->post([&] {
    owner.loop->remove(event.get());
    removed.set_value();
  });
  removed.get_future().get();
}

TEST(EventLoopDeathTest, RegistrationOffTheOwnerThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop loop;
        std::thread other([&] { loop.add(0, EPOLLIN, nullptr); });
        other.join();
      },
      "off the loop's owner thread");
}

TEST(Poller, EdgeModeReportsOnlyNewReadiness) {
  Poller poller;
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  poller.add(a.get(), with_trigger(EPOLLIN, Trigger::kEdge), nullptr);
  ASSERT_EQ(::write(b.get(), "x", 1), 1);
  epoll_event events[4];
  EXPECT_EQ(poller.wait(events, 1000), 1);
  // Not read: level mode would report it again, edge mode does not.
  EXPECT_EQ(poller.wait(events, 0), 0);
  poller.modify(a.get(), with_trigger(EPOLLIN, Trigger::kLevel), nullptr);
  EXPECT_EQ(poller.wait(events, 0), 1);
  EXPECT_EQ(poller.wait(events, 0), 1);
}

}  // namespace
}  // namespace echolab
