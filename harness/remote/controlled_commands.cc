#include "harness/remote/controlled_commands.h"

#include <iostream>
#include <sstream>

#include "core/monotonic_clock.h"
#include "core/proc_stats.h"
#include "core/process_reaper.h"
#include "harness/cli/cli_args.h"
#include "harness/config/placement.h"
#include "harness/config/trial_config.h"
#include "harness/remote/control_channel.h"
#include "harness/sweep/run_meta.h"
#include "harness/trial/trial_runner.h"
#include "harness/trial/window_json.h"
#include "models/registry.h"

namespace echolab {
namespace {

// Seconds to wait for the config line, and for the next order once running
// (the trial's own limit is enforced by the sweep, through timeout(1)).
constexpr double kConfigWaitS = 30;
constexpr double kOrderWaitS = 24 * 3600;

void print_line(const Json& json) { std::cout << json.dump() << std::endl; }

// Server memory: this process, or an external server's process tree.
std::optional<MemoryStats> server_memory(const ServerModel& model) {
  return model.pid() > 0 ? read_tree_memory(model.pid()) : read_memory(0);
}

}  // namespace

int serve_under_control(const Topology& topology) {
  become_subreaper();                 // an external server's children come back here to be killed
  kill_descendants_on_termination();  // timeout(1)'s SIGTERM at the trial's limit, too
  ControlChannel control;
  const Json config = control.read_config(kConfigWaitS);
  const PlacementPlan plan = plan_placement(topology, placement_groups(config, true, false), true);
  const ServerConfig server = server_config_from(config);
  const ModelInfo& info = chosen_model(config);
  auto fail = [&](const std::string& status, const std::string& error) {
    control.finish();
    print_line({{"status", status}, {"error", error}});
    return 1;
  };
  if (std::string error = info.thread_limit_error(server.threads); !error.empty()) return fail("failed", error);
  auto model = info.create();
  try {
    model->start(server, plan.cpus);
  } catch (const ModelUnavailable& error) {
    return fail("skipped", error.what());
  } catch (const std::exception& error) {
    model->stop();
    return fail("failed", std::string("server did not start: ") + error.what());
  }
  WindowMeasurement window;
  window.placement_pus = distinct_pus(plan);
  window.server_memory_base = server_memory(*model);
  std::cout << "listening on " << model->address().to_string() << std::endl;

  double from_s = 0, to_s = 0;
  std::istringstream(control.expect("window", kOrderWaitS)) >> from_s >> to_s;
  std::optional<MachineCpu> machine_start;
  const double late_s = wall_clock_s() - from_s;  // the order came after the window began
  sleep_until_wall_clock(from_s);
  observe_machine_edge(true, machine_start, window);
  observe_server_edge(*model, true, window);
  sleep_until_wall_clock(to_s);
  observe_server_edge(*model, false, window);
  observe_machine_edge(false, machine_start, window);
  window.server_memory_end = server_memory(*model);

  control.expect("stop", kOrderWaitS);
  Json placement = placement_json(plan);
  fill_observed(placement, model->threads());
  model->stop();
  kill_descendants();
  control.finish();
  Json answer = {{"status", "ok"}, {"side", "server"}, {"placement", placement}, {"window", window_to_json(window)}};
  if (late_s > 0.001) {
    answer["warning"] = "the server's window began " + std::to_string(late_s) +
                        " s after its scheduled time (the order arrived late, or this host's clock runs ahead)";
  }
  print_line(answer);
  return 0;
}

int load_under_control(const Topology& topology) {
  ControlChannel control;
  const Json config = control.read_config(kConfigWaitS);
  plan_trial(config, topology, false);  // a location this host lacks fails here, before the start
  std::cout << "ready" << std::endl;
  const double start_s = std::stod(control.expect("start", kOrderWaitS));
  TrialResult result = run_trial(config, topology, false, {start_s, true});
  result.extra["side"] = "client";
  control.finish();
  print_line(result.to_json());
  return 0;
}

int run_host_command(const std::vector<std::string>& args) {
  parse_command_line("host", args, {{}, {}, false, 0});
  const Topology& topology = Topology::system();
  Json description = collect_run_meta(topology, {});
  for (const char* key : {"start_time", "end_time", "command_line"}) description.erase(key);
  description["schema"] = kResultSchema;
  description["topology_xml"] = topology.export_xml();
  description["wall_clock_s"] = wall_clock_s();
  print_line(description);
  return 0;
}

}  // namespace echolab
