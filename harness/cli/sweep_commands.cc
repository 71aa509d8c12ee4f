#include "harness/cli/sweep_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include "harness/cli/cli_args.h"
#include "harness/cli/command_table.h"
#include "harness/cli/hosts_flags.h"
#include "harness/sweep/host_plan.h"
#include "harness/sweep/memory_bound.h"
#include "harness/sweep/point_filter.h"
#include "harness/sweep/results_dir.h"
#include "harness/sweep/results_reporters.h"
#include "harness/sweep/run_meta.h"
#include "harness/sweep/spec.h"
#include "harness/sweep/sweep_plan.h"
#include "harness/sweep/sweep_progress.h"
#include "harness/sweep/sweep_runner.h"
#include "harness/sweep/sweep_summary.h"
#include "harness/trial/metric_catalogue.h"

namespace echolab {
namespace {

constexpr int kExitBadSpec = 2;
constexpr int kExitInterrupted = 130;

/// A validated sweep: the spec, its machine, the points --filter keeps and
/// their placement plans. Built and read by the main thread.
struct Sweep {
  std::unique_ptr<Spec> spec;
  std::unique_ptr<Topology> topology;
  std::vector<const SpecPoint*> points;
  std::vector<Json> placements;
  /// Other hosts: their ssh sessions, and what each said it is.
  std::unique_ptr<HostSessions> sessions;
  std::vector<Json> host_descriptions;
};

// The programs the sweep's external servers run (first word of each
// server.command, as written; relative paths are from the current directory).
std::vector<std::string> external_programs(const std::vector<const SpecPoint*>& points) {
  std::set<std::string> programs;
  for (const SpecPoint* point : points) {
    const Json& server = point->config["server"];
    if (server.value("model", "") != "external" || !server.contains("command")) continue;
    const Json& command = server["command"];
    if (command.is_array() && !command.empty() && command[0].is_string()) {
      const std::string program = command[0].get<std::string>();
      if (program.find('{') == std::string::npos) programs.insert(program);  // not {echolab}
    }
  }
  return {programs.begin(), programs.end()};
}

// metrics.json: the catalogue the run's metrics are named by.
void write_metric_catalogue(const ResultsDir& results) {
  results.write_file("metrics.json", metric_catalogue_json().dump(2) + "\n");
}

// Reads and checks everything a run needs before anything is written;
// throws SpecError / UsageError.
Sweep prepare_sweep(const std::string& command, const std::string& spec_path, const CommandLine& line,
                    const std::vector<std::string>& filters, const std::optional<HostsConfig>& resumed_hosts = {}) {
  Sweep sweep;
  sweep.spec = std::make_unique<Spec>(Spec::load(spec_path));
  sweep.spec->use_hosts(
      hosts_for(command, line, resumed_hosts.value_or(sweep.spec->hosts()), resumed_hosts.has_value()));
  sweep.topology = topology_from_flag(line);
  const PointFilter filter(filters);
  std::vector<Json> all_placements;
  if (sweep.spec->hosts().any_remote()) {
    if (line.has("topology"))
      throw UsageError("echolab " + command + ": --topology: with hosts, each host's own topology is used");
    sweep.sessions = std::make_unique<HostSessions>(sweep.spec->hosts());
    sweep.host_descriptions = sweep.sessions->connect();
    all_placements = plan_on_hosts(*sweep.spec, sweep.host_descriptions);
  } else {
    all_placements = sweep.spec->plan_placements(*sweep.topology);
  }
  for (size_t i = 0; i < sweep.spec->points().size(); ++i) {
    const SpecPoint& point = sweep.spec->points()[i];
    if (!filter.matches(point.config)) continue;
    sweep.points.push_back(&point);
    sweep.placements.push_back(all_placements[i]);
  }
  if (sweep.points.empty()) {
    throw UsageError("echolab " + command + ": --filter " + filter.describe() + " matches none of the " +
                     std::to_string(sweep.spec->points().size()) + " points of " + spec_path);
  }
  // A point that would ask for more memory than this machine has is refused
  // before anything runs (the OOM killer might pick another process).
  check_memory_bound(sweep.points, memory_available_bytes(), line.has("force"), spec_path);
  for (const auto& warning : sweep.spec->warnings()) std::cerr << "warning: " << warning << "\n";
  return sweep;
}

std::vector<std::string> command_line_of(const std::string& command, const std::vector<std::string>& args) {
  std::vector<std::string> line = {"echolab", command};
  line.insert(line.end(), args.begin(), args.end());
  return line;
}

// --repetitions N, or 0 when not given; throws UsageError when malformed.
int repetitions_flag(const CommandLine& line) {
  if (!line.has("repetitions")) return 0;
  const std::string text = line.flag("repetitions");
  char* end = nullptr;
  long value = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || value < 1 || value > 10000) {
    throw UsageError("echolab run: --repetitions: '" + text + "' is not an integer in 1..10000");
  }
  return static_cast<int>(value);
}

// The order of the points within each repetition (meta.json's "order_seed"):
// a seed to shuffle them with, or none for spec order. --order spec keeps
// spec order; --seed N reuses a recorded seed; else a fresh random seed.
std::optional<uint64_t> order_seed_flag(const CommandLine& line) {
  const std::string order = line.has("order") ? line.flag("order") : "shuffled";
  if (order != "shuffled" && order != "spec") {
    throw UsageError("echolab run: --order: '" + order + "' is not shuffled or spec");
  }
  if (line.has("seed")) {
    if (order == "spec") throw UsageError("echolab run: --seed shuffles; it cannot go with --order spec");
    const std::string text = line.flag("seed");
    char* end = nullptr;
    errno = 0;
    const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || text[0] == '-' || *end != '\0' || errno == ERANGE) {
      throw UsageError("echolab run: --seed: '" + text + "' is not an integer in 0.." +
                       std::to_string(std::numeric_limits<uint64_t>::max()));
    }
    return value;
  }
  if (order == "spec") return std::nullopt;
  std::random_device entropy;
  return (static_cast<uint64_t>(entropy()) << 32) ^ entropy();
}

// The order a run directory recorded in its meta.json: its seed, or none
// (spec order, also for a run made before runs were shuffled).
std::optional<uint64_t> recorded_order_seed(const Json& meta) {
  if (meta.is_object() && meta.contains("order_seed") && meta["order_seed"].is_number_unsigned()) {
    return meta["order_seed"].get<uint64_t>();
  }
  return std::nullopt;
}

// The repetitions override a run directory recorded in its meta.json (0: none).
int recorded_repetitions(const std::string& dir) {
  std::ifstream in(dir + "/meta.json");
  Json meta = Json::parse(in, nullptr, /*allow_exceptions=*/false);
  return meta.is_object() ? meta.value("repetitions_override", 0) : 0;
}

// Opens the run directory: a new one, recording `order_seed`, or the
// --resume one after checking its spec, setting `order_seed` to the one it
// was started with; writes meta.json.
ResultsDir open_results(Sweep& sweep, const CommandLine& line, const std::vector<std::string>& command_line,
                        std::optional<uint64_t>& order_seed) {
  Spec& spec = *sweep.spec;
  if (line.has("resume")) {
    const std::string dir = ResultsDir::locate(line.flag("resume"));
    const std::string recorded_path = dir + "/spec.json";
    Spec recorded = Spec::load(recorded_path);
    if (int override = recorded_repetitions(dir)) {
      recorded.override_repetitions(override);
      if (!line.has("repetitions")) spec.override_repetitions(override);
    }
    const std::string difference = spec_difference(spec, recorded);
    if (!difference.empty()) {
      throw UsageError("echolab run: --resume " + dir + ": " + spec.file() + " differs from " + recorded_path + ": " +
                       difference);
    }
    ResultsDir results = ResultsDir::open(dir);
    for (const auto& warning : results.warnings()) std::cerr << "warning: " << warning << "\n";
    Json meta = Json::object();
    try {
      meta = Json::parse(results.read_file("meta.json"));
    } catch (const Json::exception&) {
      meta = collect_run_meta(*sweep.topology, command_line);
    }
    order_seed = recorded_order_seed(meta);
    Json resumed = collect_run_meta(*sweep.topology, command_line);
    Json hosts = sweep.sessions ? Json(sweep.host_descriptions) : Json(nullptr);
    if (hosts.is_array()) {
      for (auto& host : hosts) host.erase("topology_xml");
    }
    meta["resumed"].push_back({{"start_time", resumed["start_time"]},
                               {"hosts", hosts},
                               {"command_line", command_line},
                               {"git_commit", resumed["git_commit"]},
                               {"git_dirty", resumed["git_dirty"]},
                               {"echolab_version", resumed["echolab_version"]}});
    meta["end_time"] = nullptr;
    results.write_file("meta.json", meta.dump(2) + "\n");
    return results;
  }
  const std::string parent = line.has("out") ? line.flag("out") : "results/" + spec.name();
  ResultsDir::check_can_create(parent);
  ResultsDir results = ResultsDir::create(parent, spec.text());
  Json meta = collect_run_meta(*sweep.topology, command_line);
  meta["order_seed"] = order_seed ? Json(*order_seed) : Json("spec");
  meta["peers"] = external_peer_builds(external_programs(sweep.points));
  if (line.has("repetitions")) meta["repetitions_override"] = spec.repetitions();
  if (has_hosts_flags(line)) meta["hosts_override"] = spec.hosts().to_json();
  if (sweep.sessions) record_hosts(results, meta, sweep.host_descriptions, spec.hosts());
  results.write_file("meta.json", meta.dump(2) + "\n");
  results.write_file("topology.xml", sweep.topology->export_xml());  // replay with --topology
  return results;
}

void finish_meta(const ResultsDir& results) {
  try {
    Json meta = Json::parse(results.read_file("meta.json"));
    meta["end_time"] = utc_iso_time();
    results.write_file("meta.json", meta.dump(2) + "\n");
  } catch (const Json::exception&) {
  }
}

// The shell command that runs plot/`script` on a run directory.
std::string plot_command(const std::string& python, const std::string& script, const ResultsDir& results) {
  return shell_quote(python) + " " + shell_quote(plot_script_path(script)) + " " + shell_quote(results.path());
}

// Prints (or with --plot runs) the command that draws the charts.
void plot_step(const ResultsDir& results, bool run_it) {
  const std::string python = find_plot_python();
  const std::string command = plot_command(python.empty() ? "python3" : python, "report.py", results);
  if (!run_it) {
    std::cout << "charts: " << command << "\n";
    return;
  }
  if (python.empty()) {
    std::cerr << "echolab run: --plot: no python3 that imports matplotlib (Debian: apt-get install "
                 "python3-matplotlib)\n";
    return;
  }
  std::cout << "charts: " << command << std::endl;
  if (std::system(command.c_str()) != 0) std::cerr << "echolab run: the plot step failed\n";
}

// The closing verdict table of a spec written as hypotheses: the rules live
// in plot/verdicts.py only (docs/DESIGN.md "Verdicts"), so it runs there.
void verdict_step(const Spec& spec, const ResultsDir& results) {
  const bool hypotheses = std::any_of(spec.points().begin(), spec.points().end(),
                                      [](const SpecPoint& point) { return point.notes.contains("hypothesis"); });
  if (!hypotheses) return;
  const std::string python = find_python_with("scipy");
  if (python.empty()) {
    std::cout << "verdicts: no python3 that imports scipy (Debian: apt-get install python3-scipy); later: "
              << plot_command("python3", "verdicts.py", results) << "\n";
    return;
  }
  std::cout << std::endl;
  const std::string command = plot_command(python, "verdicts.py", results);
  if (std::system(command.c_str()) != 0) std::cerr << "echolab run: the verdict step failed: " << command << "\n";
}

int run_sweep(const std::vector<std::string>& original_args) {
  std::vector<std::string> args = original_args;
  const std::vector<std::string> filters = take_filter_args(args);
  const CommandLine line = parse_command_line(
      "run", args,
      {{"dry-run", "plot", "force"},
       {"out", "resume", "topology", "repetitions", "seed", "order", "hosts.server", "hosts.clients", "hosts.echolab"},
       false,
       1});
  if (line.has("topology") && !line.has("dry-run")) {
    throw UsageError("echolab run: --topology plans for another machine; use it with --dry-run (or `echolab plan`)");
  }
  if (line.has("out") && line.has("resume")) throw UsageError("echolab run: --out and --resume exclude each other");
  if (line.has("resume") && (line.has("seed") || line.has("order"))) {
    throw UsageError("echolab run: --resume keeps the order the run started with; drop --seed and --order");
  }
  std::optional<uint64_t> order_seed = line.has("resume") ? std::nullopt : order_seed_flag(line);
  std::string spec_path;
  if (!line.positional.empty()) {
    spec_path = line.positional[0];
  } else if (line.has("resume")) {
    spec_path = ResultsDir::locate(line.flag("resume")) + "/spec.json";
  } else {
    throw UsageError(command_usage("run"));
  }
  // --resume: the hosts the run started with (its spec's, or its --hosts.* flags).
  std::optional<HostsConfig> resumed_hosts;
  if (line.has("resume")) {
    const std::string dir = ResultsDir::locate(line.flag("resume"));
    Json meta = Json::parse(std::ifstream(dir + "/meta.json"), nullptr, /*allow_exceptions=*/false);
    try {
      resumed_hosts = meta.is_object() && meta.contains("hosts_override")
                          ? HostsConfig::from_json(meta["hosts_override"])
                          : Spec::load(dir + "/spec.json").hosts();
    } catch (const std::invalid_argument& error) {
      throw UsageError("echolab run: --resume " + dir + ": meta.json's hosts_override: " + error.what());
    }
  }
  Sweep sweep = prepare_sweep("run", spec_path, line, filters, resumed_hosts);
  if (int repetitions = repetitions_flag(line)) sweep.spec->override_repetitions(repetitions);
  if (line.has("dry-run")) {
    print_sweep_plan(std::cout, *sweep.spec, sweep.points, sweep.placements, *sweep.topology);
    return 0;
  }
  ResultsDir results = open_results(sweep, line, command_line_of("run", original_args), order_seed);
  std::cout << "results: " << results.path() << std::endl;
  write_metric_catalogue(results);
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  TrialsFileReporter trials_file(results);
  SummaryCsvReporter summary_csv(*sweep.spec, results);
  SweepRunner runner(*sweep.spec, sweep.points, sweep.placements, sweep.sessions.get());
  runner.shuffle_points(order_seed);
  const SweepOutcome outcome = runner.run(results, *sweep.topology, {&trials_file, &summary_csv}, std::cout, terminal);
  const SweepSummary summary(*sweep.spec, results.trials());
  finish_meta(results);

  std::cout << "\n"
            << sweep.spec->name() << ": " << outcome.ran << " trial(s) run: " << outcome.ok << " ok, " << outcome.failed
            << " failed, " << outcome.skipped << " skipped; " << results.trials().size() << " in " << results.path()
            << "/trials.jsonl\n";
  summary.print_table(std::cout);
  verdict_step(*sweep.spec, results);
  if (outcome.interrupted) {
    std::cout << "interrupted; to finish: echolab run " << shell_quote(sweep.spec->file()) << " --resume "
              << shell_quote(results.path()) << "\n";
    return kExitInterrupted;
  }
  plot_step(results, line.has("plot"));
  return outcome.failed > 0 ? 1 : 0;
}

// Runs a command whose bad spec is reported as one line and exit code 2.
int reporting_spec_errors(const std::function<int()>& command) {
  try {
    return command();
  } catch (const SpecError& error) {
    std::cerr << error.what() << "\n";
    return kExitBadSpec;
  }
}

}  // namespace

int run_plan_command(const std::vector<std::string>& original_args) {
  return reporting_spec_errors([&] {
    std::vector<std::string> args = original_args;
    const std::vector<std::string> filters = take_filter_args(args);
    const CommandLine line = parse_command_line(
        "plan", args, {{"force"}, {"topology", "hosts.server", "hosts.clients", "hosts.echolab"}, false, 1});
    if (line.positional.empty()) throw UsageError(command_usage("plan"));
    const Sweep sweep = prepare_sweep("plan", line.positional[0], line, filters);
    print_sweep_plan(std::cout, *sweep.spec, sweep.points, sweep.placements, *sweep.topology);
    return 0;
  });
}

int run_summarize_command(const std::vector<std::string>& args) {
  return reporting_spec_errors([&] {
    const CommandLine line = parse_command_line("summarize", args, {{}, {}, false, 1});
    if (line.positional.empty()) throw UsageError(command_usage("summarize"));
    const std::string dir = ResultsDir::locate(line.positional[0]);
    const Spec spec = Spec::load(dir + "/spec.json");
    const ResultsDir results = ResultsDir::open(dir);
    for (const auto& warning : results.warnings()) std::cerr << "warning: " << warning << "\n";
    write_summary_files(spec, results, true);
    write_metric_catalogue(results);
    std::cout << dir << ": summary.csv, metrics.json and histograms/ from " << results.trials().size() << " trial(s)\n";
    SweepSummary(spec, results.trials()).print_table(std::cout);
    return 0;
  });
}

int run_run_command(const std::vector<std::string>& args) {
  return reporting_spec_errors([&] { return run_sweep(args); });
}

}  // namespace echolab
