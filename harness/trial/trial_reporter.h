#pragma once

#include <ostream>

#include "harness/trial/trial_result.h"

namespace echolab {

/// Receives each finished trial, as Google Benchmark's reporters receive
/// runs: one subclass per output (console table, JSON, results files).
/// Reporters only read what they are given. Main thread only.
class TrialReporter {
 public:
  virtual ~TrialReporter() = default;
  /// `record` is a result of the result schema (TrialResult::to_json), or
  /// a trials.jsonl line: the same fields plus the sweep's identity.
  virtual void report(const Json& record) = 0;
  /// Called once after the last trial.
  virtual void finish() {}
};

/// Writes each trial as the short human-readable table of `echolab trial`.
class ConsoleTableReporter : public TrialReporter {
 public:
  explicit ConsoleTableReporter(std::ostream& out) : out_(out) {}
  void report(const Json& record) override;

 private:
  std::ostream& out_;
};

/// Writes each trial as one indented JSON object (`--json`).
class JsonReporter : public TrialReporter {
 public:
  explicit JsonReporter(std::ostream& out) : out_(out) {}
  void report(const Json& record) override;

 private:
  std::ostream& out_;
};

}  // namespace echolab
