#include "harness/cli/command_table.h"

#include <iostream>
#include <sstream>

#include "harness/cli/cli_args.h"
#include "harness/cli/commands.h"
#include "harness/cli/sweep_commands.h"
#include "harness/cli/topo_command.h"
#include "harness/config/config_keys.h"
#include "harness/remote/controlled_commands.h"
#include "harness/trial/metric_catalogue.h"

namespace echolab {
namespace {

constexpr size_t kSynopsisColumn = 34;

int run_help_command(const std::vector<std::string>& args) {
  const CommandLine line = parse_command_line("help", args, {{"json"}, {}, false, 1});
  const std::string topic = line.positional.empty() ? "" : line.positional[0];
  if (topic == "metrics") {
    if (line.has("json")) {
      std::cout << metric_catalogue_json().dump(2) << std::endl;
    } else {
      std::cout << "metrics (trials.jsonl `metrics`, summary.csv columns, metrics.json):\n" << describe_metrics();
    }
    return 0;
  }
  if (line.has("json")) throw UsageError("echolab help: --json goes with `help metrics`");
  if (!topic.empty() && topic != "keys" && topic != "commands") {
    throw UsageError("echolab help: unknown topic '" + topic + "' (topics: keys, metrics, commands)");
  }
  std::cout << usage_text();
  if (topic == "keys") std::cout << "\nkeys:\n" << describe_keys();
  return 0;
}

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> commands = {
      {"models", "", "list models, their options and defaults", run_models_command},
      {"topo", "[--topology SRC]", "the machine as hwloc sees it",
       [](const std::vector<std::string>& args) { return run_topo_command(args); }},
      {"trial", "[options] [--json] [--dry-run]", "one trial in this process: server + load", run_trial_command},
      {"serve", "[options] [--control]", "server only, until SIGINT/SIGTERM (--control: driven by a sweep)",
       run_serve_command},
      {"load", "--target HOST:PORT [options] [--json] [--control]", "load only, against any echo server",
       run_load_command},
      {"host", "", "this machine as a sweep records it (JSON; asked of every host)", run_host_command},
      {"plan", "SPEC.json [--topology SRC] [--filter KEY=VALUE] [--hosts.*] [--force]",
       "expanded matrix + placement, runs nothing", run_plan_command},
      {"run",
       "SPEC.json [--out DIR] [--resume DIR] [--filter KEY=VALUE] [--repetitions N] [--seed N | --order spec] "
       "[--hosts.server URL] "
       "[--hosts.clients URL,...] [--hosts.echolab PATH] [--dry-run] [--plot] [--force]",
       "run a sweep into results/NAME/STAMP/", run_run_command},
      {"summarize", "RUN_DIR", "rewrite a run's summary.csv and metrics.json from its trials", run_summarize_command},
      {"micro", "[Google Benchmark flags]", "mechanism micro-benchmarks (echolab-micro)", run_micro_command},
      {"help", "[keys|metrics|commands] [--json]", "this text; every --KEY; the metric catalogue", run_help_command},
  };
  return commands;
}

const Command* find_command(std::string_view name) {
  for (const auto& command : command_table()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

std::string command_usage(std::string_view name) {
  const Command* command = find_command(name);
  if (!command) return "usage: echolab COMMAND [options]";
  return "usage: echolab " + std::string(command->name) +
         (command->synopsis.empty() ? "" : " " + std::string(command->synopsis));
}

std::string usage_text() {
  std::ostringstream out;
  out << "usage: echolab COMMAND [options]\n";
  for (const auto& command : command_table()) {
    std::string head =
        "  " + std::string(command.name) + (command.synopsis.empty() ? "" : " " + std::string(command.synopsis));
    if (head.size() + 1 > kSynopsisColumn) {
      out << head << "\n" << std::string(kSynopsisColumn, ' ');
    } else {
      out << head << std::string(kSynopsisColumn - head.size(), ' ');
    }
    out << command.summary << "\n";
  }
  out << "options: `echolab help keys` lists every --KEY; `echolab help metrics` every metric; see README.md\n";
  return out.str();
}

}  // namespace echolab
