#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "harness/config/config_keys.h"

namespace echolab {

/// The orders a sweep gives an `echolab serve --control` or `load --control`
/// process on its standard input, one line each (docs/DESIGN.md "Hosts"):
///   config {JSON}           the trial's resolved config (first line)
///   start EPOCH_S           load: connect at this wall-clock time
///   window FROM_S TO_S      serve: measure between these wall-clock times
///   stop                    serve: stop and print the JSON line
/// Owns a reader thread; when standard input ends before `finish()` (the
/// sweep, or the ssh connection that carried it, went away) the process
/// exits at once, so a remote process never outlives its trial. The main
/// thread calls the other members.
class ControlChannel {
 public:
  ControlChannel();
  ControlChannel(const ControlChannel&) = delete;
  ControlChannel& operator=(const ControlChannel&) = delete;

  /// The next line; throws std::runtime_error after `timeout_s`.
  std::string next_line(double timeout_s);
  /// The next line, which must start with `word`; returns what follows it.
  std::string expect(const std::string& word, double timeout_s);
  /// Reads the `config` line: the trial's config, each key checked.
  Json read_config(double timeout_s);
  /// From now on the end of standard input is expected.
  void finish();

 private:
  /// What the reader thread and the main thread share; the reader holds it
  /// too, so it outlives this object.
  struct Shared {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<std::string> lines;
    bool finished = false;
  };
  static void read_lines(const std::shared_ptr<Shared>& shared);

  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
};

/// A config received as JSON (not from flags): every key known and checked
/// as the command line checks it; throws ConfigError naming the key.
Json config_from_json(const Json& given);

}  // namespace echolab
