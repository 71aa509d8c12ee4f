// echolab: one binary, one subcommand per job (docs/DESIGN.md "Command line").
#include <iostream>
#include <string>
#include <system_error>
#include <vector>

#include "core/socket_util.h"
#include "harness/cli/cli_args.h"
#include "harness/cli/commands.h"
#include "harness/config/placement.h"
#include "harness/cli/sweep_commands.h"
#include "harness/cli/topo_command.h"

namespace {

const char* const kUsage =
    "usage: echolab COMMAND [options]\n"
    "  models                         list models, their options and defaults\n"
    "  topo [--topology SRC]          the machine as hwloc sees it\n"
    "  trial [options] [--json] [--dry-run]\n"
    "                                 one trial in this process: server + load\n"
    "  serve [options]                server only, until SIGINT/SIGTERM\n"
    "  load --target HOST:PORT [...]  load only, against any echo server\n"
    "  plan SPEC.json [--topology SRC] [--filter KEY=VALUE]\n"
    "                                 expanded matrix + placement, runs nothing\n"
    "  run SPEC.json [--out DIR] [--resume DIR] [--filter KEY=VALUE] [--repetitions N]\n"
    "              [--dry-run] [--plot]  run a sweep into results/NAME/STAMP/\n"
    "  micro [Google Benchmark flags] mechanism micro-benchmarks (echolab-micro)\n"
    "options: `echolab help keys` lists every --KEY; see README.md\n";

int dispatch(const std::string& command, const std::vector<std::string>& args) {
  using namespace echolab;
  if (command == "models") return run_models_command(args);
  if (command == "trial") return run_trial_command(args);
  if (command == "serve") return run_serve_command(args);
  if (command == "load") return run_load_command(args);
  if (command == "topo") return run_topo_command(args);
  if (command == "plan") return run_plan_command(args);
  if (command == "run") return run_run_command(args);
  if (command == "micro") return run_micro_command(args);
  if (command == "help" || command == "--help" || command == "-h") {
    std::cout << kUsage;
    if (!args.empty() && args[0] == "keys") std::cout << "\nkeys:\n" << describe_keys();
    return 0;
  }
  throw UsageError("echolab: unknown command '" + command + "'\n" + kUsage);
}

}  // namespace

int main(int argc, char** argv) {
  echolab::ignore_sigpipe();
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    return dispatch(argv[1], args);
  } catch (const echolab::UsageError& error) {
    std::cerr << error.what() << "\n";
  } catch (const echolab::ConfigError& error) {
    std::cerr << "echolab " << argv[1] << ": " << error.what() << "\n";
  } catch (const echolab::PlacementError& error) {
    std::cerr << "echolab " << argv[1] << ": " << error.what() << "\n";
  } catch (const std::exception& error) {
    std::cerr << "echolab " << argv[1] << ": " << error.what() << "\n";
    return 1;
  }
  return 2;
}
