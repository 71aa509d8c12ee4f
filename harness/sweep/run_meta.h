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

/// The git commit this binary was built from ("" outside a git checkout).
std::string build_git_commit();

/// meta.json's "peers": per external server program (the first word of a
/// `server.command`), its SHA-256 now and the build record its build script
/// left beside it (`PROGRAM.build.json`: compiler, flags, crate versions),
/// or why there is none; a warning when the two hashes differ.
Json external_peer_builds(const std::vector<std::string>& programs);

/// The first interpreter of /usr/bin/python3, python3 that imports
/// `module`, or "" (runs each candidate once).
std::string find_python_with(const std::string& module);
/// find_python_with("matplotlib").
std::string find_plot_python();

/// The path of a script of plot/ to show: relative when the current
/// directory is the source tree, else absolute under the source tree.
std::string plot_script_path(const std::string& script = "report.py");

}  // namespace echolab
