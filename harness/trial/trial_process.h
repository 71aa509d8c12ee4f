#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>

#include "core/topology.h"
#include "core/unique_fd.h"
#include "harness/config/config_keys.h"
#include "harness/trial/interrupt_watch.h"
#include "harness/trial/trial_result.h"

namespace echolab {

/// What one isolated trial produced: run_trial's result, or a "failed" /
/// "timeout" result made by the parent; a plain value.
struct TrialOutcome {
  TrialResult result;
  double wall_s = 0;
};

/// Runs trials one at a time, each in a forked child process leading its own
/// process group, so a crash, hang or failed start of one trial becomes a
/// result ("failed", "timeout") and the sweep goes on; when a trial ends,
/// however it ends, no process it started is left. Holds no state between
/// trials. Main thread only, while the process runs no other thread
/// (it forks).
class TrialProcess {
 public:
  /// What runs a trial inside the child process, given its config; the
  /// default runs server and load here (run_trial).
  using TrialFunction = std::function<TrialResult(const Json& config)>;

  /// `run_elsewhere` (with `extra_s` more seconds allowed per trial) runs
  /// the trial another way, e.g. over the sweep's hosts.
  TrialProcess(const Topology& topology, InterruptWatch& interrupts, TrialFunction run_elsewhere = nullptr,
               double extra_s = 0);

  /// Runs trial `repetition` of point `point_number` (1-based, as `plan`
  /// prints it). `planned_placement` goes into results the child could not
  /// write. The first Ctrl-C calls `on_first_interrupt` and lets the trial
  /// finish; a second kills it (status "failed", error "interrupted").
  TrialOutcome run(const Json& config, int point_number, int repetition, const Json& planned_placement,
                   const std::function<void()>& on_first_interrupt) const;

  /// Seconds a trial may take before its process group is killed:
  /// warm-up + duration + a margin (+ an external server's start timeout).
  double deadline_s(const Json& config) const;

 private:
  using Clock = std::chrono::steady_clock;

  /// The forked process that runs and outlives the trial's own process,
  /// then kills whatever the trial left (process_reaper.h).
  [[noreturn]] void run_warden(pid_t sweep, UniqueFd result_end, const Json& config, int point_number,
                               int repetition) const;
  [[noreturn]] void run_child(int result_fd, const Json& config, int point_number, int repetition) const;
  /// Reads the child's result into `output` until the pipe closes, killing
  /// the child's group at `deadline` or on a second Ctrl-C; returns why it
  /// killed ("timeout", "interrupted") or "".
  std::string collect_output(pid_t child, UniqueFd read_end, Clock::time_point deadline,
                             const std::function<void()>& on_first_interrupt, std::string& output) const;

  const Topology& topology_;
  InterruptWatch& interrupts_;
  TrialFunction run_elsewhere_;
  double extra_s_;
};

}  // namespace echolab
