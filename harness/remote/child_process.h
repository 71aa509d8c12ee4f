#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/unique_fd.h"

namespace echolab {

/// One command run with pipes on its standard input, output and error: the
/// sweep's end of an `echolab serve|load --control` process, run directly or
/// through ssh, or an ssh control master. Owns the process (killed and
/// reaped when destroyed; killed by the kernel if its parent dies) and its
/// pipes. One thread.
class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;

  /// Starts `argv` (argv[0] looked up in PATH). `own_group`: a process group
  /// of its own, so the terminal's Ctrl-C does not reach it. Throws
  /// std::runtime_error when it cannot be started.
  explicit ChildProcess(const std::vector<std::string>& argv, bool own_group = false);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  /// Writes `line` and a newline to its standard input; false if it is gone.
  bool write_line(const std::string& line);
  /// Closes its standard input (a `--control` process then exits).
  void close_input();
  /// Its next line of output; nullopt when its output ended or at `deadline`
  /// (timed_out() tells which).
  std::optional<std::string> read_line(Clock::time_point deadline);
  bool timed_out() const { return timed_out_; }
  /// Waits for it to exit until `deadline`, then kills it; the wait status.
  int wait(Clock::time_point deadline);
  /// Whether it has exited (reaps it if so).
  bool exited();
  /// The last lines of its standard error (ssh's and echolab's messages),
  /// joined by " / "; "" when it wrote none.
  std::string error_tail();
  pid_t pid() const { return pid_; }

 private:
  /// Waits until `deadline` for its output or error pipe to have data, then
  /// reads whatever both hold.
  void pump(Clock::time_point deadline);

  pid_t pid_ = -1;
  int status_ = 0;
  UniqueFd in_, out_, err_;
  std::string out_text_, err_text_;
  bool timed_out_ = false;
};

/// `text` quoted for a POSIX shell (unchanged when it needs no quotes).
std::string shell_quote(const std::string& text);

/// The steady-clock instant `seconds` from now: a deadline for read_line
/// and wait.
ChildProcess::Clock::time_point deadline_in(double seconds);

/// A wait status in words: "exit code N" or "killed by signal N".
std::string describe_wait_status(int status);

}  // namespace echolab
