#pragma once

// What the sweep tests share (sweep_test.cc, sweep_processes_test.cc): a
// temporary directory, environment for the echolab processes a test starts,
// the run directory's files, a tiny spec, and echolab in the background.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "harness/config/config_keys.h"  // Json: ordered, as the harness writes it
#include "tests/test_support.h"          // kEcholabBinary

namespace echolab::testing {

/// Owns a fresh temporary directory and removes it with its contents; any thread.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "echolab-sweep-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// Sets an environment variable for the lifetime of the object (the
/// echolab processes a test starts inherit it); the test's thread.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) { ::setenv(name, value.c_str(), 1); }
  ~ScopedEnv() { ::unsetenv(name_); }

 private:
  const char* name_;
};

inline void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline std::vector<Json> read_trials(const std::string& run_dir) {
  std::vector<Json> trials;
  std::istringstream lines(read_text(run_dir + "/trials.jsonl"));
  std::string line;
  while (std::getline(lines, line)) trials.push_back(Json::parse(line));
  return trials;
}

inline size_t complete_lines(const std::string& path) {
  const std::string text = read_text(path);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The one run directory under `parent` (what `latest` names).
inline std::string run_dir_under(const std::string& parent) {
  return std::filesystem::canonical(parent + "/latest").string();
}

// A tiny sweep: `points` single_thread points (read_buffer varies), trials
// of 0.2 s without warm-up.
inline std::string tiny_spec(int points, int repetitions) {
  std::string buffers;
  for (int i = 0; i < points; ++i) buffers += (i ? ", " : "") + std::to_string(4096 << i);
  return "// test sweep\n{\"name\": \"tiny\",\n \"defaults\": {\"timing\": {\"warmup_s\": 0, \"duration_s\": 0.2, "
         "\"interval_ms\": 50}, \"repetitions\": " +
         std::to_string(repetitions) + "},\n \"matrix\": {\"server.read_buffer\": [" + buffers + "]}}\n";
}

// Starts echolab in the background, output to files in `dir`; returns its pid.
inline pid_t spawn_echolab(const std::vector<std::string>& args, const TempDir& dir) {
  std::vector<std::string> storage = {kEcholabBinary};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string out = dir / "spawned.out";
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execv(kEcholabBinary, argv.data());
    _exit(127);
  }
  return pid;
}

inline int wait_exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace echolab::testing
