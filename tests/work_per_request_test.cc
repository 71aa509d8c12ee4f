// Work per request (server.work_cpu_us, server.work_block_us): counted by
// request, done by every built-in model before the echo, recorded in the
// trial, and offload_pool runs it on its workers so blocking waits overlap.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "core/request_work.h"
#include "models/registry.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

TEST(RequestCounter, CountsRequestsSplitOverReadsWhenTheirLastByteArrives) {
  RequestCounter counter(100);
  EXPECT_EQ(counter.complete(60), 0u);
  EXPECT_EQ(counter.partial_bytes(), 60u);
  EXPECT_EQ(counter.complete(40), 1u);  // the first request's last 40 bytes
  EXPECT_EQ(counter.partial_bytes(), 0u);
  EXPECT_EQ(counter.complete(250), 2u);  // two whole requests and half of a third
  EXPECT_EQ(counter.partial_bytes(), 50u);
  EXPECT_EQ(counter.complete(50), 1u);
  EXPECT_EQ(RequestCounter(0).complete(4096), 0u);  // no request size: nothing to count
}

TEST(RequestWork, DoesEachRequestsWorkAndCountsItsTime) {
  ThreadCounters counters;
  // A sleep to an absolute deadline never ends early: 3 x 300 us at least.
  do_request_work({64, 0, 300}, counters, 3);
  EXPECT_EQ(counters.requests_worked.load(), 3u);
  EXPECT_GE(counters.work_blocked_ns.load(), 3u * 300'000u);
  EXPECT_EQ(counters.work_cpu_ns.load(), 0u);
  // The loop is calibrated in this build: 2 x 500 us takes at least half
  // that (a faster CPU than at calibration cannot double its speed), and
  // is not skipped.
  EXPECT_GT(spin_iterations_per_us(), 0);
  do_request_work({64, 500, 0}, counters, 2);
  EXPECT_EQ(counters.requests_worked.load(), 5u);
  EXPECT_GE(counters.work_cpu_ns.load(), 500'000u);
  // No work, nothing counted.
  do_request_work({64, 0, 0}, counters, 7);
  EXPECT_EQ(counters.requests_worked.load(), 5u);
}

TEST(WorkPerRequest, EveryBuiltInModelWorksEachRequestItEchoes) {
  constexpr int kConnections = 4;
  for (const auto& info : model_registry()) {
    const std::string name(info.name);
    if (name == "external") continue;  // its own server does its own work
    // blocking_pool serves one connection per thread.
    const int threads = name == "blocking_pool" ? kConnections : std::min(info.max_threads, 2);
    const nlohmann::json result = testing::rr_trial(name, threads, kConnections, {"--server.work_cpu_us", "20"});
    if (result.value("status", "") == "skipped") continue;  // io_uring refused: LoopbackTest says so
    ASSERT_EQ(result.value("status", ""), "ok") << name << ": " << result.value("error", "");
    const nlohmann::json& m = result["metrics"];
    const double completed = m["requests_per_s"].get<double>() * m["window_s"].get<double>();
    const double worked = m["server_requests_worked"].get<double>();
    ASSERT_GT(completed, 20) << name;
    // Server and client windows are read a moment apart, so requests done
    // in between fall on either side: 6.5% of them at offload_pool's 4,500
    // requests/s under TSan (26 ms apart); one unit of work per request,
    // not none and not two, is what this tells.
    EXPECT_LE(std::abs(worked - completed), std::max(3.0 * kConnections, 0.15 * completed))
        << name << ": worked " << worked << ", completed " << completed;
    EXPECT_GE(m["server_work_cpu_s"].get<double>(), worked * 20e-6 * 0.5) << name;
    EXPECT_EQ(m["server_work_blocked_s"].get<double>(), 0.0) << name;
  }
}

TEST(WorkPerRequest, WithoutWorkNothingIsWorked) {
  const nlohmann::json result = testing::rr_trial("single_thread", 1, 2, {});
  ASSERT_EQ(result.value("status", ""), "ok") << result.value("error", "");
  EXPECT_EQ(result["metrics"]["server_requests_worked"].get<double>(), 0.0);
  EXPECT_EQ(result["config"]["server"]["work_cpu_us"].get<double>(), 0.0);
}

TEST(WorkPerRequest, OneLoopBlockingIsBoundByTheWaitAndAPoolOverlapsTheWaits) {
  // 2 ms of blocking per request: one loop thread can finish at most 500
  // requests a second, whatever the machine; offload_pool's 8 workers wait
  // side by side.
  const nlohmann::json single = testing::rr_trial("single_thread", 1, 8, {"--server.work_block_us", "2000"});
  ASSERT_EQ(single.value("status", ""), "ok") << single.value("error", "");
  const double single_rate = single["metrics"]["requests_per_s"].get<double>();
  EXPECT_LE(single_rate, 500 * 1.05);
  EXPECT_GE(single["metrics"]["server_work_blocked_s"].get<double>(),
            single["metrics"]["server_requests_worked"].get<double>() * 0.002);

  const nlohmann::json pool =
      testing::rr_trial("offload_pool", 1, 8, {"--server.work_block_us", "2000", "--server.workers", "8"});
  ASSERT_EQ(pool.value("status", ""), "ok") << pool.value("error", "");
  const double pool_rate = pool["metrics"]["requests_per_s"].get<double>();
  EXPECT_GT(pool_rate, 2 * 500) << "8 workers blocking side by side should pass one loop's bound";
  int workers = 0;
  for (const nlohmann::json& thread : pool["metrics"]["threads"]) {
    if (thread["role"] == "worker" && thread.value("requests_worked", 0.0) > 0) ++workers;
  }
  EXPECT_GE(workers, 2) << "the work ran on the pool's threads";
}

TEST(WorkPerRequest, AskingWorkOfAnExternalServerIsAnError) {
  const auto run = testing::run_echolab(
      {"trial", "--model", "external", "--server.command", "true", "--server.work_cpu_us", "10", "--duration", "0.1"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_NE(run.err.find("server.work_cpu_us"), std::string::npos) << run.err;
}

TEST(WorkPerRequest, ModelsListsTheWorkKeysAndOffloadPool) {
  const auto run = testing::run_echolab({"models"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("offload_pool"), std::string::npos);
  EXPECT_NE(run.out.find("workers=4"), std::string::npos);
  EXPECT_NE(run.out.find("work_cpu_us=0"), std::string::npos);
  EXPECT_NE(run.out.find("work_block_us=0"), std::string::npos);
}

}  // namespace
}  // namespace echolab
