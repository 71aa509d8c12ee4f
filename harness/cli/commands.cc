#include "harness/cli/commands.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <iostream>
#include <sstream>

#include "core/proc_stats.h"
#include "core/socket_util.h"
#include "harness/cli/cli_args.h"
#include "harness/config/placement.h"
#include "harness/config/trial_config.h"
#include "harness/remote/controlled_commands.h"
#include "harness/trial/metrics.h"
#include "harness/trial/trial_report.h"
#include "harness/trial/trial_reporter.h"
#include "harness/trial/trial_runner.h"
#include "models/registry.h"

namespace echolab {
namespace {

int report_trial(const CommandLine& line, const TrialResult& result) {
  JsonReporter json(std::cout);
  ConsoleTableReporter table(std::cout);
  TrialReporter& reporter = line.has("json") ? static_cast<TrialReporter&>(json) : table;
  reporter.report(result.to_json());
  reporter.finish();
  if (!result.ok() && !line.has("json"))
    std::cerr << "echolab: trial " << result.status << ": " << result.error << "\n";
  return result.ok() || result.status == "skipped" ? 0 : 1;
}

int trial_or_load(const std::string& command, const std::vector<std::string>& args, bool with_server) {
  CommandLine line = parse_command_line(command, args, {{"json", "dry-run", "control"}, {"topology"}, true, 0});
  if (line.has("control")) {
    if (with_server) throw UsageError("echolab trial: --control goes with serve and load");
    return load_under_control(*topology_from_flag(line));
  }
  if (!with_server && get_key(line.config, "load.target").get<std::string>().empty()) {
    throw UsageError("echolab load: --target HOST:PORT is required");
  }
  auto topology = topology_from_flag(line);
  if (line.has("dry-run")) {
    Json placement = plan_trial(line.config, *topology, with_server);
    if (line.has("json")) {
      std::cout << Json{{"config", line.config}, {"placement", placement}}.dump(2) << std::endl;
    } else {
      std::cout << "placement on " << topology->summary() << ":\n";
      print_placement(std::cout, placement);
    }
    return 0;
  }
  TrialResult result = run_trial(line.config, *topology, with_server);
  if (!with_server) result.extra["side"] = "client";
  return report_trial(line, result);
}

}  // namespace

int run_models_command(const std::vector<std::string>& args) {
  parse_command_line("models", args, {{}, {}, false, 0});
  const std::vector<std::string> common = {"threads",     "trigger", "read",        "write_interest", "read_buffer",
                                           "max_pending", "nodelay", "work_cpu_us", "work_block_us"};
  for (const auto& model : model_registry()) {
    std::cout << model.name << "\n  " << model.description << "\n";
    std::ostringstream options;
    for (const auto& name : common) {
      bool epoll_only = name == "trigger" || name == "read" || name == "write_interest";
      if (epoll_only && !model.epoll_axes) continue;
      if (name.starts_with("work_") && model.name == "external") continue;  // it does its own work
      options << " " << name << "=" << find_key("server." + name)->default_value.dump();
    }
    for (const auto& option : model.options) {
      options << " " << option.key << "=" << find_key("server." + std::string(option.key))->default_value.dump();
    }
    std::cout << "  options:" << options.str() << "\n";
    if (model.max_threads < 1024) std::cout << "  threads: at most " << model.max_threads << "\n";
  }
  std::cout
      << "\nEvery option is --server.NAME VALUE on the command line, or \"server\": {\"NAME\": VALUE} in a spec.\n";
  return 0;
}

int run_trial_command(const std::vector<std::string>& args) { return trial_or_load("trial", args, true); }

int run_load_command(const std::vector<std::string>& args) { return trial_or_load("load", args, false); }

int run_serve_command(const std::vector<std::string>& args) {
  CommandLine line = parse_command_line("serve", args, {{"control"}, {"topology"}, true, 0});
  auto topology = topology_from_flag(line);
  if (line.has("control")) return serve_under_control(*topology);
  const std::string address = get_key(line.config, "server.address").get<std::string>();
  if (!is_loopback_address(address)) {
    // The first line says so: anyone who can reach this address can load the machine.
    std::cerr << "echolab serve: binding " << address << ", a non-loopback address (--bind)" << std::endl;
  }
  PlacementPlan plan = plan_placement(*topology, placement_groups(line.config, true, false), true);
  for (const auto& warning : plan.warnings) std::cerr << "echolab serve: warning: " << warning << "\n";
  ServerConfig config = server_config_from(line.config);
  const ModelInfo& info = chosen_model(line.config);
  if (std::string error = info.thread_limit_error(config.threads); !error.empty()) {
    throw ConfigError("server.threads: " + error);
  }
  // Block the stop signals in every thread (threads inherit the mask), so
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto model = info.create();
  try {
    model->start(config, plan.cpus);
  } catch (const ModelUnavailable& error) {
    std::cerr << "echolab serve: " << config.model << " unavailable: " << error.what() << "\n";
    return 1;
  } catch (const std::exception& error) {
    std::cerr << "echolab serve: " << error.what() << "\n";
    return 1;
  }
  std::cout << "listening on " << model->address().to_string() << std::endl;
  const auto started = std::chrono::steady_clock::now();
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  WindowMeasurement totals;
  totals.server_end = observe_threads(model->threads(), model->pid());
  model->stop();
  totals.window_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (const auto& thread : totals.server_end) totals.echoed_bytes += thread.counters.bytes_out;
  TrialResult stats;
  stats.config = line.config;
  stats.metrics = compute_metrics(totals);
  stats.extra = {{"side", "server"}, {"signal", signal_number == SIGINT ? "SIGINT" : "SIGTERM"}};
  JsonReporter(std::cout).report(stats.to_json());
  return 0;
}

}  // namespace echolab

namespace echolab {

int run_micro_command(const std::vector<std::string>& args) {
  std::string dir = this_binary_path();
  dir = dir.substr(0, dir.rfind('/') + 1);
  std::string binary = dir + "echolab-micro";
  std::vector<std::string> argv_text = {binary};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  ::execv(binary.c_str(), argv.data());
  std::cerr << "echolab micro: cannot run " << binary << " (build it with `make`)\n";
  return 1;
}

}  // namespace echolab
