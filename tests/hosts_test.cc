// Hosts: addresses and the hosts section, the measurement window's JSON
// and merge, the --control protocol of serve and load, and a whole hosts
// trial whose "hosts" are this machine (the same code as over ssh, without
// ssh; tests/hosts/namespaces_test.sh covers ssh and namespaces).
#include "harness/remote/hosts.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>

#include "harness/config/trial_config.h"
#include "harness/remote/control_channel.h"
#include "harness/remote/remote_trial.h"
#include "harness/sweep/spec.h"
#include "harness/trial/metrics.h"
#include "harness/trial/window_json.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

using Clock = ChildProcess::Clock;

Clock::time_point in_seconds(double seconds) { return deadline_in(seconds); }

TEST(HostAddress, ReadsLocalAndSshUrls) {
  EXPECT_TRUE(HostAddress::parse("local").local());
  const HostAddress full = HostAddress::parse("ssh://bench@10.0.0.2:2222");
  EXPECT_FALSE(full.local());
  EXPECT_EQ(full.user, "bench");
  EXPECT_EQ(full.host, "10.0.0.2");
  EXPECT_EQ(full.port, 2222);
  EXPECT_EQ(full.name(), "bench@10.0.0.2:2222");
  const HostAddress v6 = HostAddress::parse("ssh://[fd00::2]:22");
  EXPECT_EQ(v6.host, "fd00::2");
  EXPECT_EQ(v6.port, 22);
  EXPECT_EQ(HostAddress::parse("ssh://lab-b").name(), "lab-b");
}

TEST(HostAddress, RejectsWhatIsNotAnSshUrl) {
  for (const char* bad : {"", "remote", "ftp://x", "ssh://", "ssh://h:0", "ssh://h:70000", "ssh://h:x", "ssh://a b",
                          "ssh://h:", "ssh://[::1"}) {
    EXPECT_THROW(HostAddress::parse(bad), std::invalid_argument) << bad;
  }
  // A name ssh would read as an option.
  for (const char* option :
       {"ssh://-oProxyCommand=touch /tmp/x", "ssh://-oProxyCommand=x@host", "ssh://[-oX]", "ssh://-lroot@h"}) {
    try {
      HostAddress::parse(option);
      ADD_FAILURE() << option << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("cannot begin with '-'"), std::string::npos) << error.what();
    }
  }
}

TEST(HostAddress, AllowsOnlyTheCharactersOfHostAndUserNames) {
  for (const char* bad : {"ssh://h;touch", "ssh://h$(x)", "ssh://h`x`", "ssh://h|x", "ssh://[::1;x]"}) {
    try {
      HostAddress::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("a host name may hold only"), std::string::npos) << error.what();
    }
  }
  for (const char* bad : {"ssh://u$(x)@h", "ssh://u;x@h", "ssh://u*@h"}) {
    try {
      HostAddress::parse(bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find("a user name may hold only"), std::string::npos) << error.what();
    }
  }
  for (const char* good : {"ssh://bench@lab-b.example.org:2222", "ssh://root@10.0.0.1", "ssh://[fe80::1%eth0]:22",
                           "ssh://first.last_1@h"}) {
    EXPECT_NO_THROW(HostAddress::parse(good)) << good;
  }
}

TEST(HostsConfig, ReadsTheSpecSectionAndSaysWhatIsWrong) {
  const HostsConfig hosts = HostsConfig::from_json(
      Json::parse(R"({"server": "ssh://a", "clients": "ssh://b", "ssh_options": ["-F", "cfg"]})"));
  EXPECT_EQ(hosts.server.host, "a");
  ASSERT_EQ(hosts.clients.size(), 1u);
  EXPECT_EQ(hosts.clients[0].host, "b");
  EXPECT_TRUE(hosts.any_remote());
  EXPECT_FALSE(hosts.one_host());
  EXPECT_EQ(HostsConfig::from_json(hosts.to_json()).to_json(), hosts.to_json());
  const HostsConfig local;
  EXPECT_FALSE(local.any_remote());
  EXPECT_TRUE(local.one_host());
  try {
    HostsConfig::from_json(Json::parse(R"({"server": "ssh://a", "client": ["ssh://b"]})"));
    FAIL() << "an unknown member was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("unknown member 'client'"), std::string::npos) << error.what();
  }
  EXPECT_THROW(HostsConfig::from_json(Json::parse(R"({"clients": []})")), std::invalid_argument);
  EXPECT_THROW(HostsConfig::from_json(Json::parse(R"({"server": 3})")), std::invalid_argument);
}

TEST(SpecHosts, ABadHostIsASpecErrorAtItsPlace) {
  try {
    Spec::parse("{\n  \"hosts\": {\"server\": \"ssh://a b\"}\n}", "t.json");
    FAIL() << "a bad host was accepted";
  } catch (const SpecError& error) {
    EXPECT_EQ(std::string(error.what()).rfind("t.json:2:", 0), 0u) << error.what();
    EXPECT_NE(std::string(error.what()).find("'ssh://a b': a host name may hold only"), std::string::npos)
        << error.what();
  }
}

TEST(SpecHosts, ALoopbackServerAddressIsRefusedWhenClientsAreElsewhere) {
  Spec spec = Spec::parse(R"({"hosts": {"server": "ssh://a", "clients": ["ssh://b"]}})", "t.json");
  try {
    spec.use_hosts(spec.hosts());
    FAIL() << "a loopback address for a server on another host was accepted";
  } catch (const SpecError& error) {
    EXPECT_NE(std::string(error.what()).find("server.address 127.0.0.1 is loopback"), std::string::npos)
        << error.what();
  }
  Spec reachable = Spec::parse(
      R"({"hosts": {"server": "ssh://a", "clients": ["ssh://b"]}, "defaults": {"server": {"address": "10.1.2.3"}}})",
      "t.json");
  EXPECT_NO_THROW(reachable.use_hosts(reachable.hosts()));
  // One host for everything: loopback is right.
  Spec same = Spec::parse(R"({"hosts": {"server": "ssh://a", "clients": ["ssh://a"]}})", "t.json");
  EXPECT_NO_THROW(same.use_hosts(same.hosts()));
}

ThreadObservation observation(const std::string& role, int index, uint64_t bytes, double cpu_s) {
  ThreadObservation thread;
  thread.role = role;
  thread.index = index;
  thread.counters.tid = 100 + index;
  thread.counters.cpus_seen = {index};
  (role == "client" ? thread.counters.bytes_in : thread.counters.bytes_out) = bytes;
  thread.counters.accepted = 1;
  OsThreadStats os;
  os.tid = thread.counters.tid;
  os.cpu_user_s = cpu_s;
  os.ctx_voluntary = 7;
  os.migrations_known = true;
  thread.os = os;
  return thread;
}

// One client host's part of a window: two connections on one thread.
WindowMeasurement client_part(uint64_t bytes) {
  WindowMeasurement w;
  w.client_start = {observation("client", 0, 0, 0)};
  w.client_end = {observation("client", 0, bytes, 0.5)};
  w.window_s = 1;
  w.echoed_bytes = bytes;
  w.message_bytes = 4096;
  w.interval_ms = 500;
  w.interval_mb_s = {1.0, 2.0};
  w.connections = 2;
  w.connections_start = {{0, 0, 0}, {1, 0, 0}};
  w.connections_end = {{0, 0, bytes / 2}, {1, 0, bytes / 2}};
  w.steal_s = 0.01;
  w.machine_busy_s = 0.9;
  RequestTotals requests;
  requests.completed = 10;
  for (int i = 1; i <= 10; ++i) requests.latency.record(static_cast<uint64_t>(i) * 1000);
  w.requests = requests;
  w.memory_end = MemoryStats{1000, 1200};
  return w;
}

TEST(WindowJson, RoundTripsEveryField) {
  WindowMeasurement w = client_part(4096);
  w.server_start = {observation("server", 0, 0, 0)};
  w.server_end = {observation("server", 0, 4096, 0.4)};
  w.server_end[0].host = "lab-a";
  w.server_process_cpu_start = 1.5;
  w.server_memory_base = MemoryStats{10, 20};
  w.cpu_mhz = 2400;
  const Json once = window_to_json(w);
  EXPECT_EQ(window_to_json(window_from_json(once)), once);
  EXPECT_EQ(window_from_json(once).server_end[0].host, "lab-a");
  Json broken = once;
  broken.erase("client_end");
  EXPECT_THROW(window_from_json(broken), std::invalid_argument);
}

TEST(WindowJson, MergingHostsAddsBytesAndKeepsEveryConnectionAndThread) {
  WindowMeasurement whole;
  WindowMeasurement first = client_part(8000), second = client_part(2000);
  for (auto* part : {&first, &second}) {
    const std::string host = part == &first ? "lab-b" : "lab-c";
    for (auto& thread : part->client_start) thread.host = host;
    for (auto& thread : part->client_end) thread.host = host;
  }
  merge_window(whole, first, true);
  merge_window(whole, second, false);  // same machine as the first: its noise counts once
  EXPECT_EQ(whole.echoed_bytes, 10000u);
  EXPECT_EQ(whole.connections, 4);
  ASSERT_EQ(whole.connections_end.size(), 4u);
  EXPECT_EQ(whole.connections_end[3].index, 3);
  EXPECT_EQ(whole.connections_end[3].client_thread, 1);
  EXPECT_EQ(whole.interval_mb_s, (std::vector<double>{2.0, 4.0}));
  ASSERT_TRUE(whole.requests);
  EXPECT_EQ(whole.requests->completed, 20u);
  EXPECT_EQ(whole.requests->latency.count(), 20u);
  EXPECT_DOUBLE_EQ(*whole.steal_s, 0.01);
  EXPECT_EQ(whole.memory_end->rss_kb, 2000u);

  const Json metrics = compute_metrics(whole);
  EXPECT_EQ(metrics["connections_served"], 4);
  EXPECT_DOUBLE_EQ(metrics["client_cpu_s"].get<double>(), 1.0);  // both hosts' thread 0, told apart by host
  std::set<std::string> hosts;
  for (const auto& row : metrics["threads"]) hosts.insert(row.value("host", ""));
  EXPECT_EQ(hosts, (std::set<std::string>{"lab-b", "lab-c"}));
}

TEST(ControlProtocol, AConfigSentAsJsonIsCheckedKeyByKey) {
  const Json defaults = default_config();
  EXPECT_EQ(config_from_json(defaults), defaults);
  Json unknown = defaults;
  unknown["server"]["colour"] = "blue";
  EXPECT_THROW(config_from_json(unknown), ConfigError);
  Json bad = defaults;
  bad["server"]["threads"] = "four";
  try {
    config_from_json(bad);
    FAIL() << "a bad value was accepted";
  } catch (const ConfigError& error) {
    EXPECT_NE(std::string(error.what()).find("server.threads"), std::string::npos) << error.what();
  }
}

TEST(ChildProcessTest, LinesInAndOutAndItsExitAndLastWords) {
  ChildProcess child({"sh", "-c", "read x; echo got $x; echo oops >&2; exit 3"});
  ASSERT_TRUE(child.write_line("hello"));
  const auto line = child.read_line(in_seconds(10));
  ASSERT_TRUE(line);
  EXPECT_EQ(*line, "got hello");
  EXPECT_FALSE(child.read_line(in_seconds(10)));
  EXPECT_FALSE(child.timed_out());
  const int status = child.wait(in_seconds(10));
  EXPECT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_EQ(child.error_tail(), "oops");
}

TEST(ChildProcessTest, ALineThatDoesNotComeTimesOut) {
  ChildProcess child({"sh", "-c", "read x"});
  EXPECT_FALSE(child.read_line(in_seconds(0.05)));
  EXPECT_TRUE(child.timed_out());
  child.close_input();  // `read` sees the end and the shell exits
  EXPECT_TRUE(WIFEXITED(child.wait(in_seconds(10))));
}

TEST(ChildProcessTest, AMissingProgramSaysSo) {
  ChildProcess child({"/nonexistent/echolab-peer"});
  EXPECT_FALSE(child.read_line(in_seconds(10)));
  EXPECT_EQ(WEXITSTATUS(child.wait(in_seconds(10))), 127);
  EXPECT_NE(child.error_tail().find("cannot run /nonexistent/echolab-peer"), std::string::npos);
}

TEST(ControlProtocol, AControlledServerExitsWhenItsControllerGoesAway) {
  ChildProcess server({testing::kEcholabBinary, "serve", "--control"});
  Json config = default_config();
  config["server"]["threads"] = 1;
  ASSERT_TRUE(server.write_line("config " + config.dump()));
  const auto listening = server.read_line(in_seconds(30));
  ASSERT_TRUE(listening);
  EXPECT_EQ(listening->rfind("listening on 127.0.0.1:", 0), 0u) << *listening;
  server.close_input();  // as when the ssh connection drops
  const int status = server.wait(in_seconds(30));
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 3);
  EXPECT_NE(server.error_tail().find("control input closed"), std::string::npos) << server.error_tail();
}

// A controlled server whose external server starts a grandchild in a
// session of its own that ignores SIGTERM: the grandchild must not outlive
// the controlled server, whether its controller goes away or timeout(1)
// sends it SIGTERM at the trial's limit.
void expect_no_grandchild_left(bool terminate) {
  char dir_template[] = "/tmp/echolab-orphan-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string pid_file = std::string(dir_template) + "/grandchild.pid";
  ChildProcess server({testing::kEcholabBinary, "serve", "--control"});
  Json config = default_config();
  config["server"]["model"] = "external";
  config["server"]["command"] = testing::orphaning_server_command(pid_file);
  ASSERT_TRUE(server.write_line("config " + config.dump()));
  const auto listening = server.read_line(in_seconds(30));
  ASSERT_TRUE(listening) << server.error_tail();
  pid_t grandchild = 0;
  std::ifstream(pid_file) >> grandchild;
  ASSERT_GT(grandchild, 0);
  if (terminate) {
    kill(server.pid(), SIGTERM);
  } else {
    server.close_input();  // as when the ssh connection drops
  }
  server.wait(in_seconds(30));
  const bool gone = testing::process_gone(grandchild);
  EXPECT_TRUE(gone) << "pid " << grandchild << " outlived its controlled server";
  if (!gone) kill(grandchild, SIGKILL);
  std::filesystem::remove_all(dir_template);
}

TEST(ControlProtocol, AControlledServerLeavesNoProcessWhenItsControllerGoesAway) {
  if (!testing::have_program("socat") || !testing::have_program("setsid")) GTEST_SKIP() << "socat or setsid missing";
  expect_no_grandchild_left(false);
}

TEST(ControlProtocol, AControlledServerLeavesNoProcessWhenTerminated) {
  if (!testing::have_program("socat") || !testing::have_program("setsid")) GTEST_SKIP() << "socat or setsid missing";
  expect_no_grandchild_left(true);
}

TEST(HostsTrial, ServerAndClientAsControlledProcessesMergeIntoOneResult) {
  HostsConfig hosts;  // "local" for both: the same orders as over ssh
  hosts.echolab = testing::kEcholabBinary;
  const HostSessions sessions(hosts);
  Json config = default_config();
  config["server"]["model"] = "single_thread";
  config["load"]["connections"] = 2;
  config["load"]["workload"] = "rr";
  config["timing"]["warmup_s"] = 0.2;
  // The two processes snapshot their windows at one wall-clock time, each
  // as late as its scheduler lets it: under TSan, beside another shard, the
  // server's side once counted 25% fewer bytes than the client's in a 0.5 s
  // window (about 0.13 s of slip). A longer window there keeps such a slip
  // under the 20% allowed.
  config["timing"]["duration_s"] = testing::kSanitized ? 1.5 : 0.5;
  const TrialResult result = run_hosts_trial(config, sessions);
  ASSERT_TRUE(result.ok()) << result.error;
  EXPECT_GT(result.metrics["requests_per_s"].get<double>(), 0);
  EXPECT_GT(result.metrics["bytes_echoed"].get<uint64_t>(), 0u);
  EXPECT_EQ(result.metrics["connections_served"], 2);
  EXPECT_GT(result.histograms["latency_ns"]["count"].get<uint64_t>(), 0u);
  std::set<std::pair<std::string, std::string>> rows;
  for (const auto& row : result.metrics["threads"]) rows.insert({row["role"], row.value("host", "")});
  EXPECT_TRUE(rows.count({"server", "local"}) && rows.count({"client", "local"}));
  std::set<std::string> placed;
  for (const auto& row : result.placement["threads"])
    placed.insert(row["role"].get<std::string>() + "@" + row["host"].get<std::string>());
  EXPECT_TRUE(placed.count("server@local") && placed.count("client@local"));
  // The server's own count of echoed bytes agrees with the client's.
  uint64_t server_bytes = 0;
  for (const auto& row : result.metrics["threads"]) {
    if (row["role"] == "server") server_bytes += row["bytes"].get<uint64_t>();
  }
  const double client_bytes = result.metrics["bytes_echoed"].get<double>();
  EXPECT_NEAR(static_cast<double>(server_bytes), client_bytes, 0.2 * client_bytes + 65536);
}

TEST(HostsTrial, AServerThatCannotStartFailsTheTrialWithItsReason) {
  HostsConfig hosts;
  hosts.echolab = testing::kEcholabBinary;
  const HostSessions sessions(hosts);
  Json config = default_config();
  config["server"]["address"] = "192.0.2.1";  // TEST-NET: no interface here has it
  config["timing"]["duration_s"] = 0.2;
  const TrialResult result = run_hosts_trial(config, sessions);
  EXPECT_EQ(result.status, "failed");
  EXPECT_NE(result.error.find("server on local"), std::string::npos) << result.error;
  EXPECT_NE(result.error.find("did not start"), std::string::npos) << result.error;
}

}  // namespace
}  // namespace echolab
