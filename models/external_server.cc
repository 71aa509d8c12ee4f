#include "models/external_server.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "core/proc_stats.h"

namespace echolab {
namespace {

/// A free port on `host`: bind port 0, read it, release it.
int pick_free_port(const std::string& host) {
  UniqueFd probe = listen_tcp(SocketAddress::from_host_port(host, 0), {1, false, true});
  return local_address(probe.get()).port();
}

bool exited(int pid, int* status) { return waitpid(pid, status, WNOHANG) == pid; }

}  // namespace

void ExternalServer::start(const ServerConfig& config, const CpuPlan& plan) {
  const std::vector<std::string>& command = config.options.list("command");
  const double start_timeout_s = config.options.number("start_timeout_s");
  if (command.empty()) throw std::invalid_argument("external: server.command is empty (argv with {port})");
  const int port = config.port != 0 ? config.port : pick_free_port(config.bind_address);
  address_ = SocketAddress::from_host_port(config.bind_address, port);
  std::vector<std::string> argv_text;
  // {echolab}: this very binary, so a spec can run echolab's own models as
  // a separate server process wherever the repository is checked out.
  const std::string echolab_path = this_binary_path();
  auto replace_all = [](std::string& text, const std::string& from, const std::string& to) {
    for (size_t at = 0; (at = text.find(from, at)) != std::string::npos; at += to.size())
      text.replace(at, from.size(), to);
  };
  command_ = command.front();
  for (std::string arg : command) {
    replace_all(arg, "{port}", std::to_string(port));
    replace_all(arg, "{echolab}", echolab_path);
    argv_text.push_back(arg);
  }
  // The server's output goes to a file that has no name: it is unlinked at
  // once, so nothing is left in /tmp even if echolab itself is killed.
  char log_template[] = "/tmp/echolab-external-XXXXXX";
  UniqueFd log_fd(mkostemp(log_template, O_CLOEXEC));
  if (log_fd.get() < 0) throw std::runtime_error("external: cannot create a log file in /tmp");
  ::unlink(log_template);
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("external: fork failed");
  if (pid_ == 0) {
    // Own process group (so stop() reaches its children too), and die with
    // the harness so a server is never left behind.
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(log_fd.get(), 1);
    dup2(log_fd.get(), 2);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  log_fd_ = std::move(log_fd);
  setpgid(pid_, pid_);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(start_timeout_s);
  for (;;) {
    int status = 0;
    if (exited(pid_, &status)) {
      pid_ = 0;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      throw std::runtime_error("external: '" + argv_text[0] + "' exited with code " + std::to_string(code) +
                               " before listening" + output_tail());
    }
    try {
      connect_tcp(address_, 200);
      break;  // it accepts connections
    } catch (const std::system_error&) {
    }
    if (std::chrono::steady_clock::now() > deadline) {
      const std::string output = output_tail();  // before stop() removes the log
      stop();
      throw std::runtime_error("external: '" + argv_text[0] + "' did not listen on " + address_.to_string() +
                               " within " + std::to_string(start_timeout_s) + " s" + output);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // poll interval while it starts
  }
  // The probe reached *a* listener on the port: the port was free when it
  // was chosen, but another process may have taken it since.
  if (std::string holder = foreign_listener(address_.port()); !holder.empty()) {
    stop();
    throw std::runtime_error("external: port " + std::to_string(address_.port()) + " is held by " + holder +
                             ", not by '" + argv_text[0] + "' or its children; the probe reached that process");
  }
  try {
    bind_process(pid_, plan.role_union("server"));
  } catch (const std::exception&) {
    stop();
    throw;
  }
}

std::string ExternalServer::foreign_listener(int port) const {
  const std::vector<pid_t> tree = process_tree(pid_);
  for (pid_t holder : listening_socket_holders(static_cast<uint16_t>(port))) {
    if (std::find(tree.begin(), tree.end(), holder) != tree.end()) continue;
    return holder < 0 ? "a process this user cannot see"
                      : "pid " + std::to_string(holder) + " (" + process_name(holder) + ")";
  }
  return "";
}

std::string ExternalServer::gone() const {
  if (pid_ <= 0) return "";
  siginfo_t info = {};
  // WNOWAIT: look without reaping, so stop() still reaps and clears its group.
  if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid != pid_) {
    return "";
  }
  const std::string how = info.si_code == CLD_EXITED ? "exited with code " + std::to_string(info.si_status)
                                                     : "was killed by signal " + std::to_string(info.si_status);
  return "'" + command_ + "' " + how + output_tail();
}

std::string ExternalServer::output_tail() const {
  if (log_fd_.get() < 0) return "";
  // The last non-empty line within the output's last 4 KiB.
  struct stat info = {};
  if (fstat(log_fd_.get(), &info) != 0) return "";
  const off_t from = std::max<off_t>(0, info.st_size - 4096);
  std::string tail(static_cast<size_t>(info.st_size - from), '\0');
  const ssize_t got = pread(log_fd_.get(), tail.data(), tail.size(), from);
  tail.resize(got > 0 ? static_cast<size_t>(got) : 0);
  std::istringstream in(tail);
  std::string line, last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last.empty() ? "" : " (its output: " + last + ")";
}

void ExternalServer::stop() {
  if (pid_ > 0) {
    ::kill(-pid_, SIGTERM);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (!exited(pid_, &status) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // poll interval while it exits
    }
    ::kill(-pid_, SIGKILL);  // the group may hold children even after the leader exited
    waitpid(pid_, &status, 0);
    pid_ = 0;
  }
  log_fd_.reset();
}

std::vector<ServerThreadReport> ExternalServer::threads() const {
  std::vector<ServerThreadReport> reports;
  if (pid_ <= 0) return reports;
  int index = 0;
  // Every thread of the server's process tree: a forking server (socat
  // fork, a pre-fork server) serves from its children.
  std::vector<OsThreadStats> tree_threads;
  for (pid_t pid : process_tree(pid_)) {
    for (const auto& thread : read_process_threads(pid)) tree_threads.push_back(thread);
  }
  for (const auto& thread : tree_threads) {
    ServerThreadReport report{"server", index++, {}, false};
    report.counters.tid = thread.tid;
    if (thread.last_cpu >= 0) report.counters.cpus_seen = {thread.last_cpu};
    reports.push_back(report);
  }
  return reports;
}

}  // namespace echolab
