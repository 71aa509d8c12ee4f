// Every built-in model's threads run where the plan puts them: a trial with
// the server on one PU and the client on the other, then the other way
// round, records for each server, client and extra-role thread the CPUs it
// was seen on (cpus_observed), and they lie within its planned set.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/topology.h"
#include "harness/config/config_keys.h"
#include "models/registry.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

Json trial_placed(const std::string& model, const std::string& server_pu, const std::string& client_pu) {
  const std::string threads = model == "single_thread" ? "1" : "2";
  const auto run = testing::run_echolab({"trial", "--model", model, "--threads", threads, "--server-cpus", server_pu,
                                         "--client-cpus", client_pu, "--server.bind", "thread", "--duration", "0.3",
                                         "--warmup", "0.1", "--json"});
  return Json::parse(run.out, nullptr, false);
}

TEST(PlacementObserved, EveryModelsThreadsRunOnTheirPlannedPus) {
  if (Topology::system().usable_pus().size() < 2) GTEST_SKIP() << "needs 2 usable PUs";
  for (const auto& info : model_registry()) {
    const std::string name(info.name);
    if (name == "external") continue;  // the OS's threads of another program: no plan of ours
    for (const auto& [server_pu, client_pu] : {std::pair{"pu:1", "pu:0"}, std::pair{"pu:0", "pu:1"}}) {
      const Json result = trial_placed(name, server_pu, client_pu);
      ASSERT_TRUE(result.is_object()) << name;
      if (result.value("status", "") == "skipped") continue;  // io_uring refused: LoopbackTest says so
      ASSERT_EQ(result.value("status", ""), "ok") << name << ": " << result.value("error", "");
      int checked = 0;
      for (const Json& thread : result["placement"]["threads"]) {
        const std::string who = name + " " + server_pu + ": " + thread.dump();
        const auto planned = thread["planned"].get<std::set<int>>();
        const auto observed = thread["observed"].get<std::set<int>>();
        ASSERT_FALSE(observed.empty()) << who;
        for (int cpu : observed) EXPECT_TRUE(planned.count(cpu)) << who;
        ++checked;
      }
      EXPECT_GE(checked, 3) << name << ": a server, a client and the sampler at least";
    }
  }
}

}  // namespace
}  // namespace echolab
