#include "tests/test_support.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "models/registry.h"

namespace echolab::testing {

ServerConfig model_config(const std::string& model, int threads) {
  ServerConfig config;
  config.model = model;
  config.threads = threads;
  config.options = find_model(model)->default_options();
  return config;
}

bool echo_round_trip(int fd, const std::vector<char>& payload, std::vector<char>& received,
                     std::chrono::milliseconds timeout) {
  received.clear();
  received.reserve(payload.size());
  size_t sent = 0;
  std::vector<char> buffer(64 * 1024);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (received.size() < payload.size()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd waiter{fd, static_cast<short>(POLLIN | (sent < payload.size() ? POLLOUT : 0)), 0};
    if (::poll(&waiter, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) return false;
    if (sent < payload.size() && (waiter.revents & POLLOUT)) {
      ssize_t n = ::send(fd, payload.data() + sent, payload.size() - sent, MSG_NOSIGNAL);
      if (n > 0)
        sent += static_cast<size_t>(n);
      else if (n < 0 && errno != EAGAIN && errno != EINTR)
        return false;
    }
    if (waiter.revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = ::read(fd, buffer.data(), buffer.size());
      if (n > 0)
        received.insert(received.end(), buffer.data(), buffer.data() + n);
      else if (n == 0)
        return false;
      else if (errno != EAGAIN && errno != EINTR)
        return false;
    }
  }
  return true;
}

LoopbackTcpPair::LoopbackTcpPair() {
  listener = listen_tcp(SocketAddress::from_host_port("127.0.0.1", 0), {16, false, false});
  client = connect_tcp(local_address(listener.get()));
  // connect_tcp returns once connected: the blocking accept takes it at once.
  accepted.reset(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
}

std::string check_echo(const SocketAddress& address, const std::vector<size_t>& sizes, uint32_t seed) {
  UniqueFd fd;
  try {
    fd = connect_tcp(address);
  } catch (const std::exception& error) {
    return error.what();
  }
  for (size_t size : sizes) {
    auto payload = random_payload(size, seed++);
    std::vector<char> received;
    if (!echo_round_trip(fd.get(), payload, received)) {
      return "round trip of " + std::to_string(size) + " bytes failed after " + std::to_string(received.size());
    }
    if (received != payload) return "payload of " + std::to_string(size) + " bytes came back different";
  }
  return "";
}

CommandResult run_echolab(const std::vector<std::string>& args, int timeout_s) {
  std::vector<std::string> argv_storage = {"timeout", std::to_string(timeout_s), kEcholabBinary};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execvp("timeout", argv.data());
    _exit(127);
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult result;
  std::array<pollfd, 2> fds = {pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  int open_pipes = 2;
  char buffer[4096];
  while (open_pipes > 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) break;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP))) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_pipes;
      }
    }
  }
  int status = 0;
  waitpid(pid, &status, 0);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::vector<std::string> orphaning_server_command(const std::string& pid_file, bool freeze) {
  return {"sh", "-c",
          "setsid sh -c 'trap \"\" TERM; echo $$ > " + pid_file + "; exec sleep 600' & " + "while [ ! -s " + pid_file +
              " ]; do :; done; " + (freeze ? "kill -STOP $PPID; " : "") +
              "exec socat TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork PIPE"};
}

bool process_gone(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return true;
  const size_t name_end = stat.rfind(')');
  return name_end != std::string::npos && name_end + 2 < stat.size() && stat[name_end + 2] == 'Z';
}

nlohmann::json rr_trial(const std::string& model, int threads, int connections, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"trial",
                                   "--model",
                                   model,
                                   "--threads",
                                   std::to_string(threads),
                                   "--workload",
                                   "rr",
                                   "--connections",
                                   std::to_string(connections),
                                   "--message-bytes",
                                   "64",
                                   "--duration",
                                   "0.4",
                                   "--warmup",
                                   "0.1",
                                   "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const auto run = run_echolab(args);
  nlohmann::json result = nlohmann::json::parse(run.out, nullptr, false);
  if (!result.is_object()) ADD_FAILURE() << model << ": not JSON: " << run.out << run.err;
  return result;
}

}  // namespace echolab::testing
