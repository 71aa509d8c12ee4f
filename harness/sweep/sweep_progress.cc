#include "harness/sweep/sweep_progress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace echolab {
namespace {

std::string result_text(const Json& result) {
  const std::string status = result.value("status", "?");
  if (status == "ok") {
    const Json metrics = result.value("metrics", Json::object());
    char text[128];
    const Json p99 = metrics.value("latency_us_p99", Json());
    if (metrics.contains("requests_per_s") && p99.is_number()) {
      std::snprintf(text, sizeof text, "%.0f req/s, p99 %.1f us", metrics.value("requests_per_s", 0.0),
                    p99.get<double>());
    } else {
      std::snprintf(text, sizeof text, "%.1f MB/s", metrics.value("throughput_mb_s", 0.0));
    }
    return text;
  }
  return status + ": " + result.value("error", "");
}

}  // namespace

std::string format_duration(double seconds) {
  const long total = std::lround(std::max(seconds, 0.0));
  char text[64];
  if (total < 60) {
    std::snprintf(text, sizeof text, "%ld s", total);
  } else if (total < 3600) {
    std::snprintf(text, sizeof text, "%ld min %02ld s", total / 60, total % 60);
  } else {
    std::snprintf(text, sizeof text, "%ld h %02ld min", total / 3600, total % 3600 / 60);
  }
  return text;
}

SweepProgress::SweepProgress(std::ostream& out, bool terminal, int trials, double planned_s)
    : out_(out), terminal_(terminal), trials_(trials), planned_left_s_(planned_s) {}

SweepProgress::~SweepProgress() { finish(); }

std::string SweepProgress::eta_text() const {
  // Scale what is left by how long finished trials took against their plan.
  const double pace = planned_done_s_ > 0 ? wall_done_s_ / planned_done_s_ : 1.0;
  return format_duration(planned_left_s_ * pace);
}

void SweepProgress::show_status() {
  if (!terminal_) return;
  std::string line = "[" + std::to_string(done_ + (current_.empty() ? 0 : 1)) + "/" + std::to_string(trials_) + "] " +
                     (current_.empty() ? "" : current_ + "  ") + "ETA " + eta_text();
  if (!last_.empty()) line += "  last: " + last_;
  if (line.size() > 160) line = line.substr(0, 157) + "...";
  out_ << "\r\033[K" << line << std::flush;
  status_shown_ = true;
}

void SweepProgress::trial_started(const SpecPoint& point, int repetition) {
  current_ = "point " + std::to_string(point.number) + " rep " + std::to_string(repetition) + " (" +
             point.display_name() + ")";
  show_status();
}

void SweepProgress::trial_finished(const SpecPoint& point, const Json& result, double wall_s) {
  const double planned = point.estimated_seconds();
  ++done_;
  planned_done_s_ += planned;
  planned_left_s_ = std::max(0.0, planned_left_s_ - planned);
  wall_done_s_ += wall_s;
  last_ = result_text(result);
  const std::string status = result.value("status", "?");
  char wall[32];
  std::snprintf(wall, sizeof wall, "%.1f s", wall_s);
  const std::string log_line = "trial " + std::to_string(done_) + "/" + std::to_string(trials_) + ": " + current_ +
                               ": " + last_ + " (" + wall + ", ETA " + eta_text() + ")";
  current_.clear();
  if (!terminal_) {
    out_ << log_line << std::endl;
  } else if (status != "ok" && status != "skipped") {
    note(log_line);  // failures stay on screen
  } else {
    show_status();
  }
}

void SweepProgress::note(const std::string& line) {
  if (terminal_ && status_shown_) out_ << "\r\033[K";
  out_ << line << std::endl;
  status_shown_ = false;
  show_status();
}

void SweepProgress::finish() {
  if (terminal_ && status_shown_) out_ << "\r\033[K" << std::flush;
  status_shown_ = false;
}

}  // namespace echolab
