// The implementation axes of issue "a fair io_uring model": every io_uring
// setup option serves correctly, server.wait spin keeps every loop model
// serving while it polls without sleeping, load.wait spin does the same for
// the client, and the trial says what each costs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/registry.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

// An rr trial that served: ok (or skipped where the kernel refuses io_uring:
// false, and LoopbackTest says so), with answers checked byte by byte.
bool served(const nlohmann::json& result, const std::string& what) {
  if (result.value("status", "") == "skipped") return false;
  EXPECT_EQ(result.value("status", ""), "ok") << what << ": " << result.value("error", "");
  if (!result.contains("metrics")) return false;
  EXPECT_GT(result["metrics"].value("requests_per_s", 0.0), 100.0) << what;
  return true;
}

TEST(UringOptions, EveryValueOfEveryOptionEchoesEveryRequest) {
  const ModelInfo* info = find_model("io_uring");
  ASSERT_NE(info, nullptr);
  int checked = 0;
  for (const char* key : {"task_run", "recv", "submit", "wait"}) {
    const OptionSpec* option = info->option(key);
    ASSERT_NE(option, nullptr) << "io_uring has no option " << key;
    for (const auto& value : option->allowed) {
      const std::string what = std::string("io_uring ") + key + " " + value;
      const nlohmann::json result = testing::rr_trial("io_uring", 1, 8, {"--server." + std::string(key), value});
      if (!served(result, what)) continue;
      EXPECT_EQ(result["config"]["server"][key], value) << what;
      const double empty_polls = result["metrics"]["server_empty_polls"].get<double>();
      if (std::string(key) == "wait" && value == "spin") {
        EXPECT_GT(empty_polls, 0) << what;
      } else {
        EXPECT_EQ(empty_polls, 0) << what;
      }
      ++checked;
    }
  }
  if (checked == 0) GTEST_SKIP() << "io_uring refused by this kernel";
  EXPECT_EQ(checked, 3 + 2 + 2 + 2);
}

TEST(ServerWait, EveryLoopModelServesWhileSpinningAndCountsItsEmptyPolls) {
  int spinning_models = 0;
  for (const auto& info : model_registry()) {
    const std::string name(info.name);
    if (!info.option("wait")) continue;
    ++spinning_models;
    const int threads = std::min(info.max_threads, 2);
    const nlohmann::json result = testing::rr_trial(name, threads, 4, {"--server.wait", "spin"});
    if (!served(result, name)) continue;
    // One PU for the server: two spinning threads take turns on it, and
    // each still finds nothing to do between requests.
    EXPECT_GT(result["metrics"]["server_empty_polls"].get<double>(), 0) << name;
  }
  // The epoll loop models and io_uring; not the blocking ones, nor external.
  EXPECT_EQ(spinning_models, 7);
  const auto refused = testing::run_echolab({"trial", "--model", "blocking_pool", "--server.wait", "spin"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("server.wait"), std::string::npos) << refused.err;
}

TEST(ServerMaxEvents, EachEpollWaitFetchesAtMostThatMany) {
  // 16 ping-pong connections on one loop: with the default 256 some wake-up
  // carries several events; with 1, every wake-up carries exactly one.
  for (const auto& [max_events, several] : std::vector<std::pair<std::string, bool>>{{"1", false}, {"256", true}}) {
    const nlohmann::json result = testing::rr_trial("single_thread", 1, 16, {"--server.max_events", max_events});
    ASSERT_TRUE(served(result, "max_events " + max_events));
    EXPECT_EQ(result["config"]["server"]["max_events"], std::stoi(max_events));
    double events = 0, wakeups = 0;
    for (const nlohmann::json& thread : result["metrics"]["threads"]) {
      if (thread["role"] != "server") continue;
      events += thread["events"].get<double>();
      wakeups += thread["wakeups"].get<double>();
    }
    ASSERT_GT(wakeups, 100) << max_events;
    if (several) {
      EXPECT_GT(events, wakeups * 1.05) << "max_events " << max_events;
    } else {
      EXPECT_EQ(events, wakeups) << "max_events " << max_events;
    }
  }
  const auto refused = testing::run_echolab({"trial", "--model", "io_uring", "--server.max_events", "10"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
}

TEST(LoadWait, ASpinningClientPollsInsteadOfSleepingAndIsNotCalledTheLimitWhileItWaits) {
  // A lone ping-pong: the spinning client polls between each request and
  // its echo, so most of its polls are empty and it did not set the pace.
  const nlohmann::json result = testing::rr_trial("single_thread", 1, 1, {"--load.wait", "spin"});
  ASSERT_TRUE(served(result, "load.wait spin"));
  const nlohmann::json& m = result["metrics"];
  EXPECT_GT(m["client_empty_polls"].get<double>(), m["client_wakeups"].get<double>() * 0.1);
  EXPECT_GT(m["client_wakeups"].get<double>(), 0) << "a spinning lone connection stays in the loop";
  EXPECT_EQ(result["client_bound"], false);

  const nlohmann::json blocking = testing::rr_trial("single_thread", 1, 1);
  ASSERT_TRUE(served(blocking, "load.wait block"));
  EXPECT_EQ(blocking["metrics"]["client_empty_polls"].get<double>(), 0);
}

TEST(ServerCpuPerRequest, IsTheServersCpuOverTheRequestsAnsweredAndOnlyForRequestWorkloads) {
  const nlohmann::json result = testing::rr_trial("single_thread", 1, 2);
  ASSERT_TRUE(served(result, "rr"));
  const nlohmann::json& m = result["metrics"];
  const double requests = m["requests_per_s"].get<double>() * m["window_s"].get<double>();
  EXPECT_NEAR(m["server_cpu_us_per_request"].get<double>(), m["server_cpu_s"].get<double>() * 1e6 / requests,
              1e-6 * m["server_cpu_us_per_request"].get<double>());
  const auto stream = testing::run_echolab({"trial", "--duration", "0.2", "--warmup", "0.05", "--json"});
  const nlohmann::json streamed = nlohmann::json::parse(stream.out, nullptr, false);
  ASSERT_TRUE(streamed.is_object()) << stream.out << stream.err;
  EXPECT_FALSE(streamed["metrics"].contains("server_cpu_us_per_request"));
}

TEST(UringOptions, ModelsListsThemWithTheirDefaults) {
  const auto run = testing::run_echolab({"models"});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  for (const char* text : {"task_run=\"defer\"", "recv=\"multishot\"", "submit=\"batched\"", "wait=\"block\""}) {
    EXPECT_NE(run.out.find(text), std::string::npos) << text << " in\n" << run.out;
  }
}

}  // namespace
}  // namespace echolab
