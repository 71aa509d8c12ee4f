#include "harness/remote/child_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "core/fd_io.h"

namespace echolab {
namespace {

constexpr size_t kErrorKeep = 4096;  // bytes of standard error kept

int poll_timeout_ms(ChildProcess::Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - ChildProcess::Clock::now());
  return static_cast<int>(std::max<int64_t>(left.count(), 0));
}

}  // namespace

ChildProcess::Clock::time_point deadline_in(double seconds) {
  using Clock = ChildProcess::Clock;
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::string describe_wait_status(int status) {
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "exit code " + std::to_string(WEXITSTATUS(status));
}

std::string shell_quote(const std::string& text) {
  if (!text.empty() &&
      text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./:-+=@,%") ==
          std::string::npos) {
    return text;
  }
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, bool own_group) {
  // Both ends of each pipe owned at once, so a failure below closes them.
  UniqueFd ends[3][2];
  for (auto& pair : ends) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe2: ") + strerror(errno));
    pair[0].reset(fds[0]);
    pair[1].reset(fds[1]);
  }
  const int in[2] = {ends[0][0].get(), ends[0][1].get()};
  const int out[2] = {ends[1][0].get(), ends[1][1].get()};
  const int err[2] = {ends[2][0].get(), ends[2][1].get()};
  std::vector<std::string> args = argv;
  std::vector<char*> pointers;
  for (auto& arg : args) pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + strerror(errno));
  if (pid_ == 0) {
    if (own_group) setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // dies with the trial (or sweep) that started it
    if (getppid() != parent) _exit(127);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvp(pointers[0], pointers.data());
    const std::string message = "cannot run " + args[0] + ": " + strerror(errno) + "\n";
    (void)!::write(STDERR_FILENO, message.data(), message.size());
    _exit(127);
  }
  in_ = std::move(ends[0][1]);
  out_ = std::move(ends[1][0]);
  err_ = std::move(ends[2][0]);  // the child's ends close with `ends`
  fcntl(out_.get(), F_SETFL, O_NONBLOCK);
  fcntl(err_.get(), F_SETFL, O_NONBLOCK);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
  }
}

bool ChildProcess::write_line(const std::string& line) {
  if (!in_) return false;
  return write_fully(in_.get(), line + "\n") == 0;  // EPIPE when the child is gone
}

void ChildProcess::close_input() { in_.reset(); }

void ChildProcess::pump(Clock::time_point deadline) {
  pollfd waits[2] = {{out_ ? out_.get() : -1, POLLIN, 0}, {err_ ? err_.get() : -1, POLLIN, 0}};
  if (::poll(waits, 2, poll_timeout_ms(deadline)) < 0) return;  // EINTR: the caller loops
  char buffer[16384];
  for (auto [fd, text] : {std::pair{&out_, &out_text_}, std::pair{&err_, &err_text_}}) {
    if (!*fd) continue;
    for (;;) {
      const ssize_t n = ::read(fd->get(), buffer, sizeof buffer);
      if (n > 0) {
        text->append(buffer, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) fd->reset();
      break;
    }
  }
  if (err_text_.size() > 2 * kErrorKeep) err_text_.erase(0, err_text_.size() - kErrorKeep);
}

std::optional<std::string> ChildProcess::read_line(Clock::time_point deadline) {
  timed_out_ = false;
  for (;;) {
    if (const size_t end = out_text_.find('\n'); end != std::string::npos) {
      std::string line = out_text_.substr(0, end);
      out_text_.erase(0, end + 1);
      return line;
    }
    if (!out_) {
      if (out_text_.empty()) return std::nullopt;
      std::string line = std::move(out_text_);  // a last line without its newline
      out_text_.clear();
      return line;
    }
    if (Clock::now() >= deadline) {
      timed_out_ = true;
      return std::nullopt;
    }
    pump(deadline);
  }
}

bool ChildProcess::exited() {
  if (pid_ <= 0) return true;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) {
    pid_ = -1;
    return true;
  }
  return false;
}

int ChildProcess::wait(Clock::time_point deadline) {
  while (!exited()) {
    if (Clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      while (waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
      break;
    }
    // Drain its pipes meanwhile (a full pipe would keep it from exiting);
    // once both are closed, the exit is due soon: look every 10 ms.
    if (out_ || err_) {
      pump(std::min(deadline, Clock::now() + std::chrono::milliseconds(10)));
    } else {
      ::poll(nullptr, 0, 10);
    }
  }
  return status_;
}

std::string ChildProcess::error_tail() {
  if (err_) pump(Clock::now());
  std::string tail, line;
  std::vector<std::string> lines;
  for (char c : err_text_) {
    if (c == '\n') {
      if (!line.empty()) lines.push_back(line);
      line.clear();
    } else if (c != '\r') {
      line += c;
    }
  }
  if (!line.empty()) lines.push_back(line);
  const size_t first = lines.size() > 3 ? lines.size() - 3 : 0;
  for (size_t i = first; i < lines.size(); ++i) tail += (tail.empty() ? "" : " / ") + lines[i];
  return tail;
}

}  // namespace echolab
