#include "harness/remote/control_channel.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <thread>

#include "core/process_reaper.h"

namespace echolab {

ControlChannel::ControlChannel() {
  // Detached: it blocks in read() on standard input, which only the end of
  // input or the end of the process interrupts.
  std::thread([shared = shared_] { read_lines(shared); }).detach();
}

void ControlChannel::read_lines(const std::shared_ptr<Shared>& shared) {
  std::string pending;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buffer, static_cast<size_t>(n));
    for (size_t end; (end = pending.find('\n')) != std::string::npos;) {
      std::lock_guard lock(shared->mutex);
      shared->lines.push_back(pending.substr(0, end));
      pending.erase(0, end + 1);
      shared->ready.notify_all();
    }
  }
  std::lock_guard lock(shared->mutex);
  if (!shared->finished) {
    // The controlling sweep is gone: nothing of this trial may stay behind
    // (an external server and whatever it started: this process is their
    // subreaper).
    static const char kMessage[] = "echolab: control input closed before the trial ended; exiting\n";
    (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
    kill_descendants();
    ::_exit(3);
  }
}

std::string ControlChannel::next_line(double timeout_s) {
  std::unique_lock lock(shared_->mutex);
  if (!shared_->ready.wait_for(lock, std::chrono::duration<double>(timeout_s),
                               [this] { return !shared_->lines.empty(); })) {
    throw std::runtime_error("no order on the control input within " + std::to_string(timeout_s) + " s");
  }
  std::string line = std::move(shared_->lines.front());
  shared_->lines.pop_front();
  return line;
}

std::string ControlChannel::expect(const std::string& word, double timeout_s) {
  const std::string line = next_line(timeout_s);
  if (line != word && !line.starts_with(word + " ")) {
    throw std::runtime_error("control input: expected '" + word + "', got '" + line.substr(0, 60) + "'");
  }
  return line.size() > word.size() ? line.substr(word.size() + 1) : "";
}

Json ControlChannel::read_config(double timeout_s) {
  const std::string text = expect("config", timeout_s);
  Json given = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!given.is_object()) throw ConfigError("control input: the config line is not a JSON object");
  return config_from_json(given);
}

void ControlChannel::finish() {
  std::lock_guard lock(shared_->mutex);
  shared_->finished = true;
}

Json config_from_json(const Json& given) {
  Json config = default_config();
  size_t known = 0;
  for (const KeySpec& key : config_keys()) {
    const std::string path(key.path);
    const size_t dot = path.find('.');
    const std::string section = path.substr(0, dot), name = path.substr(dot + 1);
    if (!given.contains(section) || !given[section].is_object() || !given[section].contains(name)) continue;
    set_key(config, path, check_value(key, given[section][name]));
    ++known;
  }
  size_t total = 0;
  for (const auto& [section, members] : given.items()) total += members.is_object() ? members.size() : 1;
  if (known != total) throw ConfigError("control input: the config has keys this echolab does not know");
  return config;
}

}  // namespace echolab
