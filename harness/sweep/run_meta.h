#pragma once

#include <string>
#include <vector>

#include "core/topology.h"
#include "harness/config/config_keys.h"

namespace echolab {

/// meta.json of a run (docs/DESIGN.md "Results"): host, CPU model, kernel,
/// topology, compiler and flags, build type, git commit and dirty flag,
/// echolab version, start time and command line. end_time stays null
/// until the run finishes.
Json collect_run_meta(const Topology& topology, const std::vector<std::string>& command_line);

/// The first interpreter of /usr/bin/python3, python3 that imports
/// matplotlib, or "" (runs each candidate once).
std::string find_plot_python();

/// The plot script path to show: relative when the current directory is the
/// source tree, else absolute under the source tree.
std::string plot_script_path();

}  // namespace echolab
