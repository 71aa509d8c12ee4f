// The external model: a user's server joins the sweep, fails clearly when
// it cannot start, and is never left behind.
#include "models/external_server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/socket_util.h"
#include "models/registry.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

ServerConfig external(std::vector<std::string> command, double timeout_s = 10) {
  ServerConfig config;
  config.model = "external";
  config.options = find_model("external")->default_options();
  config.options.set("command", std::move(command));
  config.options.set("start_timeout_s", timeout_s);
  return config;
}

TEST(ExternalServer, NodeEchoServerEchoesAndEchoLabLoadDrivesIt) {
  if (!testing::have_program("node")) GTEST_SKIP() << "node not installed";
  ExternalServer server;
  server.start(external({"node", testing::source_path("tests/peers/node_echo.js"), "{port}"}), CpuPlan{});
  EXPECT_EQ(testing::check_echo(server.address(), {1, 4096, 262144}, 5), "");
  auto load = testing::run_echolab({"load", "--target", server.address().to_string(), "--client-cpus", "all",
                                    "--load.bind", "set", "--duration", "0.5", "--warmup", "0.1", "--json"});
  ASSERT_EQ(load.exit_code, 0) << load.err;
  EXPECT_GT(nlohmann::json::parse(load.out)["metrics"]["throughput_mb_s"].get<double>(), 0);
  const int pid = server.pid();
  EXPECT_FALSE(server.threads().empty());
  server.stop();
  EXPECT_NE(kill(pid, 0), 0) << "the external server outlived stop()";
}

TEST(ExternalServer, CommandThatDoesNotStartFailsClearly) {
  ExternalServer server;
  try {
    server.start(external({"/nonexistent/echo-server", "{port}"}), CpuPlan{});
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("exited with code 127 before listening"), std::string::npos)
        << error.what();
  }
}

/// Targets of this process's descriptors that point at an external server's
/// output file ("/tmp/echolab-external-..."), as /proc/self/fd shows them.
std::vector<std::string> external_log_links() {
  std::vector<std::string> links;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code error;
    const std::string target = std::filesystem::read_symlink(entry.path(), error).string();
    if (!error && target.rfind("/tmp/echolab-external-", 0) == 0) links.push_back(target);
  }
  return links;
}

TEST(ExternalServer, ItsLastOutputLineIsQuotedAndItsLogHasNoNameInTmp) {
  ExternalServer server;
  try {
    server.start(external({"sh", "-c", "echo starting; echo no port for you >&2; exit 3"}), CpuPlan{});
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("exited with code 3 before listening (its output: no port for you)"),
              std::string::npos)
        << error.what();
  }
  // The log is still open (for the message) but already unlinked, so a
  // killed echolab leaves nothing in /tmp.
  const auto links = external_log_links();
  ASSERT_EQ(links.size(), 1u);
  EXPECT_NE(links[0].find(" (deleted)"), std::string::npos) << links[0];
  server.stop();
  EXPECT_TRUE(external_log_links().empty());
}

TEST(ExternalServer, CommandThatNeverListensTimesOutAndIsKilled) {
  ExternalServer server;
  try {
    // A duration no other test uses: ctest runs tests side by side, and
    // another's `sleep 30` once matched the check below.
    server.start(external({"sleep", "29.5"}, 0.3), CpuPlan{});
    FAIL() << "start() should have thrown";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("did not listen"), std::string::npos) << error.what();
  }
  EXPECT_EQ(server.pid(), 0);
  // No `sleep 29.5` of ours is left: its process group was killed.
  EXPECT_NE(std::system("pgrep -f '^sleep 29[.]5$' >/dev/null"), 0);
}

TEST(ExternalServer, AListenerOfAnotherProcessOnItsPortFailsTheStartNamingIt) {
  // The port the server is told to use is already listened on (here, by
  // this test): the readiness probe connects, but not to the server.
  const UniqueFd squatter = listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), {1, false, true});
  ServerConfig config = external({"sleep", "30"}, 2);
  config.port = local_address(squatter.get()).port();
  ExternalServer server;
  try {
    server.start(config, CpuPlan{});
    FAIL() << "start() should have refused a port another process listens on";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("is held by pid " + std::to_string(getpid())), std::string::npos)
        << error.what();
  }
  EXPECT_EQ(server.pid(), 0);
}

}  // namespace
}  // namespace echolab

namespace echolab {
namespace {

TEST(ExternalServer, AForkingServersChildrenAreMeasuredToo) {
  if (!testing::have_program("socat")) GTEST_SKIP() << "socat not installed (apt-get install socat)";
  // socat forks a child per connection and that child runs `cat`: the
  // first process does no echo work at all.
  auto run = testing::run_echolab({"trial", "--model", "external", "--server.command",
                                   "socat TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork EXEC:cat", "--connections",
                                   "2", "--duration", "0.5", "--warmup", "0.2", "--json"});
  ASSERT_EQ(run.exit_code, 0) << run.err << run.out;
  const auto result = nlohmann::json::parse(run.out);
  ASSERT_EQ(result["status"], "ok") << result["error"];
  const auto& m = result["metrics"];
  EXPECT_GT(m["server_cpu_s"].get<double>(), 0.0);
  EXPECT_GT(m["ctx_switches_voluntary"].get<double>(), 0.0);
  // 1 socat listener + (socat child + cat) per connection, all measured.
  EXPECT_GE(m["threads"].size(), 1u + 2u * 2u + 1u);  // + the client thread
  EXPECT_GT(m["server_rss_bytes"].get<double>(), 0.0);
  // What external servers cannot tell stays unknown, never 0.
  EXPECT_TRUE(m["fairness_jain"].is_null());
  EXPECT_TRUE(m["spurious_wakeups"].is_null());
}

}  // namespace
}  // namespace echolab
