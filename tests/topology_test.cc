// Topology loading, location syntax, relations and orders on synthetic
// machines; binding and observed CPUs on the real one.
#include "core/topology.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <system_error>
#include <thread>

#include "harness/cli/topo_command.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

using testing::kThisMachine;
using testing::kTwoL3;
using testing::kTwoSocketSmt;
// Intel-style numbering: SMT siblings are OS 0,2 and 1,3.
constexpr const char* kInterleavedOs = "pack:1 core:2 pu:2(indexes=0,2,1,3)";

std::string resolve_error(const Topology& topology, const std::string& location) {
  try {
    topology.resolve(location);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error for '" + location + "'";
}

TEST(TopologyTest, SummariesNameWhatTheMachineHas) {
  EXPECT_EQ(Topology::load(kThisMachine)->summary(), "1 package, 2 cores, 2 PUs");
  EXPECT_EQ(Topology::load(kTwoSocketSmt)->summary(), "2 packages, 16 cores, 32 PUs, SMT x2");
  EXPECT_EQ(Topology::load(kTwoL3)->summary(), "1 package, 2 L3, 8 cores, 8 PUs");
  EXPECT_EQ(Topology::load("pack:2 numa:1 core:2 pu:1")->summary(), "2 packages, 2 NUMA nodes, 4 cores, 4 PUs");
}

TEST(TopologyTest, ResolvesHwlocCalcLocations) {
  auto topology = Topology::load(kThisMachine);
  EXPECT_EQ(topology->resolve("pu:1"), CpuList({1}));
  EXPECT_EQ(topology->resolve("core:0-1"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("all"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("numa:0"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("pack:0"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("package:0"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("socket:0"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("core:all"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("pu:1,core:0"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve(" PU:1 "), CpuList({1}));
  EXPECT_EQ(topology->resolve("1"), CpuList({1}));
  EXPECT_EQ(topology->resolve("0-1"), CpuList({0, 1}));
  EXPECT_EQ(topology->resolve("1,0"), CpuList({0, 1}));
}

TEST(TopologyTest, ResolvesCachesPackagesAndContinuedLists) {
  auto smt = Topology::load(kTwoSocketSmt);
  EXPECT_EQ(smt->resolve("core:1"), CpuList({2, 3}));
  EXPECT_EQ(smt->resolve("core:0,2"), CpuList({0, 1, 4, 5}));  // "2" continues core:
  EXPECT_EQ(smt->resolve("0,2-3"), CpuList({0, 2, 3}));        // bare list: OS PUs
  EXPECT_EQ(smt->resolve("pack:1").size(), 16u);
  EXPECT_EQ(smt->resolve("pack:1").front(), 16);
  auto l3 = Topology::load(kTwoL3);
  EXPECT_EQ(l3->resolve("l3:1"), CpuList({4, 5, 6, 7}));
  EXPECT_EQ(l3->resolve("l3cache:0"), CpuList({0, 1, 2, 3}));
}

TEST(TopologyTest, TypedIndexesAreLogicalBareListsAreOs) {
  auto topology = Topology::load(kInterleavedOs);
  EXPECT_EQ(topology->resolve("pu:1"), CpuList({2}));
  EXPECT_EQ(topology->resolve("1"), CpuList({1}));
  EXPECT_EQ(topology->resolve("core:0"), CpuList({0, 2}));
  EXPECT_EQ(topology->compact_order({0, 1, 2, 3}), CpuList({0, 2, 1, 3}));
  EXPECT_EQ(topology->spread_order({0, 1, 2, 3}), CpuList({0, 1, 2, 3}));
  EXPECT_EQ(topology->relation(0, 2), PuRelation::kSmtSibling);
  EXPECT_EQ(topology->relation(0, 1), PuRelation::kOtherCore);
}

TEST(TopologyTest, LocationErrorsNameTheLocationAndWhatExists) {
  auto topology = Topology::load(kThisMachine);
  EXPECT_EQ(resolve_error(*topology, "pu:9"), "location 'pu:9': this topology has 2 PUs (pu:0-1)");
  EXPECT_EQ(resolve_error(*topology, "core:2"), "location 'core:2': this topology has 2 cores (core:0-1)");
  EXPECT_EQ(resolve_error(*topology, "pack:1"), "location 'pack:1': this topology has 1 package (pack:0)");
  EXPECT_EQ(resolve_error(*topology, "l3:0"), "location 'l3:0': this topology has no L3 caches");
  EXPECT_EQ(resolve_error(*topology, "pu:0,pu:9"), "location 'pu:0,pu:9': 'pu:9': this topology has 2 PUs (pu:0-1)");
  EXPECT_EQ(resolve_error(*topology, "5"), "location '5': this topology has no PU with OS index 5 (OS indexes 0-1)");
  EXPECT_EQ(resolve_error(*topology, "core:3-1"),
            "location 'core:3-1': range 3-1 in 'core:3-1' is reversed (write 1-3)");
  EXPECT_EQ(resolve_error(*topology, "bogus:1"),
            "location 'bogus:1': unknown object type 'bogus' (known: pu, core, l2, l3, numa, pack, all)");
  EXPECT_NE(resolve_error(*topology, "pu:").find("location 'pu:': 'pu:' has no index"), std::string::npos);
  EXPECT_NE(resolve_error(*topology, "").find("location '': empty location"), std::string::npos);
  EXPECT_NE(resolve_error(*topology, "pu:0,,pu:1").find("empty item"), std::string::npos);
  EXPECT_NE(resolve_error(*topology, "pu:x").find("'x' in 'pu:x' is not an index"), std::string::npos);
  EXPECT_NE(resolve_error(*topology, "0x3").find("is not an index"), std::string::npos);
}

TEST(TopologyTest, BadSourcesThrowInvalidArgument) {
  try {
    Topology::load("bogus:3");
    FAIL() << "bogus synthetic description accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("topology 'bogus:3': neither an existing hwloc XML file"), std::string::npos);
  }
  EXPECT_THROW(Topology::load("/no/such/machine.xml"), std::invalid_argument);
  EXPECT_THROW(Topology::load(""), std::invalid_argument);
}

TEST(TopologyTest, XmlRoundTrip) {
  auto synthetic = Topology::load(kTwoSocketSmt);
  std::string path = ::testing::TempDir() + "echolab_topology_test.xml";
  std::ofstream(path) << synthetic->export_xml();
  auto from_xml = Topology::load(path);
  EXPECT_EQ(from_xml->summary(), synthetic->summary());
  EXPECT_EQ(from_xml->source(), path);
  EXPECT_EQ(from_xml->resolve("core:9"), CpuList({18, 19}));
  std::remove(path.c_str());
}

TEST(TopologyTest, RelationsAndRepresentativePairs) {
  auto smt = Topology::load(kTwoSocketSmt);
  EXPECT_EQ(smt->relation(0, 0), PuRelation::kSamePu);
  EXPECT_EQ(smt->relation(0, 1), PuRelation::kSmtSibling);
  EXPECT_EQ(smt->relation(0, 2), PuRelation::kOtherCore);
  EXPECT_EQ(smt->relation(3, 16), PuRelation::kOtherPackage);
  EXPECT_THROW(smt->relation(0, 99), std::invalid_argument);
  auto names = [](const std::vector<PuPair>& pairs) {
    std::string out;
    for (const PuPair& p : pairs) out += p.relation + " " + std::to_string(p.a) + "/" + std::to_string(p.b) + ";";
    return out;
  };
  EXPECT_EQ(names(smt->representative_pairs()), "same_pu 0/0;smt_sibling 0/1;other_core 0/2;other_package 0/16;");
  EXPECT_EQ(names(Topology::load(kTwoL3)->representative_pairs()), "same_pu 0/0;other_core 0/1;other_l3 0/4;");
  EXPECT_EQ(names(Topology::load(kThisMachine)->representative_pairs()), "same_pu 0/0;other_core 0/1;");
}

TEST(TopologyTest, SpreadGoesAcrossPackagesAndCachesBeforeSiblings) {
  auto smt = Topology::load(kTwoSocketSmt);
  CpuList spread = smt->spread_order(smt->resolve("all"));
  ASSERT_EQ(spread.size(), 32u);
  EXPECT_EQ(CpuList(spread.begin(), spread.begin() + 4), CpuList({0, 16, 2, 18}));
  EXPECT_EQ(spread[15], 30);
  EXPECT_EQ(CpuList(spread.begin() + 16, spread.begin() + 18), CpuList({1, 17}));  // siblings last
  EXPECT_EQ(smt->spread_order(smt->resolve("core:0-1")), CpuList({0, 2, 1, 3}));
  EXPECT_EQ(smt->compact_order(smt->resolve("core:0-1")), CpuList({0, 1, 2, 3}));
  auto l3 = Topology::load(kTwoL3);
  EXPECT_EQ(l3->spread_order(l3->resolve("all")), CpuList({0, 4, 1, 5, 2, 6, 3, 7}));
}

TEST(TopologyTest, DrawShowsPackagesCachesCoresAndPus) {
  std::string smt = Topology::load(kTwoSocketSmt)->draw();
  EXPECT_NE(smt.find("Package#1\n"), std::string::npos) << smt;
  EXPECT_NE(smt.find("Core#8: PU#16 (os 16), PU#17 (os 17)\n"), std::string::npos) << smt;
  std::string l3 = Topology::load(kTwoL3)->draw();
  EXPECT_NE(l3.find("L3#1 (16MB)\n      Core#4: PU#4 (os 4)\n"), std::string::npos) << l3;
  EXPECT_EQ(l3.find("not usable"), std::string::npos);
}

TEST(TopologyTest, SystemTopologyUsablePusAreAll) {
  auto machine = Topology::load_system();
  EXPECT_TRUE(machine->is_system());
  CpuList usable = machine->usable_pus();
  ASSERT_FALSE(usable.empty());
  EXPECT_EQ(machine->resolve("all"), usable);
  for (int pu : usable) EXPECT_TRUE(machine->has_pu(pu));
  // Against a source other than hwloc: the kernel's list of online CPUs
  // (usable PUs are online ones; all of them where no cpuset restricts us).
  std::ifstream online_file("/sys/devices/system/cpu/online");
  std::string online_text;
  ASSERT_TRUE(std::getline(online_file, online_text));
  const CpuList online = machine->resolve(online_text);  // "0-1" is a bare OS-index list
  for (int pu : usable) EXPECT_NE(std::find(online.begin(), online.end(), pu), online.end()) << pu;
  EXPECT_EQ(static_cast<long>(online.size()), sysconf(_SC_NPROCESSORS_ONLN));
}

/// The usable PU a binding test moves a thread to, or -1 to skip.
int second_usable_pu() {
  CpuList usable = Topology::system().usable_pus();
  return usable.size() < 2 ? -1 : usable[1];
}

TEST(TopologyBindingTest, BoundThreadRunsOnItsPu) {
  const int target = second_usable_pu();
  if (target < 0) GTEST_SKIP() << "needs at least 2 usable PUs";
  std::mutex mutex;
  std::condition_variable done_cv;
  bool done = false;
  int observed = -1;
  CpuList binding;
  std::string error;
  std::thread worker([&] {
    int cpu = -1;
    CpuList bound;
    std::string failure;
    try {
      bind_current_thread({target});
      bound = current_thread_binding();
      // The kernel migrates on the affinity change; poll with a deadline.
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while ((cpu = sched_getcpu()) != target && std::chrono::steady_clock::now() < deadline) sched_yield();
    } catch (const std::exception& e) {
      failure = e.what();
    }
    std::lock_guard<std::mutex> lock(mutex);
    observed = cpu;
    binding = bound;
    error = failure;
    done = true;
    done_cv.notify_one();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    ASSERT_TRUE(done_cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; })) << "worker never reported";
  }
  worker.join();
  EXPECT_EQ(error, "");
  EXPECT_EQ(observed, target);
  EXPECT_EQ(binding, CpuList({target}));
}

TEST(TopologyBindingTest, BindingToAMissingCpuNamesIt) {
  try {
    bind_current_thread({4000});
    FAIL() << "bound to CPU 4000";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("bind thread to CPUs 4000"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(bind_current_thread({}));
}

TEST(TopologyBindingTest, BindProcessBindsEveryThreadOfAChild) {
  const int target = second_usable_pu();
  if (target < 0) GTEST_SKIP() << "needs at least 2 usable PUs";
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // waits until the parent closes the pipe
    close(pipe_fds[1]);
    char byte;
    while (read(pipe_fds[0], &byte, 1) > 0) {
    }
    _exit(0);
  }
  close(pipe_fds[0]);
  std::string error;
  try {
    bind_process(child, {target});
  } catch (const std::exception& e) {
    error = e.what();
  }
  cpu_set_t mask;
  CPU_ZERO(&mask);
  int rc = sched_getaffinity(child, sizeof mask, &mask);
  close(pipe_fds[1]);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(error, "");
  ASSERT_EQ(rc, 0);
  EXPECT_EQ(CPU_COUNT(&mask), 1);
  EXPECT_TRUE(CPU_ISSET(target, &mask));
}

TEST(TopologyCommandTest, PrintsSummaryDrawingAndUsablePus) {
  std::ostringstream out, err;
  EXPECT_EQ(run_topo_command({"--topology", kTwoL3}, out, err), 0);
  EXPECT_EQ(err.str(), "");
  EXPECT_EQ(out.str().rfind("pack:1 l3:2 core:4 pu:1: 1 package, 2 L3, 8 cores, 8 PUs\nMachine", 0), 0u) << out.str();
  EXPECT_NE(out.str().find("usable PUs: 0-7 (8 of 8)\n"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("PU pairs: same_pu 0/0, other_core 0/1, other_l3 0/4\n"), std::string::npos);
}

TEST(TopologyCommandTest, BadTopologyIsOneLineAndExitTwo) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--topology", "bogus:2"}, {"--topology"}, {"--verbose"}}) {
    std::ostringstream out, err;
    EXPECT_EQ(run_topo_command(args, out, err), 2);
    const std::string message = err.str();
    EXPECT_EQ(message.rfind("echolab topo: ", 0), 0u) << message;
    EXPECT_EQ(std::count(message.begin(), message.end(), '\n'), 1) << message;
    EXPECT_EQ(out.str(), "");
  }
}

}  // namespace
}  // namespace echolab
