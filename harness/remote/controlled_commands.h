#pragma once

#include "core/topology.h"

namespace echolab {

/// `echolab serve --control`: reads the trial config from standard input
/// (ControlChannel), starts the server planned on this host's `topology`,
/// prints `listening on ADDR:PORT`, measures the window it is told and, on
/// `stop`, prints one JSON line {status, placement, window}. Exit 0, or 1
/// after printing {status: failed|skipped, error}.
int serve_under_control(const Topology& topology);

/// `echolab load --control`: reads the trial config (load.target set),
/// prints `ready`, waits for `start EPOCH_S` and runs the load with its
/// window at EPOCH_S + warm-up; prints the trial result as one JSON line
/// with the raw measurement in "window". Exit 0 (a failed trial is data).
int load_under_control(const Topology& topology);

/// `echolab host`: this machine as meta.json records it, its topology as
/// hwloc XML and the results schema, as JSON (a sweep asks each host).
int run_host_command(const std::vector<std::string>& args);

}  // namespace echolab
