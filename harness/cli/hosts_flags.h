#pragma once

#include <string>
#include <vector>

#include "harness/cli/cli_args.h"
#include "harness/remote/hosts.h"

namespace echolab {

/// The flags of run and plan that set the hosts: hosts.server,
/// hosts.clients (URL[,URL...]) and hosts.echolab.
const std::vector<std::string>& hosts_flag_names();
/// Whether `line` has any of them.
bool has_hosts_flags(const CommandLine& line);

/// The hosts a command uses: `base` (the spec's, or for --resume the ones
/// the run started with) with the --hosts.* flags over it. When `resuming`,
/// a server or clients other than `base`'s are refused: a run keeps its
/// hosts. Throws UsageError naming the flag.
HostsConfig hosts_for(const std::string& command, const CommandLine& line, const HostsConfig& base, bool resuming);

}  // namespace echolab
