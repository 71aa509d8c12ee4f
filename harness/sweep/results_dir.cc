#include "harness/sweep/results_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/fd_io.h"
#include "harness/cli/cli_args.h"

namespace echolab {
namespace {

namespace fs = std::filesystem;

const char* const kTrialsFile = "trials.jsonl";

std::string format_utc(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm parts = {};
  gmtime_r(&now, &parts);
  char text[64];
  std::strftime(text, sizeof text, format, &parts);
  return text;
}

// Writes all of `data` and waits until it is on disk; throws "cannot write
// `what`: <reason>" if either fails.
void write_synced_or_throw(int fd, const std::string& data, const std::string& what) {
  int error = write_fully(fd, data);
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (error != 0) throw std::runtime_error("cannot write " + what + ": " + strerror(error));
}

void fsync_directory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd) ::fsync(fd.get());
}

// Points parent/latest at `target` (a name inside parent) atomically.
void point_latest_at(const std::string& parent, const std::string& target) {
  const std::string temporary = parent + "/.latest." + std::to_string(getpid());
  ::unlink(temporary.c_str());
  if (::symlink(target.c_str(), temporary.c_str()) != 0) return;
  if (::rename(temporary.c_str(), (parent + "/latest").c_str()) != 0) ::unlink(temporary.c_str());
}

}  // namespace

std::string utc_stamp() { return format_utc("%Y%m%dT%H%M%SZ"); }
std::string utc_iso_time() { return format_utc("%Y-%m-%dT%H:%M:%SZ"); }

ResultsDir::ResultsDir(std::string path) : path_(std::move(path)) {}

void ResultsDir::lock() {
  lock_fd_.reset(::open(path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!lock_fd_) throw UsageError("echolab: cannot open '" + path_ + "': " + strerror(errno));
  if (::flock(lock_fd_.get(), LOCK_EX | LOCK_NB) != 0) {
    throw UsageError("echolab: " + path_ + " is in use by another echolab run (it holds the directory's lock); " +
                     "wait for it to end or stop it first");
  }
}

void ResultsDir::check_can_create(const std::string& parent) {
  const std::string problem = "echolab run: cannot write results under '" + parent + "': ";
  fs::path existing = fs::path(parent).lexically_normal();
  if (existing.empty()) existing = ".";
  std::error_code error;
  // The nearest existing ancestor must be a writable directory.
  while (!fs::exists(existing, error)) {
    if (fs::is_symlink(fs::symlink_status(existing, error))) {
      throw UsageError(problem + "'" + existing.string() + "' is a dangling link");
    }
    existing = existing.has_parent_path() ? existing.parent_path() : fs::path(".");
  }
  if (!fs::is_directory(existing, error)) throw UsageError(problem + "'" + existing.string() + "' is not a directory");
  if (::access(existing.c_str(), W_OK | X_OK) != 0) {
    throw UsageError(problem + "'" + existing.string() + "': " + strerror(errno));
  }
}

ResultsDir ResultsDir::create(const std::string& parent, const std::string& spec_text) {
  std::error_code error;
  fs::create_directories(parent, error);
  if (error) throw UsageError("echolab run: cannot create '" + parent + "': " + error.message());
  const std::string stamp = utc_stamp();
  std::string name = stamp;
  for (int suffix = 2; ::mkdir((parent + "/" + name).c_str(), 0777) != 0; ++suffix) {
    if (errno != EEXIST || suffix > 100) {
      throw UsageError("echolab run: cannot create '" + parent + "/" + name + "': " + strerror(errno));
    }
    name = stamp + "-" + std::to_string(suffix);
  }
  sync_directory(parent);  // the new run directory's entry, before anything is written in it
  ResultsDir dir(parent + "/" + name);
  dir.lock();
  dir.write_file("spec.json", spec_text);
  dir.open_trials_for_append();
  point_latest_at(parent, name);
  return dir;
}

std::string ResultsDir::locate(const std::string& given) {
  std::error_code error;
  std::string dir = given;
  if (!fs::exists(dir + "/spec.json", error) && fs::exists(dir + "/latest/spec.json", error)) dir += "/latest";
  if (!fs::exists(dir + "/spec.json", error)) {
    throw UsageError("echolab run: --resume " + given + ": no spec.json there (not a directory `echolab run` wrote)");
  }
  const fs::path real = fs::canonical(dir, error);  // "latest" -> the stamp it names
  return error ? dir : real.string();
}

ResultsDir ResultsDir::open(const std::string& given) {
  ResultsDir results(locate(given));
  results.lock();
  results.load_trials();
  results.open_trials_for_append();
  return results;
}

std::string ResultsDir::read_file(const std::string& name) const {
  std::ifstream in(path_ + "/" + name, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

TrialsText read_trials_text(const std::string& content, const std::string& file) {
  TrialsText out;
  size_t at = 0;
  for (int line_number = 1; at < content.size(); ++line_number) {
    const size_t end = content.find('\n', at);
    const bool last = end == std::string::npos || end + 1 == content.size();
    const std::string line = content.substr(at, end == std::string::npos ? std::string::npos : end - at);
    at = end == std::string::npos ? content.size() : end + 1;
    const std::string where = file + ":" + std::to_string(line_number) + ": ";
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    Json record;
    try {
      record = Json::parse(line);
    } catch (const Json::exception&) {  // parse_error, or out_of_range for a number too large
      if (last || end == std::string::npos) {
        out.warnings.push_back(where + "cut a torn last line (the run was killed while writing it)");
        out.rewrite = true;
      } else {
        out.warnings.push_back(where + "not a JSON line; kept in the file, ignored");
        out.kept += line + "\n";
      }
      continue;
    }
    if (!record.is_object()) {
      out.warnings.push_back(where + "not a trial record (a JSON " + std::string(record.type_name()) +
                             "); kept in the file, ignored");
      out.kept += line + "\n";
      continue;
    }
    if (end == std::string::npos) out.rewrite = true;  // complete but unterminated: terminate it
    const Json status = record.value("status", Json());
    const Json error = record.value("error", Json());
    if (status == "failed" && error == "interrupted") {
      out.warnings.push_back(where + "repetition " + record.value("repetition", Json(0)).dump() + " of point " +
                             record.value("point", Json("?")).dump() +
                             " was interrupted (second Ctrl-C); it runs again");
      out.rewrite = true;
      continue;
    }
    out.kept += line + "\n";
    out.records.push_back(std::move(record));
  }
  return out;
}

void ResultsDir::load_trials() {
  const std::string file = path_ + "/" + kTrialsFile;
  if (!fs::exists(file)) return;
  TrialsText read = read_trials_text(read_file(kTrialsFile), file);
  warnings_.insert(warnings_.end(), read.warnings.begin(), read.warnings.end());
  trials_ = std::move(read.records);
  if (read.rewrite) write_file(kTrialsFile, read.kept);
}

void ResultsDir::open_trials_for_append() {
  const std::string file = path_ + "/" + kTrialsFile;
  trials_fd_.reset(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666));
  if (!trials_fd_) throw UsageError("echolab run: cannot open " + file + ": " + strerror(errno));
  fsync_directory(path_);
}

void ResultsDir::append_trial(const Json& record) {
  const std::string what = path_ + "/" + kTrialsFile;
  const off_t line_start = ::lseek(trials_fd_.get(), 0, SEEK_END);
  try {
    write_synced_or_throw(trials_fd_.get(), record.dump() + "\n", what);
  } catch (const std::exception&) {
    // A full disk (ENOSPC) may have taken part of the line: cut it, so the
    // file keeps whole lines only and --resume reruns this trial.
    if (line_start >= 0 && ::ftruncate(trials_fd_.get(), line_start) == 0) ::fsync(trials_fd_.get());
    throw;
  }
  trials_.push_back(record);
}

void ResultsDir::write_file(const std::string& name, const std::string& content) const {
  const std::string final_path = path_ + "/" + name;
  // A file in a folder of the run (histograms/): the folder first, its
  // entry in the run directory synced like any other.
  const size_t slash = name.rfind('/');
  const std::string folder = slash == std::string::npos ? "" : path_ + "/" + name.substr(0, slash);
  if (!folder.empty()) {
    std::error_code error;
    if (std::filesystem::create_directories(folder, error) && ::fsync(lock_fd_.get()) != 0) {
      throw std::runtime_error("cannot sync " + path_ + ": " + strerror(errno));
    }
    if (error) throw std::runtime_error("cannot create " + folder + ": " + error.message());
  }
  const std::string temporary = final_path + ".tmp";
  try {
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (!fd) throw std::runtime_error("cannot write " + temporary + ": " + strerror(errno));
    write_synced_or_throw(fd.get(), content, temporary);
  } catch (const std::exception&) {
    ::unlink(temporary.c_str());  // the old file stays whole; no half-written copy beside it
    throw;
  }
  if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
    throw std::runtime_error("cannot replace " + final_path + ": " + strerror(errno));
  }
  // The rename is durable only once the directory's entry is on disk too: a
  // crash right after could otherwise leave the old file (or none). The
  // directory is open already, for its lock.
  if (!folder.empty()) {
    sync_directory(folder);
  } else if (::fsync(lock_fd_.get()) != 0) {
    throw std::runtime_error("cannot sync " + path_ + ": " + strerror(errno));
  }
}

void sync_directory(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd || ::fsync(fd.get()) != 0) {
    throw std::runtime_error("cannot sync the directory " + dir + ": " + strerror(errno));
  }
}

}  // namespace echolab
