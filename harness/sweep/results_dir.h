#pragma once

#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "harness/config/config_keys.h"

namespace echolab {

/// trials.jsonl as read for --resume; a plain value.
struct TrialsText {
  std::vector<Json> records;          // complete trial records (objects), in file order
  std::string kept;                   // the file as it should be
  bool rewrite = false;               // kept differs from the file (torn or interrupted lines)
  std::vector<std::string> warnings;  // "FILE:LINE: what was done", one line each
};

/// Reads trials.jsonl's text: cuts a torn last line, keeps (and ignores)
/// other lines that are not trial records, drops interrupted trials so
/// they run again. Never throws for bad content. Any thread.
TrialsText read_trials_text(const std::string& content, const std::string& file);

/// fsync of a directory (its entries: a rename, a new file); throws
/// std::runtime_error naming it.
void sync_directory(const std::string& dir);

/// Owns one run directory on disk (docs/DESIGN.md "Results"): spec.json,
/// meta.json, trials.jsonl (appended and fsynced per trial), summary.csv
/// and its parent's `latest` link; keeps the trials read or written so far.
/// Holds the directory's lock while it lives. Main thread only.
class ResultsDir {
 public:
  /// Throws UsageError when no run directory could be made under `parent`
  /// (not a directory, not writable); creates nothing.
  static void check_can_create(const std::string& parent);
  /// Makes `parent`/<UTC stamp>/ (a suffix when taken), writes spec.json
  /// byte for byte and points `parent`/latest at it.
  static ResultsDir create(const std::string& parent, const std::string& spec_text);
  // Both hold the run directory's lock (flock on the directory) for as long
  // as the ResultsDir lives: a second run, resume or summarize of the same
  // directory meanwhile is refused with a UsageError (exit 2) before it
  // reads or writes anything.
  /// Opens a run directory (or results/NAME, meaning its latest) for
  /// --resume: takes its lock (see lock()), reads trials.jsonl, cuts a torn last line and drops trials
  /// killed by a second Ctrl-C ("interrupted", to run again), with
  /// warnings. Throws UsageError when `dir` is not a run directory.
  static ResultsDir open(const std::string& dir);
  /// The run directory `given` names: itself, or its `latest` when
  /// `given` is results/NAME. Throws UsageError when it holds no spec.json.
  static std::string locate(const std::string& given);

  ResultsDir(ResultsDir&&) = default;

  const std::string& path() const { return path_; }
  /// Every trial record in the file, in file order.
  const std::vector<Json>& trials() const { return trials_; }
  /// Problems found while opening (torn line...), for the user.
  const std::vector<std::string>& warnings() const { return warnings_; }
  std::string read_file(const std::string& name) const;

  /// Appends one record as one line and fsyncs it before returning.
  void append_trial(const Json& record);
  /// Replaces `name` (meta.json, summary.csv) through a temporary file and
  /// rename, so readers never see half a file.
  void write_file(const std::string& name, const std::string& content) const;

 private:
  explicit ResultsDir(std::string path);
  void lock();
  void open_trials_for_append();
  void load_trials();

  std::string path_;
  UniqueFd lock_fd_;  // the directory itself, flocked
  UniqueFd trials_fd_;
  std::vector<Json> trials_;
  std::vector<std::string> warnings_;
};

/// Current UTC time as "20261127T113000Z" (stamps) or ISO 8601 (meta).
std::string utc_stamp();
std::string utc_iso_time();

}  // namespace echolab
