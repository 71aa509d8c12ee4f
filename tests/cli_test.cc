// The echolab binary as a user runs it: exit codes, one-line errors, the
// serve/load pair and third-party peers on loopback.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/socket_util.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

using testing::run_echolab;

void expect_usage_error(const std::vector<std::string>& args, const std::string& message) {
  auto result = run_echolab(args);
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_NE(result.err.find(message), std::string::npos) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << "expected one line: " << result.err;
}

/// `echolab trial --json` of an external server started by `command`, both
/// sides floating; the parsed result (a null object when the run failed).
nlohmann::json external_trial(const std::string& command, const char* duration_s) {
  auto trial = run_echolab({"trial", "--model", "external", "--server.command", command, "--server-cpus", "all",
                            "--client-cpus", "all", "--server.bind", "set", "--load.bind", "set", "--duration",
                            duration_s, "--warmup", "0.1", "--json"});
  EXPECT_EQ(trial.exit_code, 0) << trial.err << trial.out;
  return trial.exit_code == 0 ? nlohmann::json::parse(trial.out) : nlohmann::json();
}

TEST(Cli, BadInputIsOneLineAndExitCode2) {
  expect_usage_error({"trial", "--thread", "4"}, "unknown option '--thread' (did you mean '--threads'?)");
  expect_usage_error({"trial", "--model", "nope"}, "server.model: unknown value 'nope'");
  expect_usage_error({"trial", "--threads", "four"}, "server.threads: 'four' is not an integer");
  expect_usage_error({"trial", "--threads", "0"}, "out of range");
  expect_usage_error({"trial", "--model", "reuseport", "--server.dispatch", "least_connections"},
                     "server.dispatch: not an option of model reuseport");
  expect_usage_error({"trial", "--server-cpus", "pu:9"}, "pu:9");
  expect_usage_error({"load"}, "--target HOST:PORT is required");
  expect_usage_error({"load", "--target", "nowhere"}, "load.target");
}

TEST(Cli, UnknownCommandIsExitCode2) {
  auto result = run_echolab({"frobnicate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_NE(result.err.find("unknown command 'frobnicate'"), std::string::npos);
}

TEST(Cli, PortInUseIsARunFailure) {
  UniqueFd taken = listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), {});
  int port = local_address(taken.get()).port();
  auto result = run_echolab({"serve", "--port", std::to_string(port)});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("in use"), std::string::npos) << result.err;
}

TEST(Cli, UnreachableTargetIsARunFailure) {
  int port;
  {
    UniqueFd probe = listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), {});
    port = local_address(probe.get()).port();
  }  // closed: nothing listens there now
  auto result = run_echolab({"load", "--target", "127.0.0.1:" + std::to_string(port), "--duration", "0.2"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("refused"), std::string::npos) << result.err;
}

TEST(Cli, TrialJsonReportsThroughput) {
  auto result =
      run_echolab({"trial", "--model", "single_thread", "--server-cpus", "all", "--client-cpus", "all", "--server.bind",
                   "set", "--load.bind", "set", "--duration", "0.5", "--warmup", "0.1", "--json"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["schema"], 1);
  EXPECT_EQ(json["status"], "ok");
  EXPECT_GT(json["metrics"]["throughput_mb_s"].get<double>(), 0);
  EXPECT_FALSE(json["series"]["throughput_mb_s"].empty());
  EXPECT_EQ(json["config"]["server"]["model"], "single_thread");
}

// Every figure a trial writes (trial metrics and per-thread fields, except
// identity and placement fields) is declared in the catalogue that
// `help metrics --json` prints, with the scope it is written at.
TEST(Cli, EveryMetricATrialWritesIsInTheCatalogue) {
  auto help = run_echolab({"help", "metrics", "--json"});
  ASSERT_EQ(help.exit_code, 0) << help.err;
  const auto catalogue = nlohmann::json::parse(help.out);
  EXPECT_EQ(catalogue["schema"], 1);
  std::map<std::string, std::string> scope_of;
  for (const auto& metric : catalogue["metrics"]) {
    for (const char* field : {"name", "title", "unit", "better", "scope", "threads", "repetitions", "summary"}) {
      EXPECT_TRUE(metric.contains(field)) << metric.dump() << " lacks " << field;
    }
    scope_of[metric["name"].get<std::string>()] = metric["scope"].get<std::string>();
  }
  auto trial =
      run_echolab({"trial", "--model", "acceptor_workers", "--server-cpus", "all", "--client-cpus", "all",
                   "--server.bind", "set", "--load.bind", "set", "--duration", "0.3", "--warmup", "0.1", "--json"});
  ASSERT_EQ(trial.exit_code, 0) << trial.err;
  const auto metrics = nlohmann::json::parse(trial.out)["metrics"];
  for (const auto& [name, value] : metrics.items()) {
    if (name == "threads" || name == "per_connection") continue;
    EXPECT_EQ(scope_of[name], "trial") << name << " is written but not in the catalogue as a trial metric";
  }
  const std::set<std::string> identity = {"role", "index", "tid", "cpus_observed"};
  for (const auto& thread : metrics["threads"]) {
    for (const auto& [name, value] : thread.items()) {
      if (identity.count(name)) continue;
      // A per-thread field may share its name with the trial total (migrations).
      EXPECT_TRUE(scope_of.count(name)) << name << " is written per thread but not in the catalogue";
    }
  }
}

// A server that accepts and reads but never echoes: the trial is a
// measurement of 0 MB/s with a warning, not a failure.
TEST(Cli, AStalledServerIsMeasuredAsZeroWithAWarning) {
  if (!testing::have_program("python3")) GTEST_SKIP() << "python3 not installed";
  const auto result =
      external_trial("python3 " + testing::source_path("tests/peers/sink_server.py") + " {port}", "0.3");
  EXPECT_EQ(result["status"], "ok") << result.dump();
  EXPECT_EQ(result["metrics"]["throughput_mb_s"].get<double>(), 0);
  EXPECT_NE(result.value("warning", "").find("stalled"), std::string::npos) << result.dump();
}

TEST(Cli, HelpListsEveryCommandAndRejectsUnknownTopics) {
  auto help = run_echolab({"help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"models", "topo", "trial", "serve", "load", "plan", "run", "summarize", "micro"}) {
    EXPECT_NE(help.out.find(std::string("  ") + command + " "), std::string::npos) << command;
  }
  expect_usage_error({"help", "nonsense"}, "unknown topic 'nonsense'");
}

/// `echolab serve` in the background: its first line tells the port.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& extra) {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], 1);
      close(out[0]);
      std::vector<std::string> args = {testing::kEcholabBinary, "serve", "--server-cpus", "all",
                                       "--server.bind",         "set"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(testing::kEcholabBinary, argv.data());
      _exit(127);
    }
    close(out[1]);
    output_ = fdopen(out[0], "r");
    char line[256] = {};
    if (fgets(line, sizeof line, output_)) first_line_ = line;
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (output_) fclose(output_);
  }
  const std::string& first_line() const { return first_line_; }
  std::string address() const { return first_line_.substr(13, first_line_.size() - 14); }
  /// SIGTERM, then the rest of its output (the stats JSON) and exit code.
  std::pair<int, std::string> terminate() {
    kill(pid_, SIGTERM);
    std::string rest;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, output_)) > 0) rest.append(buffer, n);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = 0;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, rest};
  }

 private:
  pid_t pid_ = 0;
  FILE* output_ = nullptr;
  std::string first_line_;
};

TEST(Cli, ServeAndLoadWorkAsAPair) {
  ServeProcess serve({});
  ASSERT_EQ(serve.first_line().rfind("listening on 127.0.0.1:", 0), 0u) << serve.first_line();
  auto load = run_echolab({"load", "--target", serve.address(), "--client-cpus", "all", "--load.bind", "set",
                           "--duration", "0.5", "--warmup", "0.1", "--json"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  auto result = nlohmann::json::parse(load.out);
  EXPECT_GT(result["metrics"]["throughput_mb_s"].get<double>(), 0);
  auto [code, stats_text] = serve.terminate();
  EXPECT_EQ(code, 0);
  auto stats = nlohmann::json::parse(stats_text);
  EXPECT_EQ(stats["signal"], "SIGTERM");
  EXPECT_GT(stats["metrics"]["threads"][0]["bytes"].get<double>(), 0);
  EXPECT_EQ(stats["metrics"]["threads"][0]["connections"], 2);
}

TEST(Cli, ServeEchoesForAThirdPartyClient) {
  if (!testing::have_program("python3")) GTEST_SKIP() << "python3 not installed";
  ServeProcess serve({"--model", "shared_listener", "--threads", "2"});
  std::string command = "python3 " + testing::source_path("tests/peers/echo_client.py") + " " + serve.address();
  EXPECT_EQ(std::system(command.c_str()), 0);
}

TEST(Cli, LoadDrivesAThirdPartyServer) {
  if (!testing::have_program("node")) GTEST_SKIP() << "node not installed";
  // Node's echo server run through the external model, then through load.
  const auto result = external_trial("node " + testing::source_path("tests/peers/node_echo.js") + " {port}", "0.5");
  EXPECT_EQ(result["status"], "ok") << result.dump();
  EXPECT_GT(result["metrics"]["throughput_mb_s"].get<double>(), 0);
  EXPECT_GT(result["metrics"]["server_cpu_s"].get<double>(), 0);
}

}  // namespace
}  // namespace echolab
