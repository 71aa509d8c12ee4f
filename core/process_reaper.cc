#include "core/process_reaper.h"

#include <pthread.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <thread>
#include <vector>

#include "core/proc_stats.h"

namespace echolab {
namespace {

// Rounds of kill-and-reap before giving up: each round removes one
// generation (a process's children are re-parented when it exits), and
// SIGKILL stops any further forking at once.
constexpr int kMaxRounds = 64;

}  // namespace

bool become_subreaper() { return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0; }

void kill_descendants_on_termination() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int number : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, number);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::thread([signals] {
    int number = 0;
    while (sigwait(&signals, &number) != 0) {
    }
    kill_descendants();
    ::_exit(128 + number);
  }).detach();
}

std::set<pid_t> children_of_this_process() {
  const std::vector<pid_t> tree = process_tree(getpid(), /*depth=*/1);
  return std::set<pid_t>(tree.begin() + 1, tree.end());
}

int kill_descendants(const std::set<pid_t>& keep) {
  std::set<pid_t> signalled;
  for (int round = 0; round < kMaxRounds; ++round) {
    std::vector<pid_t> doomed;
    for (pid_t child : children_of_this_process()) {
      if (keep.count(child)) continue;
      // The whole subtree at once, so no grandchild outlives its parent
      // long enough to start anything.
      for (pid_t pid : process_tree(child)) doomed.push_back(pid);
    }
    if (doomed.empty()) break;
    for (pid_t pid : doomed) {
      if (::kill(pid, SIGKILL) == 0) signalled.insert(pid);
    }
    // Reap this process's own children; their children now belong here.
    for (pid_t child : children_of_this_process()) {
      if (keep.count(child)) continue;
      while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
  }
  return static_cast<int>(signalled.size());
}

}  // namespace echolab
