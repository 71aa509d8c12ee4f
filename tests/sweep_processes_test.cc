// No process a trial started outlives it: a trial's external server leaves
// a grandchild that ignores SIGTERM, and the trial times out, is
// interrupted (Ctrl-C twice) or its sweep is SIGKILLed.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "tests/sweep_support.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

using testing::read_text;
using testing::read_trials;
using testing::run_dir_under;
using testing::run_echolab;
using testing::spawn_echolab;
using testing::TempDir;
using testing::wait_exit_code;
using testing::wait_until;
using testing::write_text;

// A spec whose one trial's external server
// leaves a grandchild that ignores SIGTERM (testing::orphaning_server_command).
std::string orphaning_spec(const std::string& pid_file, bool freeze, double duration_s) {
  const Json spec = {
      {"name", "orphans"},
      {"defaults",
       {{"timing", {{"warmup_s", 0}, {"duration_s", duration_s}, {"interval_ms", 100}}},
        {"repetitions", 1},
        {"server",
         {{"threads", 1}, {"command", testing::orphaning_server_command(pid_file, freeze)}, {"start_timeout_s", 1}}}}},
      {"matrix", {{"server.model", {"external"}}}}};
  return spec.dump(1);
}

/// The grandchild whose pid the spec's server wrote; 0 if it wrote none.
pid_t written_pid(const std::string& pid_file) {
  std::ifstream in(pid_file);
  pid_t pid = 0;
  in >> pid;
  return pid;
}

TEST(SweepRun, ATimedOutTrialLeavesNoProcessBehind) {
  if (!testing::have_program("socat") || !testing::have_program("setsid")) GTEST_SKIP() << "socat or setsid missing";
  TempDir dir;
  write_text(dir / "orphans.json", orphaning_spec(dir / "grandchild.pid", /*freeze=*/true, 0.5));
  setenv("ECHOLAB_TRIAL_MARGIN_S", "0.5", 1);
  const auto result = run_echolab({"run", dir / "orphans.json", "--out", dir / "results"}, 60);
  unsetenv("ECHOLAB_TRIAL_MARGIN_S");
  const auto trials = read_trials(run_dir_under(dir / "results"));
  ASSERT_EQ(trials.size(), 1u) << result.out << result.err;
  EXPECT_EQ(trials[0]["status"], "timeout") << trials[0]["error"];
  const pid_t grandchild = written_pid(dir / "grandchild.pid");
  ASSERT_GT(grandchild, 0) << "the server never started its grandchild";
  EXPECT_TRUE(testing::process_gone(grandchild)) << "pid " << grandchild << " outlived its timed-out trial";
}

TEST(SweepRun, AnInterruptedTrialLeavesNoProcessBehind) {
  if (!testing::have_program("socat") || !testing::have_program("setsid")) GTEST_SKIP() << "socat or setsid missing";
  TempDir dir;
  write_text(dir / "orphans.json", orphaning_spec(dir / "grandchild.pid", /*freeze=*/false, 60));
  const pid_t sweep = spawn_echolab({"run", dir / "orphans.json", "--out", dir / "results"}, dir);
  ASSERT_TRUE(wait_until([&] { return written_pid(dir / "grandchild.pid") > 0; }, std::chrono::seconds(30)));
  kill(sweep, SIGINT);
  // Signals of one kind don't queue: the second only once the first was seen.
  ASSERT_TRUE(wait_until([&] { return read_text(dir / "spawned.out").find("Ctrl-C") != std::string::npos; },
                         std::chrono::seconds(10)));
  kill(sweep, SIGINT);  // the second Ctrl-C kills the trial in progress
  EXPECT_EQ(wait_exit_code(sweep), 130) << read_text(dir / "spawned.out");
  const pid_t grandchild = written_pid(dir / "grandchild.pid");
  EXPECT_TRUE(testing::process_gone(grandchild)) << "pid " << grandchild << " outlived its interrupted trial";
}

TEST(SweepRun, AKilledSweepLeavesNoProcessBehind) {
  if (!testing::have_program("socat") || !testing::have_program("setsid")) GTEST_SKIP() << "socat or setsid missing";
  TempDir dir;
  write_text(dir / "orphans.json", orphaning_spec(dir / "grandchild.pid", /*freeze=*/false, 60));
  const pid_t sweep = spawn_echolab({"run", dir / "orphans.json", "--out", dir / "results"}, dir);
  ASSERT_TRUE(wait_until([&] { return written_pid(dir / "grandchild.pid") > 0; }, std::chrono::seconds(30)));
  kill(sweep, SIGKILL);
  EXPECT_EQ(wait_exit_code(sweep), 128 + SIGKILL);
  // The trial's warden sees the sweep die (its parent-death signal) and
  // kills what the trial started; that happens after the sweep is gone.
  const pid_t grandchild = written_pid(dir / "grandchild.pid");
  EXPECT_TRUE(wait_until([&] { return testing::process_gone(grandchild); }, std::chrono::seconds(10)))
      << "pid " << grandchild << " outlived its SIGKILLed sweep";
}

}  // namespace
}  // namespace echolab
