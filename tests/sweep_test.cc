// `echolab plan` and `echolab run` as a user runs them: bad specs exit 2
// with file:line:column and write nothing; failed, crashed and hung trials
// are recorded and the sweep goes on; a SIGKILLed sweep resumes with exactly
// one line per trial; Ctrl-C stops cleanly; experiments/quick.json runs
// (no process a trial started outlives it: sweep_processes_test.cc).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/config/config_keys.h"
#include "harness/sweep/spec.h"
#include "harness/sweep/sweep_runner.h"
#include "tests/sweep_support.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

namespace fs = std::filesystem;
using testing::complete_lines;
using testing::read_text;
using testing::read_trials;
using testing::run_dir_under;
using testing::run_echolab;
using testing::ScopedEnv;
using testing::spawn_echolab;
using testing::TempDir;
using testing::tiny_spec;
using testing::wait_exit_code;
using testing::wait_until;
using testing::write_text;

/// A spec with one mistake and the error it must produce; test data.
struct BadSpec {
  std::string text;
  std::string error_start;  // after "FILE:"
};

TEST(SweepCli, BadSpecsExitTwoWithFileLineColumnAndCreateNothing) {
  const std::vector<BadSpec> cases = {
      {"{\"name\": \"x\",\n \"matrix\": {\"server.model\": [\"single_thread\",]}}", "2:46: invalid JSON: "},
      {"{\"name\": \"x\",\n \"defaults\": {\"load\": {\"conections\": 4}}}",
       "2:24: defaults.load.conections: unknown key (did you mean 'load.connections'?)"},
      {"{\"name\": \"x\",\n \"matrix\": {\"load.connections\": [2, \"4\"]}}",
       "2:37: matrix.load.connections[1]: expected an integer"},
      {"{\"name\": \"x\",\n \"cases\": [{\"timing.duration_s\": -1}]}",
       "2:34: cases[0].timing.duration_s: -1.0 is out of range"},
      {"{\"name\": \"x\",\n \"matrix\": {\"server.model\": [\"nginx\"]}}",
       "2:30: matrix.server.model[0]: unknown model 'nginx'"},
      {"{\"name\": \"x\",\n \"defaults\": {\"server\": {\"cpus\": \"pu:64\"}}}",
       "2:34: defaults.server.cpus: location 'pu:64'"},
      {"{\"name\": \"x\",\n \"matrix\": {\"server.threads\": []}}",
       "2:31: matrix.server.threads: empty list: the matrix would have zero points"},
      {"{\"name\": \"x\",\n \"matrix\": {\"server.dispatch\": [\"least_connections\"]}}",
       "2:33: matrix.server.dispatch[0]: not an option of model single_thread"},
  };
  TempDir dir;
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string spec = dir / ("bad" + std::to_string(i) + ".json");
    write_text(spec, cases[i].text);
    for (const std::string command : {"run", "plan"}) {
      std::vector<std::string> args = {command, spec};
      if (command == "run") args.insert(args.end(), {"--out", dir / "out"});
      const auto result = run_echolab(args);
      EXPECT_EQ(result.exit_code, 2) << command << " " << cases[i].text << "\n" << result.err;
      EXPECT_EQ(result.err.rfind(spec + ":" + cases[i].error_start, 0), 0u) << result.err;
      EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
      EXPECT_TRUE(result.out.empty()) << result.out;
    }
    EXPECT_FALSE(fs::exists(dir / "out")) << cases[i].text;
  }
  // An output directory that cannot be made: one line, exit 2, nothing made.
  const std::string good = dir / "good.json";
  write_text(good, tiny_spec(1, 1));
  write_text(dir / "a-file", "");
  const auto result = run_echolab({"run", good, "--out", dir / "a-file/results"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("cannot write results under"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("is not a directory"), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
}

TEST(SweepCli, PlanAndDryRunShowPointsTrialsDurationAndPlacementWithoutRunning) {
  TempDir dir;
  const std::string spec = testing::source_path("experiments/quick.json");
  const auto plan = run_echolab({"plan", spec, "--topology", "pack:1 core:4 pu:2"});
  ASSERT_EQ(plan.exit_code, 0) << plan.err;
  EXPECT_NE(plan.out.find("3 points x 2 repetitions = 6 trials, about "), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("machine: 1 package, 4 cores, 8 PUs"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("  1: server#0 -> 1, client#0 -> 0"), std::string::npos) << plan.out;
  EXPECT_NE(plan.out.find("warning: server: 2 threads on 1 PUs"), std::string::npos) << plan.out;

  const auto filtered =
      run_echolab({"run", spec, "--dry-run", "--filter", "server.model=shared_listener", "--out", dir / "out"});
  ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
  EXPECT_NE(filtered.out.find("2 points x 2 repetitions = 4 trials"), std::string::npos) << filtered.out;
  EXPECT_NE(filtered.out.find("--filter keeps 2 of 3 points"), std::string::npos) << filtered.out;
  EXPECT_FALSE(fs::exists(dir / "out"));

  const auto none = run_echolab({"plan", spec, "--filter", "server.threads=3"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("matches none of the 3 points"), std::string::npos) << none.err;
}

TEST(SweepRun, OrderFlagsAreCheckedBeforeAnythingRuns) {
  TempDir dir;
  const std::string spec = dir / "order.json";
  write_text(spec, tiny_spec(2, 1));
  for (const auto& [flags, words] : std::vector<std::pair<std::vector<std::string>, std::string>>{
           {{"--seed", "-1"}, "--seed: '-1' is not an integer"},
           {{"--seed", "99999999999999999999999"}, "is not an integer"},
           {{"--seed", "5", "--order", "spec"}, "cannot go with --order spec"},
           {{"--order", "random"}, "--order: 'random' is not shuffled or spec"},
           {{"--resume", dir / "nowhere", "--seed", "5"}, ""}}) {
    std::vector<std::string> args = {"run", spec, "--out", dir / "out"};
    args.insert(args.end(), flags.begin(), flags.end());
    const auto result = run_echolab(args);
    EXPECT_EQ(result.exit_code, 2) << result.err;
    EXPECT_NE(result.err.find(words), std::string::npos) << result.err;
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(SweepCli, APointNeedingMoreMemoryThanTheMachineHasIsOneLineAndExit2UnlessForced) {
  TempDir dir;
  const std::string spec = dir / "huge.json";
  write_text(spec, R"({"name": "huge", "defaults": {"load": {"workload": "rr", "connections": 100000, "depth": 64,
                       "message_bytes": 1048576}}})");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"plan", spec}, std::vector<std::string>{"run", spec, "--out", dir / "out"}}) {
    const auto refused = run_echolab(args);
    EXPECT_EQ(refused.exit_code, 2) << refused.err;
    EXPECT_NE(refused.err.find("point 1 (single_thread): needs about 6.9 TB of memory"), std::string::npos)
        << refused.err;
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
  EXPECT_EQ(run_echolab({"plan", spec, "--force"}).exit_code, 0);
}

TEST(SweepRun, FailedCrashedAndHungTrialsAreRecordedAndTheSweepGoesOn) {
  TempDir dir;
  const std::string spec = dir / "faults.json";
  write_text(spec, tiny_spec(4, 1));
  const ScopedEnv faults("ECHOLAB_FAULT", "fail@1:1,hang@2:1,crash@3:1");
  // A sanitized trial beside another shard once needed more than 0.5 s
  // past its 0.2 s window (a TSan run timed out the trial that should pass).
  const ScopedEnv margin("ECHOLAB_TRIAL_MARGIN_S", testing::kSanitized ? "3" : "0.5");
  // Spec order, so that the trials' lines are in point order.
  const auto result = run_echolab({"run", spec, "--out", dir / "results", "--order", "spec"}, 60);
  EXPECT_EQ(result.exit_code, 1) << result.out << result.err;  // 1: some trial failed
  const auto trials = read_trials(run_dir_under(dir / "results"));
  ASSERT_EQ(trials.size(), 4u) << result.out;
  EXPECT_EQ(trials[0]["status"], "failed");
  EXPECT_NE(trials[0]["error"].get<std::string>().find("injected failure"), std::string::npos);
  EXPECT_EQ(trials[1]["status"], "timeout");
  EXPECT_NE(trials[1]["error"].get<std::string>().find(testing::kSanitized ? "no result within 3.2 s"
                                                                           : "no result within 0.7 s"),
            std::string::npos)
      << trials[1]["error"];
  EXPECT_EQ(trials[2]["status"], "failed");
  EXPECT_NE(trials[2]["error"].get<std::string>().find("signal 11"), std::string::npos) << trials[2]["error"];
  EXPECT_EQ(trials[3]["status"], "ok") << trials[3]["error"];
  for (const auto& trial : trials) {
    for (const char* key : {"schema", "config_id", "repetition", "label", "varied", "config", "status", "error",
                            "placement", "metrics", "series"}) {
      EXPECT_TRUE(trial.contains(key)) << key;
    }
    EXPECT_FALSE(trial["placement"]["threads"].empty());  // planned even when the child wrote nothing
  }
  const std::string summary = read_text(run_dir_under(dir / "results") + "/summary.csv");
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 5) << summary;
}

TEST(SweepRun, SigkilledSweepResumesWithExactlyOneLinePerTrial) {
  TempDir dir;
  const std::string spec = dir / "kill.json";
  write_text(spec, tiny_spec(2, 3));
  const pid_t sweep = spawn_echolab({"run", spec, "--out", dir / "results"}, dir);
  std::string trials_path;
  ASSERT_TRUE(wait_until(
      [&] {
        if (!fs::exists(dir / "results/latest/trials.jsonl")) return false;
        trials_path = dir / "results/latest/trials.jsonl";
        return complete_lines(trials_path) >= 2;
      },
      std::chrono::seconds(30)))
      << read_text(dir / "spawned.out");
  kill(sweep, SIGKILL);  // mid-trial: the third trial is running
  wait_exit_code(sweep);
  const size_t before = complete_lines(trials_path);
  ASSERT_LT(before, 6u);
  // A kill during the write leaves half a line: resume must cut it.
  std::ofstream(trials_path, std::ios::app) << "{\"schema\":1,\"config_id\":\"0123";

  const auto different = run_echolab({"run", dir / "other.json", "--resume", dir / "results"});
  EXPECT_EQ(different.exit_code, 2);  // (no such spec file)
  write_text(dir / "other.json", tiny_spec(3, 3));
  const auto mismatch = run_echolab({"run", dir / "other.json", "--resume", dir / "results"});
  EXPECT_EQ(mismatch.exit_code, 2);
  EXPECT_NE(mismatch.err.find("point 3 (read_buffer=16384) is new"), std::string::npos) << mismatch.err;

  const auto resumed = run_echolab({"run", spec, "--resume", dir / "results"}, 60);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.err.find("cut a torn last line"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.out.find(std::to_string(6 - before) + " trial(s) run"), std::string::npos) << resumed.out;
  const auto trials = read_trials(run_dir_under(dir / "results"));
  ASSERT_EQ(trials.size(), 6u);
  std::set<std::pair<std::string, int>> pairs;
  for (const auto& trial : trials) pairs.insert({trial["config_id"], trial["repetition"].get<int>()});
  EXPECT_EQ(pairs.size(), 6u);
  const Json meta = Json::parse(read_text(run_dir_under(dir / "results") + "/meta.json"));
  EXPECT_EQ(meta["resumed"].size(), 1u);
  EXPECT_TRUE(meta["end_time"].is_string());
}

TEST(SweepRun, ASecondRunOnARunDirectoryInUseIsRefusedAndChangesNothing) {
  TempDir dir;
  const std::string spec = dir / "busy.json";
  write_text(spec, tiny_spec(2, 1));
  // The first trial hangs until its deadline (30 s from now): the sweep is
  // certainly still running while the second run tries the directory.
  const ScopedEnv faults("ECHOLAB_FAULT", "hang@1:1");
  const ScopedEnv margin("ECHOLAB_TRIAL_MARGIN_S", "30");
  const pid_t sweep = spawn_echolab({"run", spec, "--out", dir / "results", "--order", "spec"}, dir);
  ASSERT_TRUE(wait_until([&] { return fs::exists(dir / "results/latest/trials.jsonl"); }, std::chrono::seconds(30)))
      << read_text(dir / "spawned.out");
  const auto second = run_echolab({"run", spec, "--resume", dir / "results"});
  EXPECT_EQ(second.exit_code, 2) << second.out << second.err;
  EXPECT_NE(second.err.find("is in use by another echolab run"), std::string::npos) << second.err;
  const auto summarize = run_echolab({"summarize", dir / "results"});
  EXPECT_EQ(summarize.exit_code, 2) << summarize.err;
  EXPECT_FALSE(fs::exists(run_dir_under(dir / "results") + "/summary.csv"));  // nothing written meanwhile
  kill(sweep, SIGKILL);
  wait_exit_code(sweep);
  // The lock went with the run (and its trial child, killed with it).
  ASSERT_TRUE(wait_until(
      [&] {
        return run_echolab({"summarize", dir / "results"}).exit_code == 0;
      },
      std::chrono::seconds(10)));
}

TEST(SweepRun, CtrlCStopsAfterTheTrialInProgressAndLeavesAResumableRun) {
  TempDir dir;
  const std::string spec = dir / "interrupt.json";
  write_text(spec, tiny_spec(2, 2));
  const pid_t sweep = spawn_echolab({"run", spec, "--out", dir / "results"}, dir);
  ASSERT_TRUE(
      wait_until([&] { return complete_lines(dir / "results/latest/trials.jsonl") >= 1; }, std::chrono::seconds(30)));
  kill(sweep, SIGINT);
  EXPECT_EQ(wait_exit_code(sweep), 130) << read_text(dir / "spawned.out");
  const std::string run_dir = run_dir_under(dir / "results");
  const auto trials = read_trials(run_dir);
  EXPECT_LE(trials.size(), 2u);
  for (const auto& trial : trials) EXPECT_EQ(trial["status"], "ok") << trial["error"];
  EXPECT_NE(read_text(dir / "spawned.out").find("--resume"), std::string::npos);
  const auto resumed = run_echolab({"run", "--resume", run_dir}, 60);  // the spec comes from the run
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(read_trials(run_dir).size(), 4u);
}

TEST(SweepRun, EachPointsMergedLatencyHistogramIsWrittenAsHdrHistogramText) {
  TempDir dir;
  write_text(dir / "hgrm.json",
             R"({"name": "hgrm", "defaults": {"timing": {"warmup_s": 0, "duration_s": 0.2, "interval_ms": 50},
                 "repetitions": 2, "load": {"workload": "rr"}}, "matrix": {"load.depth": [1, 2]}})");
  const auto result = run_echolab({"run", dir / "hgrm.json", "--out", dir / "results"}, 60);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string run_dir = run_dir_under(dir / "results");
  std::istringstream summary(read_text(run_dir + "/summary.csv"));
  std::string header, row;
  std::getline(summary, header);
  std::vector<std::string> columns;
  for (std::istringstream cells(header); std::getline(cells, row, ',');) columns.push_back(row);
  const size_t p50 = std::find(columns.begin(), columns.end(), "latency_us_p50_merged") - columns.begin();
  ASSERT_LT(p50, columns.size());
  int points = 0;
  while (std::getline(summary, row)) {
    std::vector<std::string> cells;
    for (std::istringstream in(row); std::getline(in, header, ',');) cells.push_back(header);
    const std::string hgrm = read_text(run_dir + "/histograms/" + cells[0] + ".hgrm");
    ASSERT_FALSE(hgrm.empty()) << cells[0];
    EXPECT_EQ(hgrm.find("       Value     Percentile TotalCount 1/(1-Percentile)"), 0u) << hgrm.substr(0, 80);
    // Its 50% line is the point's merged p50 in summary.csv; its last line
    // is 100% of every request of the point's repetitions.
    std::istringstream lines(hgrm);
    std::string line;
    double value = 0, percentile = 0, count = 0, median = -1, last_count = 0;
    while (std::getline(lines, line)) {
      if (line.empty() || line[0] == '#' || line.find("Value") != std::string::npos) continue;
      std::istringstream(line) >> value >> percentile >> count;
      if (percentile == 0.5) median = value;
      last_count = count;
    }
    EXPECT_EQ(percentile, 1.0) << cells[0];
    EXPECT_NEAR(median, std::stod(cells[p50]), 0.001) << cells[0];
    double requests = 0;
    for (const Json& trial : read_trials(run_dir)) {
      if (trial["config_id"] == cells[0]) requests += trial["histograms"]["latency_ns"]["count"].get<double>();
    }
    EXPECT_EQ(last_count, requests) << cells[0];
    ++points;
  }
  EXPECT_EQ(points, 2);
}

TEST(SweepRun, QuickExperimentRunsEndToEnd) {
  TempDir dir;
  const std::string quick = testing::source_path("experiments/quick.json");
  const auto result = run_echolab({"run", quick, "--out", dir / "quick", "--seed", "7"}, 60);
  ASSERT_EQ(result.exit_code, 0) << result.out << result.err;
  const std::string run_dir = run_dir_under(dir / "quick");
  EXPECT_TRUE(fs::is_symlink(dir / "quick/latest"));
  EXPECT_EQ(fs::read_symlink(dir / "quick/latest"), fs::path(run_dir).filename());  // relative link
  const auto trials = read_trials(run_dir);
  ASSERT_EQ(trials.size(), 6u);
  for (const auto& trial : trials) {
    EXPECT_EQ(trial["status"], "ok") << trial["error"];
    EXPECT_GT(trial["metrics"]["throughput_mb_s"].get<double>(), 0);
  }
  // Interleaved (repetition 1 of every point first), each repetition in the
  // order the seed draws for it.
  const Spec spec = Spec::load(quick);
  std::vector<const SpecPoint*> points;
  for (const auto& point : spec.points()) points.push_back(&point);
  const auto planned = interleaved_trials(points, 2, {}, 7);
  ASSERT_EQ(planned.size(), trials.size());
  for (size_t i = 0; i < trials.size(); ++i) {
    EXPECT_EQ(trials[i]["repetition"], planned[i].repetition);
    EXPECT_EQ(trials[i]["config_id"], planned[i].point->config_id) << "trial " << i;
  }
  EXPECT_EQ(read_text(run_dir + "/spec.json"), read_text(testing::source_path("experiments/quick.json")));
  const Json meta = Json::parse(read_text(run_dir + "/meta.json"));
  for (const char* key : {"host", "cpu_model", "kernel", "topology", "compiler", "compiler_flags", "build_type",
                          "git_commit", "git_dirty", "echolab_version", "start_time", "end_time", "command_line",
                          "order_seed", "cpu_mhz_source", "peers"}) {
    EXPECT_TRUE(meta.contains(key)) << key;
  }
  EXPECT_EQ(meta["order_seed"], 7);
  EXPECT_TRUE(meta["peers"].empty());  // no external server
  const std::string summary = read_text(run_dir + "/summary.csv");
  EXPECT_EQ(summary.rfind("config_id,label,server.model,server.threads,n_ok,n_trials,throughput_mb_s_median,", 0), 0u);
  EXPECT_EQ(std::count(summary.begin(), summary.end(), '\n'), 4);
  EXPECT_NE(result.out.find("MB/s median"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("plot/report.py "), std::string::npos) << result.out;
}

}  // namespace
}  // namespace echolab
