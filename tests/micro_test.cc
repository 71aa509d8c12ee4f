// echolab-micro: every benchmark family registered for each placement this
// machine offers, run with a tiny minimum time; its Google Benchmark JSON is
// checked for names, placements, CPUs and counters. No speed is asserted.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/topology.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

/// Exit status and output of one echolab-micro run; a plain value.
struct MicroRun {
  int exit_code = -1;
  std::string out, err;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// A file name in the test temp dir unique to this test and process (ctest
/// may run tests in parallel).
std::string temp_path(const std::string& what) {
  return ::testing::TempDir() + "echolab_micro_" + ::testing::UnitTest::GetInstance()->current_test_info()->name() +
         "_" + std::to_string(getpid()) + "." + what;
}

/// Runs echolab-micro with `args` (shell words, no quoting needed).
MicroRun run_micro(const std::string& args) {
  const std::string base = temp_path("run");
  const std::string command = std::string("timeout 120 '") + testing::kMicroBinary + "' " + args + " >'" + base +
                              ".out' 2>'" + base + ".err' </dev/null";
  const int status = std::system(command.c_str());
  MicroRun run;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  run.out = read_file(base + ".out");
  run.err = read_file(base + ".err");
  std::remove((base + ".out").c_str());
  std::remove((base + ".err").c_str());
  return run;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, separator);) parts.push_back(part);
  return parts;
}

/// Counters each family must report, by benchmark name prefix.
const std::vector<std::pair<std::string, std::vector<std::string>>> kFamilies = {
    {"BM_EventfdRoundTrip", {"ns_per_roundtrip", "roundtrips_per_s"}},
    {"BM_CondvarRoundTrip", {"ns_per_roundtrip", "roundtrips_per_s"}},
    {"BM_CacheLinePingPong", {"ns_per_roundtrip", "roundtrips_per_s"}},
    {"BM_FdHandoff", {"ns_per_handoff", "handoffs_per_s", "queue_ns_per_handoff"}},
    {"BM_EpollWait_level", {"ns_per_wait", "waits_per_s", "ns_per_ready_fd", "ready_fds_per_s"}},
    {"BM_EpollWait_edge",
     {"ns_per_wait", "waits_per_s", "ns_per_ready_fd", "ready_fds_per_s", "retrigger_ns_per_wait"}},
    {"BM_EpollOneshotRearm", {"ns_per_event", "events_per_s", "rearm_ns_per_event"}},
    {"BM_SharedAccept",
     {"ns_per_accept", "accepts_per_s", "wakeups_per_accept", "empty_wakeups_per_accept",
      "acceptor_switches_per_accept"}},
    {"BM_Loopback4KiB", {"ns_per_roundtrip", "roundtrips_per_s", "echo_mb_per_s"}},
};

/// Benchmarks run once per placement pair, and those run on one PU.
const std::vector<std::string> kPairBenchmarks = {
    "BM_EventfdRoundTrip", "BM_CondvarRoundTrip",          "BM_CacheLinePingPong",
    "BM_FdHandoff",        "BM_SharedAccept_n2",           "BM_SharedAccept_n2_exclusive",
    "BM_SharedAccept_n4",  "BM_SharedAccept_n4_exclusive", "BM_Loopback4KiB"};
const std::vector<std::string> kSingleBenchmarks = {
    "BM_EpollWait_level_k1", "BM_EpollWait_level_k16", "BM_EpollWait_level_k256", "BM_EpollWait_edge_k1",
    "BM_EpollWait_edge_k16", "BM_EpollWait_edge_k256", "BM_EpollOneshotRearm"};

const std::vector<std::string>& counters_of(const std::string& benchmark) {
  for (const auto& [prefix, counters] : kFamilies) {
    if (benchmark.rfind(prefix, 0) == 0) return counters;
  }
  static const std::vector<std::string> none;
  ADD_FAILURE() << "benchmark of no known family: " << benchmark;
  return none;
}

/// "pu:N" -> the OS PU it names on this machine (-1 when it names none).
int os_pu(const Topology& topology, const std::string& location) {
  try {
    CpuList cpus = topology.resolve(location);
    return cpus.size() == 1 ? cpus[0] : -1;
  } catch (const std::invalid_argument&) {
    return -1;
  }
}

/// OS PU -> "pu:N" with its hwloc logical index.
std::string location_of(const Topology& topology, int os) {
  const CpuList all = topology.all_pus();
  return "pu:" + std::to_string(std::find(all.begin(), all.end(), os) - all.begin());
}

TEST(MicroTest, EveryBenchmarkRunsPerPlacementWithItsCounters) {
  const std::string json_path = temp_path("json");
  MicroRun run = run_micro("--benchmark_min_time=0.001 --benchmark_out_format=json --benchmark_out=" + json_path);
  ASSERT_EQ(run.exit_code, 0) << run.err;

  const Topology& topology = Topology::system();
  std::map<std::string, PuPair> pairs;
  for (const PuPair& pair : topology.representative_pairs()) pairs[pair.relation] = pair;
  ASSERT_TRUE(pairs.count("same_pu"));
  for (PuRelation kind :
       {PuRelation::kSmtSibling, PuRelation::kOtherCore, PuRelation::kOtherL3, PuRelation::kOtherPackage}) {
    const std::string relation = pu_relation_name(kind);
    const bool says_skipped = run.err.find("skipping placement " + relation + ": ") != std::string::npos;
    EXPECT_EQ(says_skipped, !pairs.count(relation)) << relation << "\n" << run.err;
  }

  auto json = nlohmann::json::parse(read_file(json_path));
  std::remove(json_path.c_str());
  EXPECT_EQ(json["context"]["echolab_topology"], topology.summary());
  std::set<std::string> seen;
  for (const auto& entry : json["benchmarks"]) {
    const std::string name = entry["name"];
    SCOPED_TRACE(name);
    EXPECT_FALSE(entry.value("error_occurred", false)) << entry.value("error_message", "");
    // "<benchmark>/<placement>/<cpus>/<real_time|manual_time>", as plot/micro_data.py splits it.
    std::vector<std::string> parts = split(name, '/');
    ASSERT_EQ(parts.size(), 4u);
    EXPECT_TRUE(parts[3] == "real_time" || parts[3] == "manual_time");
    ASSERT_TRUE(pairs.count(parts[1])) << "placement not offered by this machine";
    const PuPair& pair = pairs[parts[1]];
    std::vector<std::string> cpus = split(parts[2], '-');
    if (cpus.size() == 2) {
      EXPECT_EQ(os_pu(topology, cpus[0]), pair.a);
      EXPECT_EQ(os_pu(topology, cpus[1]), pair.b);
    } else {
      ASSERT_EQ(cpus.size(), 1u);
      EXPECT_EQ(parts[1], "same_pu");
      EXPECT_EQ(os_pu(topology, cpus[0]), pair.a);
    }
    for (const std::string& counter : counters_of(parts[0])) {
      ASSERT_TRUE(entry.contains(counter) && entry[counter].is_number()) << "missing counter " << counter;
      const double value = entry[counter];
      EXPECT_TRUE(std::isfinite(value) && value >= 0) << counter << " = " << value;
    }
    seen.insert(parts[0] + "/" + parts[1] + "/" + parts[2]);
  }

  std::set<std::string> expected;
  for (const auto& [relation, pair] : pairs) {
    for (const std::string& benchmark : kPairBenchmarks) {
      expected.insert(benchmark + "/" + relation + "/" + location_of(topology, pair.a) + "-" +
                      location_of(topology, pair.b));
    }
  }
  for (const std::string& benchmark : kSingleBenchmarks) {
    expected.insert(benchmark + "/same_pu/" + location_of(topology, pairs["same_pu"].a));
  }
  EXPECT_EQ(seen, expected);
}

TEST(MicroTest, UnknownFlagGetsGoogleBenchmarksMessage) {
  MicroRun run = run_micro("--benchmark_no_such_flag=1");
  EXPECT_NE(run.exit_code, 0);
  EXPECT_NE(run.err.find("unrecognized command-line flag: --benchmark_no_such_flag=1"), std::string::npos) << run.err;
  EXPECT_EQ(run.out.find("BM_"), std::string::npos) << "ran benchmarks despite a bad flag";
}

}  // namespace
}  // namespace echolab
