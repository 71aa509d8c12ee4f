#include "harness/sweep/run_meta.h"

#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>

#include "core/proc_stats.h"
#include "core/request_work.h"
#include "harness/remote/child_process.h"
#include "harness/sweep/build_info.h"
#include "harness/sweep/results_dir.h"

namespace echolab {
namespace {

// Output of a shell command, or nullopt when it fails.
std::optional<std::string> command_output(const std::string& command) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return std::nullopt;
  std::string out;
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) out.append(buffer, n);
  const int status = ::pclose(pipe);
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

std::string trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "";
}

Json git_state() {
  Json state = {{"git_commit", build_info().git_commit},
                {"git_dirty_at_build", build_info().git_dirty_at_build},
                {"git_head_at_run", nullptr},
                {"git_dirty", nullptr}};
  const std::string source = build_info().source_dir;
  if (!std::filesystem::exists(source + "/.git")) return state;
  const std::string git = "git -C " + shell_quote(source) + " ";
  if (auto head = command_output(git + "rev-parse --short=12 HEAD 2>/dev/null")) {
    state["git_head_at_run"] = trimmed(*head);
    if (state["git_commit"] == "") state["git_commit"] = trimmed(*head);
  }
  if (auto status = command_output(git + "status --porcelain 2>/dev/null")) {
    state["git_dirty"] = !trimmed(*status).empty();
  }
  return state;
}

}  // namespace

std::string build_git_commit() { return build_info().git_commit; }

Json collect_run_meta(const Topology& topology, const std::vector<std::string>& command_line) {
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  utsname system = {};
  uname(&system);
  const TopologyCounts counts = topology.counts();
  Json meta = {
      {"host", host},
      {"cpu_model", cpu_model()},
      {"kernel", std::string(system.sysname) + " " + system.release},
      {"kernel_version", system.version},
      {"machine", system.machine},
      {"topology", topology.summary()},
      {"topology_counts",
       {{"packages", counts.packages},
        {"numa_nodes", counts.numa_nodes},
        {"l3", counts.l3},
        {"l2", counts.l2},
        {"cores", counts.cores},
        {"pus", counts.pus}}},
      {"usable_pus", topology.usable_pus()},
#ifdef __clang__
      {"compiler", std::string("clang++ ") + __clang_version__},
#else
      {"compiler", std::string("g++ ") + __VERSION__},
#endif
      {"compiler_flags", build_info().cxx_flags},
      {"build_type", build_info().build_type},
      {"sanitizer", build_info().sanitizer},
      {"echolab_version", build_info().version},
  };
  meta["cpu_mhz_source"] = cpu_mhz_source();
  // server.work_cpu_us's loop: iterations per microsecond on this machine,
  // as this binary measured them (a server process measures its own).
  meta["work_spin_iterations_per_us"] = spin_iterations_per_us();
  meta.update(git_state());
  meta["start_time"] = utc_iso_time();
  meta["end_time"] = nullptr;
  meta["command_line"] = command_line;
  return meta;
}

Json external_peer_builds(const std::vector<std::string>& programs) {
  Json peers = Json::array();
  for (const std::string& program : programs) {
    Json peer = {{"program", program}, {"sha256", nullptr}, {"build", nullptr}};
    if (auto sum = command_output("sha256sum " + shell_quote(program) + " 2>/dev/null")) {
      peer["sha256"] = trimmed(sum->substr(0, sum->find(' ')));
    }
    std::ifstream record(program + ".build.json");
    if (record) {
      peer["build"] = Json::parse(record, nullptr, /*allow_exceptions=*/false);
      if (peer["build"].is_discarded()) peer["build"] = "unreadable: " + program + ".build.json";
    } else {
      peer["build"] = "no build record (" + program + ".build.json)";
    }
    if (peer["build"].is_object() && peer["sha256"].is_string() &&
        peer["build"].value("sha256", "") != peer["sha256"].get<std::string>()) {
      peer["warning"] = "the binary differs from the one its build record describes (rebuilt by hand?)";
    }
    peers.push_back(std::move(peer));
  }
  return peers;
}

std::string find_python_with(const std::string& module) {
  for (const std::string candidate : {"/usr/bin/python3", "python3"}) {
    if (command_output(candidate + " -c 'import " + module + "' >/dev/null 2>&1")) return candidate;
  }
  return "";
}

std::string find_plot_python() { return find_python_with("matplotlib"); }

std::string plot_script_path(const std::string& script) {
  const std::string relative = "plot/" + script;
  std::error_code error;
  const auto here = std::filesystem::current_path(error);
  const std::string source = build_info().source_dir;
  if (!error && std::filesystem::equivalent(here, source, error)) return relative;
  return source + "/" + relative;
}

}  // namespace echolab
