#pragma once

#include <chrono>
#include <ostream>
#include <string>

#include "harness/config/config_keys.h"
#include "harness/sweep/spec.h"

namespace echolab {

/// Owns the progress display of a sweep: on a terminal one status line
/// rewritten in place (trial k of n, ETA, last result), otherwise one plain
/// log line per trial. Main thread only.
class SweepProgress {
 public:
  /// `planned_s`: the sum of the planned seconds of every trial to run.
  SweepProgress(std::ostream& out, bool terminal, int trials, double planned_s);
  ~SweepProgress();

  void trial_started(const SpecPoint& point, int repetition);
  void trial_finished(const SpecPoint& point, const Json& result, double wall_s);
  /// A line that stays (a failure, the Ctrl-C notice), above the status line.
  void note(const std::string& line);
  /// Clears the status line (the display is done).
  void finish();

 private:
  void show_status();
  std::string eta_text() const;

  std::ostream& out_;
  bool terminal_;
  int trials_;
  int done_ = 0;
  double planned_left_s_;
  double planned_done_s_ = 0;
  double wall_done_s_ = 0;
  std::string current_;  // the trial running now
  std::string last_;     // the last result
  bool status_shown_ = false;
};

/// Seconds as "45 s", "3 min 20 s" or "1 h 05 min".
std::string format_duration(double seconds);

}  // namespace echolab
