#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace echolab {

/// `echolab topo [--topology SRC]`: prints the topology summary, a text
/// drawing marking unusable PUs, the usable PUs and one PU pair per
/// relation. `args` are the arguments after "topo". Returns 0, or 2 after
/// one line "echolab topo: ..." on `err` for bad usage or a bad --topology.
int run_topo_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
/// The same on std::cout / std::cerr.
int run_topo_command(const std::vector<std::string>& args);

}  // namespace echolab
