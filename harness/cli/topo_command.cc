#include "harness/cli/topo_command.h"

#include <iostream>
#include <memory>
#include <optional>
#include <stdexcept>

#include "core/topology.h"

namespace echolab {
namespace {

constexpr const char* kUsage = "usage: echolab topo [--topology XML_FILE|\"pack:2 core:8 pu:2\"]";

/// The --topology value, nullopt for this machine; throws
/// std::invalid_argument for anything else on the line.
std::optional<std::string> parse_topo_args(const std::vector<std::string>& args) {
  std::optional<std::string> source;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--topology") {
      if (i + 1 == args.size()) throw std::invalid_argument("--topology needs a value (" + std::string(kUsage) + ")");
      source = args[++i];
    } else if (arg.starts_with("--topology=")) {
      source = arg.substr(sizeof("--topology=") - 1);
    } else {
      throw std::invalid_argument("unexpected argument '" + arg + "' (" + kUsage + ")");
    }
  }
  return source;
}

void print_topology(const Topology& topology, std::ostream& out) {
  out << topology.source() << ": " << topology.summary() << "\n" << topology.draw();
  CpuList usable = topology.usable_pus();
  out << "usable PUs: " << format_cpu_list(usable) << " (" << usable.size() << " of " << topology.counts().pus << ")\n";
  out << "PU pairs:";
  const char* sep = " ";
  for (const PuPair& pair : topology.representative_pairs()) {
    out << sep << pair.relation << " " << pair.a << "/" << pair.b;
    sep = ", ";
  }
  out << "\n";
}

}  // namespace

int run_topo_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
    out << kUsage << "\n";
    return 0;
  }
  std::unique_ptr<Topology> topology;
  try {
    std::optional<std::string> source = parse_topo_args(args);
    topology = source ? Topology::load(*source) : Topology::load_system();
  } catch (const std::exception& error) {
    err << "echolab topo: " << error.what() << "\n";
    return 2;
  }
  print_topology(*topology, out);
  return 0;
}

int run_topo_command(const std::vector<std::string>& args) { return run_topo_command(args, std::cout, std::cerr); }

}  // namespace echolab
