#pragma once

#include <csignal>

#include "core/unique_fd.h"

namespace echolab {

/// Owns the SIGINT/SIGTERM handlers of a sweep and a self-pipe the handler
/// writes to, so a poll() on wake_fd() returns when the user presses Ctrl-C.
/// One instance at a time; main thread only (the handler itself is
/// async-signal-safe).
class InterruptWatch {
 public:
  InterruptWatch();
  ~InterruptWatch();
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

  /// How many SIGINT/SIGTERM arrived since construction.
  int count() const { return received_; }
  /// Readable after a signal arrived; call drain() once seen.
  int wake_fd() const { return read_end_.get(); }
  void drain() const;
  /// In a forked child: default dispositions again, the pipe closed.
  void forget_in_child();

 private:
  static void on_signal(int signal_number);

  static volatile std::sig_atomic_t received_;
  static int write_fd_;
  UniqueFd read_end_;
  UniqueFd write_end_;
  struct sigaction previous_int_ = {};
  struct sigaction previous_term_ = {};
};

}  // namespace echolab
