// Experiment specs in process: matrix expansion, cases, exclude, the
// interleaved trial order, config_id stability, --filter, the error
// locator, and the summary statistics.
#include "harness/sweep/spec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "harness/cli/cli_args.h"
#include "harness/sweep/json_locator.h"
#include "harness/sweep/memory_bound.h"
#include "harness/sweep/point_filter.h"
#include "harness/sweep/results_dir.h"
#include "harness/sweep/sweep_runner.h"
#include "harness/sweep/sweep_summary.h"

namespace echolab {
namespace {

std::vector<std::string> names_of(const Spec& spec) {
  std::vector<std::string> names;
  for (const auto& point : spec.points()) names.push_back(point.display_name());
  return names;
}

// The message of the SpecError that parsing `text` throws ("" if none).
std::string spec_error(const std::string& text) {
  try {
    Spec::parse(text, "t.json");
  } catch (const SpecError& error) {
    return error.what();
  }
  return "";
}

TEST(SpecExpansion, MatrixIsACartesianProductWithTheFirstKeySlowest) {
  const Spec spec = Spec::parse(R"({
    "name": "m",
    "matrix": {"server.model": ["single_thread", "shared_listener"], "server.read": ["once", "drain"]}
  })",
                                "m.json");
  EXPECT_EQ(names_of(spec),
            (std::vector<std::string>{"model=single_thread, read=once", "model=single_thread, read=drain",
                                      "model=shared_listener, read=once", "model=shared_listener, read=drain"}));
  EXPECT_EQ(spec.varied_keys(), (std::vector<std::string>{"server.model", "server.read"}));
  for (int i = 0; i < 4; ++i) EXPECT_EQ(spec.points()[i].number, i + 1);
  EXPECT_EQ(spec.repetitions(), 1);
}

TEST(SpecExpansion, DefaultsResolveEveryKeyAndValuesOverrideThem) {
  const Spec spec = Spec::parse(R"({
    // comments are allowed
    "name": "d",
    "defaults": {"server": {"model": "reuseport", "threads": 3, "read_buffer": 4096}, "timing": {"duration_s": 2},
                 "repetitions": 4},
    "matrix": {"server.read_buffer": [8192]}
  })",
                                "d.json");
  ASSERT_EQ(spec.points().size(), 1u);
  const Json& config = spec.points()[0].config;
  EXPECT_EQ(get_key(config, "server.threads"), 3);
  EXPECT_EQ(get_key(config, "server.read_buffer"), 8192);
  EXPECT_EQ(get_key(config, "timing.duration_s"), 2.0);
  EXPECT_EQ(get_key(config, "load.message_bytes"), find_key("load.message_bytes")->default_value);
  EXPECT_EQ(spec.repetitions(), 4);
}

TEST(SpecExpansion, CasesFollowTheMatrixWithLabelsAndWidenTheVariedKeys) {
  const Spec spec = Spec::parse(R"({
    "name": "c",
    "matrix": {"server.model": ["single_thread"]},
    "cases": [{"label": "pool", "server.model": "shared_listener", "server.threads": 4},
              {"server.model": "reuseport", "server.threads": 2}],
    "repetitions": 2
  })",
                                "c.json");
  ASSERT_EQ(spec.points().size(), 3u);
  EXPECT_EQ(spec.varied_keys(), (std::vector<std::string>{"server.model", "server.threads"}));
  EXPECT_EQ(spec.points()[0].varied, Json({{"server.model", "single_thread"}, {"server.threads", 1}}));
  EXPECT_EQ(spec.points()[1].label, "pool");
  EXPECT_EQ(spec.points()[1].display_name(), "pool");
  EXPECT_EQ(spec.points()[2].display_name(), "model=reuseport, threads=2");
  EXPECT_EQ(spec.repetitions(), 2);
}

TEST(SpecExpansion, ExcludeRemovesPointsMatchingAllItsKeys) {
  const Spec spec = Spec::parse(R"({
    "name": "e",
    "matrix": {"server.model": ["single_thread", "shared_listener"], "server.threads": [1, 2, 4]},
    "exclude": [{"server.model": "single_thread", "server.threads": 2},
                {"server.model": "single_thread", "server.threads": 4},
                {"server.threads": 2, "server.trigger": "level"}]
  })",
                                "e.json");
  EXPECT_EQ(names_of(spec),
            (std::vector<std::string>{"model=single_thread, threads=1", "model=shared_listener, threads=1",
                                      "model=shared_listener, threads=2", "model=shared_listener, threads=4"}));
  ASSERT_EQ(spec.warnings().size(), 1u);  // the third exclude matches nothing
  EXPECT_NE(spec.warnings()[0].find("exclude[2] matches no point"), std::string::npos);
}

TEST(SpecExpansion, NoMatrixAndNoCasesIsOnePointOfTheDefaults) {
  const Spec spec = Spec::parse(R"({"name": "one"})", "one.json");
  ASSERT_EQ(spec.points().size(), 1u);
  EXPECT_TRUE(spec.varied_keys().empty());
  EXPECT_EQ(spec.points()[0].config, default_config());
}

TEST(SpecExpansion, RepetitionsAreInterleavedAndDoneTrialsSkipped) {
  const Spec spec =
      Spec::parse(R"({"name": "i", "matrix": {"server.read_buffer": [1, 2, 3]}, "repetitions": 2})", "i.json");
  std::vector<const SpecPoint*> points;
  for (const auto& point : spec.points()) points.push_back(&point);
  auto order = [](const std::vector<PlannedTrial>& trials) {
    std::vector<std::pair<int, int>> out;
    for (const auto& trial : trials) out.push_back({trial.point->number, trial.repetition});
    return out;
  };
  EXPECT_EQ(order(interleaved_trials(points, 2, {})),
            (std::vector<std::pair<int, int>>{{1, 1}, {2, 1}, {3, 1}, {1, 2}, {2, 2}, {3, 2}}));
  const std::vector<Json> done = {{{"config_id", spec.points()[1].config_id}, {"repetition", 1}},
                                  {{"config_id", spec.points()[0].config_id}, {"repetition", 2}}};
  EXPECT_EQ(order(interleaved_trials(points, 2, done)),
            (std::vector<std::pair<int, int>>{{1, 1}, {3, 1}, {2, 2}, {3, 2}}));
}

TEST(ConfigId, IsStableAcrossKeyOrderAndDistinguishesValues) {
  const Spec a = Spec::parse(R"({"name": "a", "defaults": {"server": {"threads": 2, "model": "shared_listener"},
                                 "load": {"connections": 4}}})",
                             "a.json");
  const Spec b = Spec::parse(R"({"name": "b", "defaults": {"load": {"connections": 4},
                                 "server": {"model": "shared_listener", "threads": 2}}})",
                             "b.json");
  const Spec c = Spec::parse(R"({"name": "c", "cases": [{"server.model": "shared_listener",
                                 "server.threads": 2, "load.connections": 5}]})",
                             "c.json");
  EXPECT_EQ(a.points()[0].config_id, b.points()[0].config_id);
  EXPECT_NE(a.points()[0].config_id, c.points()[0].config_id);
  EXPECT_EQ(a.points()[0].config_id.size(), 16u);
  EXPECT_EQ(a.points()[0].config_id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(config_id_of(default_config()), config_id_of(default_config()));
}

TEST(SpecErrors, NameFileLineColumnAndKeyPath) {
  EXPECT_EQ(spec_error("{\n  \"name\": \"x\",\n  \"matrix\": {\"server.treads\": [1]}\n}"),
            "t.json:3:14: matrix.server.treads: unknown key (did you mean 'server.threads'?)");
  EXPECT_EQ(spec_error("{\"defaults\": {\"server\": {\"thread\": 2}}}"),
            "t.json:1:26: defaults.server.thread: unknown key (did you mean 'server.threads'?)");
  EXPECT_EQ(spec_error("{\"matirx\": {}}"), "t.json:1:2: matirx: unknown key (did you mean 'matrix'?)");
  EXPECT_EQ(spec_error("{\"matrix\": {\"server.threads\": [1, \"2\"]}}"),
            "t.json:1:35: matrix.server.threads[1]: expected an integer, got \"2\"");
  EXPECT_EQ(spec_error("{\"cases\": [{\"load.connections\": 0}]}"),
            "t.json:1:33: cases[0].load.connections: 0.0 is out of range 1..100000");
  EXPECT_EQ(
      spec_error("{\n\"matrix\": {\"server.model\": [\"shared_listner\"]}}"),
      "t.json:2:29: matrix.server.model[0]: unknown model 'shared_listner' (did you mean 'shared_listener'?)"
      " (valid: " +
          [] {
            std::string valid;
            for (const auto& name : find_key("server.model")->allowed) valid += (valid.empty() ? "" : ", ") + name;
            return valid;
          }() +
          ")");
  EXPECT_EQ(spec_error("{\"matrix\": {\"server.model\": []}}"),
            "t.json:1:29: matrix.server.model: empty list: the matrix would have zero points");
  EXPECT_EQ(spec_error("// c\n{\"name\": \"x\",, }"),
            "t.json:2:14: invalid JSON: syntax error while parsing object key - unexpected ','; expected string "
            "literal");
  EXPECT_EQ(spec_error("{\"matrix\": {\"server.threads\": [1]},\n \"matrix\": {}}"),
            "t.json:2:2: matrix: key written twice (JSON keeps only one of them)");
}

TEST(SpecErrors, CaseAnnotationsAreChecked) {
  EXPECT_EQ(spec_error("{\"cases\": [{\"label\": \"a\"},\n {\"label\": \"b\", \"baseline\": \"c\"}]}"),
            "t.json:2:29: cases[1].baseline: no case is labelled 'c' (did you mean 'a'?)");
  EXPECT_EQ(spec_error("{\"cases\": [{\"label\": \"a\", \"mechanism\": \"speed\"}]}"),
            "t.json:1:40: cases[0].mechanism: expected a metric name (`echolab help metrics`), got \"speed\"");
  EXPECT_EQ(spec_error("{\"cases\": [{\"label\": \"a\", \"expect\": {\"server_threads_active\": \"two\"}}]}"),
            "t.json:1:63: cases[0].expect.server_threads_active: expected a number or {\"min\": X, \"max\": Y}, got "
            "\"two\"");
  EXPECT_NE(spec_error("{\"cases\": [{\"label\": \"a\", \"expect\": {\"fairness_jain\": 1}}]}")
                .find("an exact value suits counts only"),
            std::string::npos);
  EXPECT_NE(spec_error("{\"cases\": [{\"label\": \"a\", \"baseline\": \"a\"}]}").find("its own baseline"),
            std::string::npos);
  EXPECT_NE(
      spec_error("{\"cases\": [{\"label\": \"a\"}, {\"label\": \"a\", \"baseline\": \"a\"}]}").find("labels two cases"),
      std::string::npos);
  EXPECT_EQ(spec_error("{\"cases\": [{\"label\": \"a\", \"expect\": {\"bytes\": 1}}]}"),
            "t.json:1:47: cases[0].expect.bytes: not a trial metric (`echolab help metrics`)");
}

TEST(SpecErrors, AFileNameThatCannotNameAResultsFolderNeedsAName) {
  for (const std::string file : {"....json", "..json", "latest.json", "a b.json"}) {
    try {
      Spec::parse("{\"defaults\": {}}", file);
      ADD_FAILURE() << file << " was accepted";
    } catch (const SpecError& error) {
      EXPECT_NE(std::string(error.what()).find("the spec has no \"name\" and its file name"), std::string::npos)
          << error.what();
    }
  }
  EXPECT_EQ(Spec::parse("{\"name\": \"fine\"}", "....json").name(), "fine");
  EXPECT_EQ(Spec::parse("{}", "dir/my-spec.json").name(), "my-spec");
}

TEST(SpecErrors, APointThatWouldNeedMoreMemoryThanTheMachineHasIsRefusedUnlessForced) {
  const Spec spec = Spec::parse(R"({"name": "m", "defaults": {"load": {"workload": "rr", "message_bytes": 1024}},
                                    "matrix": {"load.connections": [10, 1000], "load.depth": [2]}})",
                                "m.json");
  std::vector<const SpecPoint*> points;
  for (const auto& point : spec.points()) points.push_back(&point);
  // 1000 x ((2 + 2) x 1024 + 8192) = 12,288,000 bytes for point 2.
  EXPECT_EQ(estimated_peak_bytes(*points[1]), 12288000u);
  EXPECT_EQ(estimated_peak_bytes(*points[0]), 122880u);
  EXPECT_NO_THROW(check_memory_bound(points, 12288000, false, "m.json"));
  try {
    check_memory_bound(points, 12287999, false, "m.json");
    ADD_FAILURE() << "not refused";
  } catch (const SpecError& error) {
    EXPECT_EQ(std::string(error.what()),
              "m.json: point 2 (connections=1000, depth=2): needs about 12.3 MB of memory, more than the 12.3 MB "
              "available (MemAvailable): load.connections 1000 x ((load.depth 2 + 2) x load.message_bytes 1024 + 8 "
              "KiB); lower them, or pass --force to run it anyway");
  }
  EXPECT_NO_THROW(check_memory_bound(points, 1, true, "m.json"));              // --force
  EXPECT_NO_THROW(check_memory_bound(points, std::nullopt, false, "m.json"));  // no /proc/meminfo
  EXPECT_GT(memory_available_bytes().value_or(0), 0u);
}

TEST(SpecErrors, PredictionsNameTrialMetricsADirectionAndABaseline) {
  const std::string two_cases =
      "{\"cases\": [{\"label\": \"a\"}, {\"label\": \"b\", \"load.connections\": 3, \"baseline\": \"a\", ";
  EXPECT_EQ(spec_error(two_cases + "\"predicts\": {\"throughput_mb_s\": \"slower\"}}]}"),
            "t.json:1:115: cases[1].predicts.throughput_mb_s: expected \"higher\" or \"lower\" (against the "
            "baseline), got \"slower\"");
  EXPECT_EQ(spec_error(two_cases + "\"predicts\": {\"bytes\": \"lower\"}}]}"),
            "t.json:1:105: cases[1].predicts.bytes: not a trial metric (`echolab help metrics`)");
  EXPECT_NE(spec_error(two_cases + "\"predicts\": []}]}").find("expected an object"), std::string::npos);
  EXPECT_NE(spec_error("{\"cases\": [{\"label\": \"a\", \"predicts\": {\"throughput_mb_s\": \"lower\"}}]}")
                .find("cases[0].predicts: a prediction is against a baseline"),
            std::string::npos);
  const Spec spec = Spec::parse(two_cases + "\"predicts\": {\"throughput_mb_s\": \"lower\"}}]}", "t.json");
  EXPECT_EQ(spec.points()[1].notes["predicts"], (Json{{"throughput_mb_s", "lower"}}));
}

TEST(SpecExpansion, ASeedShufflesEachRepetitionAfreshAndReproducibly) {
  const Spec spec = Spec::parse(
      R"({"name": "s", "matrix": {"server.read_buffer": [1, 2, 3, 4, 5, 6, 7, 8]}, "repetitions": 4})", "s.json");
  std::vector<const SpecPoint*> points;
  for (const auto& point : spec.points()) points.push_back(&point);
  auto numbers = [](const std::vector<PlannedTrial>& trials, int repetition) {
    std::vector<int> out;
    for (const auto& trial : trials) {
      if (trial.repetition == repetition) out.push_back(trial.point->number);
    }
    return out;
  };
  const auto first = interleaved_trials(points, 4, {}, 42);
  const auto again = interleaved_trials(points, 4, {}, 42);
  const auto other = interleaved_trials(points, 4, {}, 43);
  ASSERT_EQ(first.size(), 32u);
  std::set<std::vector<int>> orders;
  for (int repetition = 1; repetition <= 4; ++repetition) {
    std::vector<int> order = numbers(first, repetition);
    EXPECT_EQ(order, numbers(again, repetition)) << "the same seed gives the same order";
    orders.insert(order);
    std::sort(order.begin(), order.end());
    EXPECT_EQ(order, (std::vector<int>{1, 2, 3, 4, 5, 6, 7, 8})) << "each point once per repetition";
  }
  EXPECT_GE(orders.size(), 3u) << "each repetition shuffled afresh (8! orders)";
  EXPECT_NE(numbers(first, 1), numbers(other, 1));
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_EQ(first[i].repetition, static_cast<int>(i / 8) + 1) << "repetitions stay interleaved";
  }
  // A resumed run skips what is done and keeps the order of the rest.
  const std::vector<Json> done = {{{"config_id", first[0].point->config_id}, {"repetition", 1}}};
  const auto resumed = interleaved_trials(points, 4, done, 42);
  ASSERT_EQ(resumed.size(), 31u);
  for (size_t i = 0; i < resumed.size(); ++i) EXPECT_EQ(resumed[i].point, first[i + 1].point);
}

TEST(SpecErrors, PointsAModelCannotRunAtTheKeyThatMakesThem) {
  EXPECT_EQ(spec_error("{\"matrix\": {\"server.model\": [\"shared_listener\", \"single_thread\"],\n"
                       " \"server.exclusive\": [true]}}"),
            "t.json:2:23: matrix.server.exclusive[0]: not an option of model single_thread (its options: "
            "server.listener_trigger, server.accept, server.wait, server.max_events, server.send); in point 2 "
            "(model=single_thread, "
            "exclusive=true): exclude it");
  EXPECT_EQ(spec_error("{\"matrix\": {\"server.model\": [\"single_thread\"], \"server.threads\": [1, 4]}}"),
            "t.json:1:70: matrix.server.threads[1]: single_thread takes at most 1 thread(s) but point 2 "
            "(model=single_thread, threads=4) asks for 4: exclude it");
  // An option set only in defaults is not an error for models that ignore it.
  EXPECT_EQ(spec_error("{\"defaults\": {\"server\": {\"exclusive\": true}},"
                       " \"matrix\": {\"server.model\": [\"single_thread\", \"shared_listener\"]}}"),
            "");
  EXPECT_EQ(spec_error("{\"matrix\": {\"server.threads\": [1]}, \"exclude\": [{\"server.threads\": 1}]}"),
            "t.json:1:37: exclude: no points: every point of the matrix and cases is excluded");
  EXPECT_NE(spec_error("{\"cases\": [{\"server.read\": \"once\"}, {\"label\": \"same\", \"server.read\": \"once\"}]}")
                .find("t.json:1:37: cases[1]: point 2 (same) has the same configuration as point 1"),
            std::string::npos);
}

TEST(SpecErrors, ADefaultOptionNoPointsModelTakesIsAnErrorButAMixedMatrixIsFine) {
  // The user would believe they measured round-robin dispatch.
  const std::string inert = spec_error(R"({
    "name": "x",
    "defaults": {"server": {"model": "reuseport", "threads": 2, "dispatch": "round_robin"}}
  })");
  EXPECT_NE(inert.find("t.json:3:"), std::string::npos) << inert;
  EXPECT_NE(inert.find("server.dispatch"), std::string::npos) << inert;
  EXPECT_NE(inert.find("models that take it: acceptor_workers"), std::string::npos) << inert;
  EXPECT_NE(inert.find("models in this spec: reuseport"), std::string::npos) << inert;
  // A workload option for a workload no point runs, likewise.
  EXPECT_NE(spec_error(R"({"name": "x", "defaults": {"load": {"depth": 8}}})").find("workloads in this spec: stream"),
            std::string::npos);
  // Taken by some points of the matrix: fine.
  EXPECT_EQ(spec_error(R"({
    "name": "x",
    "defaults": {"server": {"threads": 2, "exclusive": true}},
    "matrix": {"server.model": ["shared_listener", "reuseport"]}
  })"),
            "");
}

TEST(SpecErrors, LocationsTheTopologyLacksAreFoundWhenPlanning) {
  const Spec spec = Spec::parse("{\"cases\": [{},\n {\"load.cpus\": \"pu:5\"}]}", "t.json");
  auto topology = Topology::load("pack:1 core:2 pu:1");
  try {
    spec.plan_placements(*topology);
    FAIL() << "pu:5 accepted on a 2-PU topology";
  } catch (const SpecError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("t.json:2:16: cases[1].load.cpus: location 'pu:5'", 0), 0u)
        << error.what();
  }
  const auto plans = Spec::parse(
                         "{\"matrix\": {\"server.threads\": [1, 2]}, \"defaults\": {\"server\": "
                         "{\"model\": \"shared_listener\"}}}",
                         "ok.json")
                         .plan_placements(*topology);
  ASSERT_EQ(plans.size(), 2u);
  EXPECT_EQ(plans[1]["threads"][1]["role"], "server");
}

TEST(JsonLocator, FindsKeysValuesAndElementsPastComments) {
  const std::string text = "// head\n{\"a\": {\"b\": [10, /* x */ 20]},\n \"c\": \"é\", \"d\": 1}";
  const JsonLocator locator(text);
  EXPECT_EQ(locator.key_position({"a", "b"}).column, 8);
  EXPECT_EQ(locator.value_position({"a", "b", "1"}).line, 2);
  EXPECT_EQ(locator.value_position({"a", "b", "1"}).column, 26);
  EXPECT_EQ(locator.key_position({"d"}).column, 12);            // "é" counts as one column
  EXPECT_EQ(locator.key_position({"a", "missing"}).column, 2);  // nearest existing ancestor
  EXPECT_EQ(describe_path({"cases", "2", "server.model"}), "cases[2].server.model");
}

TEST(PointFilterTest, SameKeyMeansAnyValueDifferentKeysMeanAll) {
  const PointFilter filter({"server.threads=2", "threads=4", "model=shared_listener"});
  Json config = default_config();
  set_key(config, "server.model", "shared_listener");
  set_key(config, "server.threads", 4);
  EXPECT_TRUE(filter.matches(config));
  set_key(config, "server.threads", 3);
  EXPECT_FALSE(filter.matches(config));
  set_key(config, "server.threads", 2);
  set_key(config, "server.model", "reuseport");
  EXPECT_FALSE(filter.matches(config));
  EXPECT_THROW(PointFilter({"server.thread=2"}), UsageError);
  EXPECT_THROW(PointFilter({"server.threads=two"}), UsageError);
  std::vector<std::string> args = {"a.json", "--filter", "x=1", "--dry-run", "--filter=y=2"};
  EXPECT_EQ(take_filter_args(args), (std::vector<std::string>{"x=1", "y=2"}));
  EXPECT_EQ(args, (std::vector<std::string>{"a.json", "--dry-run"}));
}

TEST(SummaryStatistics, MatchNumpyLinearPercentilesAndPopulationCv) {
  // numpy.percentile([4, 1, 3, 2], [50, 25, 75]) = 2.5, 1.75, 3.25
  auto stats = summarize_values({4, 1, 3, 2});
  ASSERT_TRUE(stats);
  EXPECT_DOUBLE_EQ(stats->median, 2.5);
  EXPECT_DOUBLE_EQ(stats->p25, 1.75);
  EXPECT_DOUBLE_EQ(stats->p75, 3.25);
  EXPECT_DOUBLE_EQ(stats->min, 1);
  EXPECT_DOUBLE_EQ(stats->max, 4);
  EXPECT_DOUBLE_EQ(*stats->cv, std::sqrt(1.25) / 2.5);
  EXPECT_FALSE(summarize_values({}));
  EXPECT_FALSE(summarize_values({0, 0})->cv);
}

TEST(SummaryStatistics, CsvHasTheColumnsPlotReads) {
  const Spec spec = Spec::parse(
      R"({"cases": [{"label": "a, \"quoted\"", "server.model": "reuseport", "server.threads": 2}]})", "s.json");
  Json ok = {{"config_id", spec.points()[0].config_id},
             {"repetition", 1},
             {"status", "ok"},
             {"metrics", {{"throughput_mb_s", 100.0}, {"fairness_jain", 1.0}}}};
  Json failed = {{"config_id", spec.points()[0].config_id}, {"repetition", 2}, {"status", "timeout"}};
  const std::string csv = SweepSummary(spec, {ok, failed}).csv();
  const std::string header = csv.substr(0, csv.find('\n'));
  EXPECT_EQ(header.rfind("config_id,label,server.model,server.threads,n_ok,n_trials,throughput_mb_s_median,", 0), 0u);
  EXPECT_NE(header.find(",interval_cv_min,interval_cv_max,interval_cv_cv"), std::string::npos);
  const std::string row = csv.substr(header.size() + 1);
  EXPECT_EQ(row.rfind(spec.points()[0].config_id + ",\"a, \"\"quoted\"\"\",reuseport,2,1,2,100,100,100,100,100,0,", 0),
            0u)
      << row;
}

}  // namespace
}  // namespace echolab

namespace echolab {
namespace {

// Inputs libFuzzer found (fuzz/): each once crashed, hung or gave a
// multi-line error; now each is a one-line rejection or a warning.
TEST(FuzzFindings, HugeNumbersNulBytesAndNewlinesInKeysAreOneLineErrors) {
  const std::string huge = spec_error(R"({"name": "x", "defaults": {"server": {"threads": 1e999}}})");
  EXPECT_NE(huge.find("invalid JSON: number overflow"), std::string::npos) << huge;
  const std::string newline_key = spec_error("{\"name\": \"x\", \"defaults\": {\"server\": {\"a\\nb\": 1}}}");
  EXPECT_FALSE(newline_key.empty());
  EXPECT_EQ(newline_key.find('\n'), std::string::npos) << newline_key;
  // A NUL byte inside an array once sent the key locator round for ever.
  const std::string nul = spec_error(std::string("{\"name\": \"x\", \"cases\": [1 \0 ]}", 28));
  EXPECT_FALSE(nul.empty());
}

TEST(FuzzFindings, ATrialsFileWithOverflowingNumbersOrNonObjectsIsReadWithWarnings) {
  const TrialsText read = read_trials_text("{\"point\": 1e999}\n[1, 2]\n{\"status\": 5, \"config_id\": 7}\n", "t");
  ASSERT_EQ(read.records.size(), 1u);
  ASSERT_EQ(read.warnings.size(), 2u);
  EXPECT_NE(read.warnings[0].find("t:1: not a JSON line"), std::string::npos) << read.warnings[0];
  EXPECT_NE(read.warnings[1].find("t:2: not a trial record"), std::string::npos) << read.warnings[1];
  // A record with fields of the wrong types still summarises.
  const Spec spec = Spec::parse(R"({"name": "f"})", "f.json");
  SweepSummary summary(spec, read.records);
  EXPECT_NE(summary.csv().find("config_id"), std::string::npos);
}

TEST(FuzzFindings, InvalidUtf8InAnOptionValueIsAUsageErrorNotACrash) {
  try {
    parse_command_line("trial", {"--server.exclusive", "t\x84uint"}, {{}, {}, true, 0});
    FAIL() << "accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("server.exclusive: expected true or false"), std::string::npos);
  }
}

}  // namespace
}  // namespace echolab
