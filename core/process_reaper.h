#pragma once

#include <sys/types.h>

#include <set>

namespace echolab {

/// Makes this process the child subreaper of everything it starts
/// (prctl PR_SET_CHILD_SUBREAPER): a descendant whose parent exits, an
/// external server's grandchild for instance, is re-parented here instead of
/// to init, so kill_descendants() still finds it. Returns false where the
/// kernel refuses (then orphans escape to init, as before).
bool become_subreaper();

/// Kills (SIGKILL, which no process can ignore) and reaps every descendant
/// of this process except the processes in `keep` and their descendants,
/// round after round until none is left: each round reaps this process's
/// own children, whose children the kernel then re-parents here (a
/// subreaper). Returns how many processes it signalled. Call it from the one
/// thread that waits for this process's children.
int kill_descendants(const std::set<pid_t>& keep = {});

/// From now on SIGTERM, SIGINT or SIGHUP to this process (timeout(1) at a
/// remote trial's limit) runs kill_descendants() and then exits with 128 +
/// the signal. Blocks the three signals in the calling thread and starts a
/// detached thread that waits for them: call it before starting any other
/// thread, so that every thread inherits the mask.
void kill_descendants_on_termination();

/// This process's children now (from /proc), zombies included.
std::set<pid_t> children_of_this_process();

}  // namespace echolab
