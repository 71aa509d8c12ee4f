#include "harness/sweep/sweep_plan.h"

#include <algorithm>

#include "harness/sweep/sweep_progress.h"

namespace echolab {
namespace {

std::string cell_text(const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

std::string cpu_list(const Json& cpus) {
  std::string out;
  for (const auto& cpu : cpus) out += (out.empty() ? "" : ",") + cpu.dump();
  return out.empty() ? "-" : out;
}

// "server#0 -> 1, client#0 -> 0, sampler#0 -> 0"; with hosts
// "on root@a: server#0 -> 1; on root@b: client#0 -> 0, sampler#0 -> 0"
std::string placement_line(const Json& placement) {
  std::string out, host = "";
  for (const auto& thread : placement.at("threads")) {
    const std::string thread_host = thread.value("host", "");
    std::string separator = out.empty() ? "" : ", ";
    if (thread_host != host) {
      separator = (out.empty() ? "on " : "; on ") + thread_host + ": ";
      host = thread_host;
    }
    out += separator + thread.at("role").get<std::string>() + "#" + thread.at("index").dump() + " -> " +
           cpu_list(thread.at("planned"));
  }
  return out;
}

void print_row(std::ostream& out, const std::vector<std::string>& cells, const std::vector<size_t>& widths) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 < cells.size()) line += std::string(widths[i] - cells[i].size() + 2, ' ');
  }
  line.erase(line.find_last_not_of(' ') + 1);
  out << "  " << line << "\n";
}

}  // namespace

void print_sweep_plan(std::ostream& out, const Spec& spec, const std::vector<const SpecPoint*>& points,
                      const std::vector<Json>& placements, const Topology& topology) {
  out << "experiment " << spec.name() << " (" << spec.file() << ")";
  if (!spec.description().empty()) out << ": " << spec.description();
  out << "\nmachine: " << topology.summary() << (topology.is_system() ? "" : " (" + topology.source() + ")") << "\n";
  double seconds = 0;
  for (const SpecPoint* point : points) seconds += point->estimated_seconds() * spec.repetitions();
  const size_t trials = points.size() * static_cast<size_t>(spec.repetitions());
  out << points.size() << " point" << (points.size() == 1 ? "" : "s") << " x " << spec.repetitions() << " repetition"
      << (spec.repetitions() == 1 ? "" : "s") << " = " << trials << " trial" << (trials == 1 ? "" : "s") << ", about "
      << format_duration(seconds) << " (each: warm-up + duration + ~" << kTrialOverheadS
      << " s; repetitions interleaved)\n";
  if (points.size() < spec.points().size()) {
    out << "(--filter keeps " << points.size() << " of " << spec.points().size() << " points)\n";
  }

  const bool labels = std::any_of(points.begin(), points.end(), [](const SpecPoint* p) { return !p->label.empty(); });
  std::vector<std::string> header = {"#"};
  for (const auto& key : spec.varied_keys()) header.push_back(key);
  if (labels) header.push_back("label");
  std::vector<std::vector<std::string>> rows;
  for (const SpecPoint* point : points) {
    std::vector<std::string> row = {std::to_string(point->number)};
    for (const auto& key : spec.varied_keys()) row.push_back(cell_text(point->varied.at(key)));
    if (labels) row.push_back(point->label);
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(header.size());
  for (size_t i = 0; i < header.size(); ++i) {
    widths[i] = header[i].size();
    for (const auto& row : rows) widths[i] = std::max(widths[i], row[i].size());
  }
  out << "\npoints:\n";
  print_row(out, header, widths);
  for (const auto& row : rows) print_row(out, row, widths);

  if (spec.hosts().any_remote()) {
    std::string clients;
    for (const auto& client : spec.hosts().clients) clients += (clients.empty() ? "" : ", ") + client.name();
    out << "\nhosts: server on " << spec.hosts().server.name() << ", clients on " << clients
        << " (each client host runs the load as configured; placement on each host's own topology)\n";
  }
  out << "\nplacement (planned CPUs per thread):\n";
  for (size_t i = 0; i < points.size(); ++i) {
    out << "  " << points[i]->number << ": " << placement_line(placements[i]) << "\n";
    for (const auto& warning : placements[i].at("warnings")) {
      out << "     warning: " << warning.get<std::string>() << "\n";
    }
  }
}

}  // namespace echolab
