#include "core/loop_thread.h"

#include <gtest/gtest.h>
#include <sys/epoll.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "core/event_loop.h"
#include "core/loop_thread_pool.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

using testing::wait_until;

/// The id of the thread that ran something, published for the test thread.
struct SeenOn {
  std::atomic<bool> seen{false};
  std::thread::id id;  // written before `seen`, read after it
  void mark() {
    id = std::this_thread::get_id();
    seen.store(true, std::memory_order_release);
  }
  bool done() const { return seen.load(std::memory_order_acquire); }
};

TEST(LoopThread, RunsPostedTaskOnItsOwnThread) {
  ThreadCounters counters;
  LoopThread thread(counters, {});
  SeenOn init, task;
  thread.start([&](EventLoop& loop) -> std::shared_ptr<void> {
    EXPECT_TRUE(loop.in_loop_thread());
    init.mark();
    return nullptr;
  });
  ASSERT_TRUE(init.done()) << "start() returns after init ran";
  thread.post([&] { task.mark(); });
  ASSERT_TRUE(wait_until([&] { return task.done(); }));
  EXPECT_EQ(task.id, init.id);
  EXPECT_NE(task.id, std::this_thread::get_id());
  thread.stop();
}

TEST(LoopThread, KeepAliveIsDestroyedOnTheLoopThreadAfterStop) {
  ThreadCounters counters;
  LoopThread thread(counters, {});
  SeenOn init, destroyed;
  thread.start([&](EventLoop&) {
    init.mark();
    return std::shared_ptr<void>(&destroyed, [](SeenOn* seen) { seen->mark(); });
  });
  EXPECT_FALSE(destroyed.done());
  thread.stop();  // joins: no wait needed
  ASSERT_TRUE(destroyed.done());
  EXPECT_EQ(destroyed.id, init.id);
}

TEST(LoopThread, StartRethrowsWhatInitThrew) {
  ThreadCounters counters;
  LoopThread thread(counters, {});
  EXPECT_THROW(thread.start([](EventLoop&) -> std::shared_ptr<void> { throw std::runtime_error("init failed"); }),
               std::runtime_error);
  std::atomic<bool> ran{false};
  thread.post([&] { ran = true; });  // no loop: dropped, not crashed
  thread.stop();
  EXPECT_FALSE(ran.load());
}

TEST(LoopThreadPool, NextCyclesOverTheThreadsInIndexOrder) {
  std::vector<std::unique_ptr<ThreadCounters>> counters;
  LoopThreadPool pool;
  std::vector<int> started;
  pool.start(3, [&](int i) {
    counters.push_back(std::make_unique<ThreadCounters>());
    started.push_back(i);
    return LoopThreadPool::Member{*counters.back(), {}, nullptr};
  });
  ASSERT_EQ(pool.size(), 3u);
  EXPECT_EQ(started, (std::vector<int>{0, 1, 2}));
  for (size_t round = 0; round < 2; ++round) {
    for (size_t i = 0; i < pool.size(); ++i) EXPECT_EQ(&pool.next(), &pool.at(i));
  }
  for (size_t i = 0; i < pool.size(); ++i) EXPECT_EQ(&pool.at(i).counters(), counters[i].get());
  pool.stop();
}

TEST(LoopThreadPool, EachThreadGetsItsOwnCpusAndInit) {
  std::vector<std::unique_ptr<ThreadCounters>> counters;
  const CpuList allowed = current_thread_binding();
  ASSERT_FALSE(allowed.empty());
  auto planned = [&](size_t i) { return CpuList{allowed[i % allowed.size()]}; };
  std::vector<CpuList> bound(2);
  LoopThreadPool pool;
  pool.start(2, [&](int i) {
    counters.push_back(std::make_unique<ThreadCounters>());
    CpuList& into = bound[static_cast<size_t>(i)];
    return LoopThreadPool::Member{*counters.back(), planned(static_cast<size_t>(i)),
                                  [&into](EventLoop&) -> std::shared_ptr<void> {
                                    into = current_thread_binding();  // on the new thread, after binding
                                    return nullptr;
                                  }};
  });
  EXPECT_EQ(bound[0], planned(0));
  EXPECT_EQ(bound[1], planned(1));
  pool.stop();
}

TEST(LoopThreadPool, StartRethrowsAndStopStillStopsTheStartedThreads) {
  std::vector<std::unique_ptr<ThreadCounters>> counters;
  LoopThreadPool pool;
  auto start = [&] {
    pool.start(3, [&](int i) {
      counters.push_back(std::make_unique<ThreadCounters>());
      LoopThread::Init init = nullptr;
      if (i == 2) init = [](EventLoop&) -> std::shared_ptr<void> { throw std::runtime_error("third"); };
      return LoopThreadPool::Member{*counters.back(), {}, init};
    });
  };
  EXPECT_THROW(start(), std::runtime_error);
  SeenOn task;
  pool.at(0).post([&] { task.mark(); });
  EXPECT_TRUE(wait_until([&] { return task.done(); }));
  pool.stop();
}

TEST(EventLoopDeathTest, SecondLoopOnOneThreadAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop first;
        EventLoop second;
      },
      "a second EventLoop on thread [0-9]+");
}

TEST(EventLoop, ALoopAfterTheFirstWasDestroyedIsFine) {
  { EventLoop first; }
  EventLoop second;
  EXPECT_TRUE(second.in_loop_thread());
}

TEST(EventLoopDeathTest, RearmOneshotWithoutOneshotAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        EventLoop loop;
        loop.rearm_oneshot(0, EPOLLIN, nullptr);
      },
      "without EPOLLONESHOT");
}

}  // namespace
}  // namespace echolab
