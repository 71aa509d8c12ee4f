#include "harness/trial/trial_process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>
#include <utility>

#include "core/fd_io.h"
#include "core/process_reaper.h"
#include "harness/config/trial_config.h"
#include "harness/trial/trial_runner.h"

namespace echolab {
namespace {

constexpr double kDefaultMarginS = 10;

// Test-only: ECHOLAB_TRIAL_MARGIN_S shortens the margin so a test of a
// hanging trial need not wait 10 s.
double margin_s() {
  const char* text = std::getenv("ECHOLAB_TRIAL_MARGIN_S");
  return text && std::atof(text) > 0 ? std::atof(text) : kDefaultMarginS;
}

// Test-only fault injection, read by the trial's child process:
// ECHOLAB_FAULT="hang@2:1,crash@3:1,fail@1:2,exit@4:1" makes trial
// (point 2, repetition 1) hang, (3, 1) die of SIGSEGV, (1, 2) report a
// failed start, and (4, 1) exit without writing a result. Points are
// numbered as `echolab plan` prints them.
std::string injected_fault(int point_number, int repetition) {
  const char* text = std::getenv("ECHOLAB_FAULT");
  if (!text) return "";
  const std::string wanted = "@" + std::to_string(point_number) + ":" + std::to_string(repetition);
  std::istringstream items(text);
  std::string item;
  while (std::getline(items, item, ',')) {
    const auto at = item.find('@');
    if (at != std::string::npos && item.substr(at) == wanted) return item.substr(0, at);
  }
  return "";
}

std::string describe_exit(int wait_status) {
  if (WIFSIGNALED(wait_status)) {
    const int number = WTERMSIG(wait_status);
    return "trial process died of signal " + std::to_string(number) + " (" + strsignal(number) + ")";
  }
  return "trial process exited with code " + std::to_string(WEXITSTATUS(wait_status)) + " without a result";
}

}  // namespace

TrialProcess::TrialProcess(const Topology& topology, InterruptWatch& interrupts, TrialFunction run_elsewhere,
                           double extra_s)
    : topology_(topology), interrupts_(interrupts), run_elsewhere_(std::move(run_elsewhere)), extra_s_(extra_s) {}

double TrialProcess::deadline_s(const Json& config) const {
  double seconds = get_key(config, "timing.warmup_s").get<double>() +
                   get_key(config, "timing.duration_s").get<double>() + margin_s();
  // A model that declares a start timeout (external, or any model run as a
  // separate process) may use it all; so may the connects (10,000 take
  // seconds).
  seconds += get_key(config, "load.connections").get<double>() / 1000.0;
  if (serving_model(config).option("start_timeout_s") || run_elsewhere_)
    seconds += get_key(config, "server.start_timeout_s").get<double>();
  return seconds + extra_s_;
}

void TrialProcess::run_warden(pid_t sweep, UniqueFd result_end, const Json& config, int point_number,
                              int repetition) const {
  // The warden: a subreaper that runs the trial in its own child and, when
  // that ends, or when the sweep orders it (SIGTERM: timeout, second Ctrl-C)
  // or dies (the parent-death signal), kills every process the trial
  // started, external servers' daemons and SIGTERM-ignoring grandchildren
  // included, before it exits.
  sigset_t waited, previous;
  sigemptyset(&waited);
  sigaddset(&waited, SIGTERM);
  sigaddset(&waited, SIGCHLD);
  sigprocmask(SIG_BLOCK, &waited, &previous);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != sweep) ::_exit(1);
  become_subreaper();
  const pid_t warden = getpid();
  const pid_t trial = fork();
  if (trial < 0) ::_exit(1);
  if (trial == 0) {
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != warden) ::_exit(1);
    run_child(result_end.get(), config, point_number, repetition);
  }
  result_end.reset();  // the sweep sees the pipe close when the trial's end is gone
  int status = 0;
  bool trial_ended = false;
  while (!trial_ended) {
    siginfo_t info = {};
    const int signal_number = sigwaitinfo(&waited, &info);
    if (signal_number == SIGTERM) break;
    trial_ended = waitpid(trial, &status, WNOHANG) == trial;
  }
  kill_descendants();
  if (!trial_ended) ::_exit(1);
  if (WIFSIGNALED(status)) {
    // Ends as the trial did, so the sweep reports the trial's signal.
    rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    ::signal(WTERMSIG(status), SIG_DFL);
    sigprocmask(SIG_SETMASK, &previous, nullptr);
    ::raise(WTERMSIG(status));
  }
  ::_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

void TrialProcess::run_child(int result_fd, const Json& config, int point_number, int repetition) const {
  const std::string fault = injected_fault(point_number, repetition);
  if (fault == "hang") {
    while (true) ::pause();
  }
  if (fault == "crash") {
    rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    ::signal(SIGSEGV, SIG_DFL);
    ::raise(SIGSEGV);
  }
  if (fault == "exit") ::_exit(3);
  TrialResult result;
  try {
    if (fault == "fail") {
      result = TrialResult::failure(config, plan_trial(config, topology_, true), "failed",
                                    "server did not start: injected failure (ECHOLAB_FAULT)");
    } else {
      result = run_elsewhere_ ? run_elsewhere_(config) : run_trial(config, topology_, true);
    }
  } catch (const std::exception& error) {
    result = TrialResult::failure(config, Json::object(), "failed", error.what());
  }
  (void)write_fully(result_fd, result.to_json().dump());  // the parent reports a missing result
  ::_exit(0);
}

TrialOutcome TrialProcess::run(const Json& config, int point_number, int repetition, const Json& planned_placement,
                               const std::function<void()>& on_first_interrupt) const {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + strerror(errno));
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  std::cout.flush();
  std::cerr.flush();
  const pid_t parent = getpid();
  // Processes the sweep already has (a hosts sweep's ssh masters): all
  // others are the trial's, and none outlives it.
  const std::set<pid_t> before = children_of_this_process();
  const auto started = Clock::now();
  const pid_t child = fork();
  if (child < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (child == 0) {
    setpgid(0, 0);  // its own group: terminal Ctrl-C reaches only the parent
    interrupts_.forget_in_child();
    read_end.reset();
    run_warden(parent, std::move(write_end), config, point_number, repetition);
  }
  setpgid(child, child);  // also here, so kill(-child) works whoever runs first
  write_end.reset();
  const auto deadline =
      started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(deadline_s(config)));
  std::string output;
  const std::string killed_because = collect_output(child, std::move(read_end), deadline, on_first_interrupt, output);
  // Wait for the exit without reaping, so the group id cannot be reused yet,
  // then clear anything the trial left in its group, and any process of the
  // trial re-parented to the sweep (if the warden itself was killed).
  siginfo_t exited = {};
  while (waitid(P_PID, static_cast<id_t>(child), &exited, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
  }
  kill(-child, SIGKILL);
  int wait_status = 0;
  while (waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
  }
  kill_descendants(before);

  TrialOutcome outcome;
  outcome.wall_s = std::chrono::duration<double>(Clock::now() - started).count();
  auto failure = [&](const std::string& status, const std::string& error) {
    return TrialResult::failure(config, planned_placement, status, error);
  };
  if (killed_because == "interrupted") {
    outcome.result = failure("failed", "interrupted");
  } else if (killed_because == "timeout") {
    const double limit = deadline_s(config);
    char text[200];
    std::snprintf(
        text, sizeof text,
        "no result within %.1f s (warm-up + duration + %.1f s margin); the trial's processes were killed", limit,
        limit - get_key(config, "timing.warmup_s").get<double>() - get_key(config, "timing.duration_s").get<double>());
    outcome.result = failure("timeout", text);
  } else if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0 || output.empty()) {
    outcome.result = failure("failed", describe_exit(wait_status));
  } else {
    try {
      outcome.result = TrialResult::from_json(Json::parse(output));
    } catch (const std::exception& error) {  // Json::parse_error, or from_json's std::invalid_argument
      outcome.result = failure("failed", std::string("unreadable result from the trial process: ") + error.what());
    }
  }
  return outcome;
}

std::string TrialProcess::collect_output(pid_t child, UniqueFd read_end, Clock::time_point deadline,
                                         const std::function<void()>& on_first_interrupt, std::string& output) const {
  fcntl(read_end.get(), F_SETFL, O_NONBLOCK);
  std::string killed_because;
  bool told_first_interrupt = false;
  while (read_end) {
    if (interrupts_.count() >= 1 && !told_first_interrupt) {
      told_first_interrupt = true;
      on_first_interrupt();
    }
    if (killed_because.empty() && (interrupts_.count() >= 2 || Clock::now() >= deadline)) {
      killed_because = interrupts_.count() >= 2 ? "interrupted" : "timeout";
      kill(child, SIGTERM);  // the warden kills the trial and all it started, then exits
    }
    // Until the deadline; once killed, until the pipe closes (it will now).
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    const int timeout_ms = killed_because.empty() ? static_cast<int>(std::max<int64_t>(left, 0) + 1) : -1;
    pollfd waits[2] = {{read_end.get(), POLLIN, 0}, {interrupts_.wake_fd(), POLLIN, 0}};
    if (::poll(waits, 2, timeout_ms) < 0 && errno != EINTR) {
      throw std::runtime_error(std::string("poll: ") + strerror(errno));
    }
    if (waits[1].revents & POLLIN) interrupts_.drain();
    if (waits[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buffer[65536];
      const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
      if (n > 0) output.append(buffer, static_cast<size_t>(n));
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) read_end.reset();
    }
  }
  return killed_because;
}

}  // namespace echolab
