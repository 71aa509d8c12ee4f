#include "harness/sweep/sweep_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "harness/trial/metric_catalogue.h"
#include "harness/trial/metrics.h"

namespace echolab {
namespace {

// numpy.percentile's default interpolation, bit for bit, so a reader's
// numpy check of summary.csv agrees exactly.
double lerp(double low, double high, double t) {
  const double diff = high - low;
  return t >= 0.5 ? high - diff * (1 - t) : low + diff * t;
}

double percentile(const std::vector<double>& sorted, double q) {
  const double position = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  return lerp(sorted[below], sorted[above], position - static_cast<double>(below));
}

// A number cell: whole values as integers, others in the shortest form
// that reads back exactly.
// A record's field when it has the expected JSON type, else the fallback: a
// hand-edited or foreign trials.jsonl must not stop a summary.
std::string text_field(const Json& record, const char* key) {
  auto it = record.find(key);
  return it != record.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Json object_or(const Json& record, const char* key, Json fallback) {
  auto it = record.find(key);
  return it != record.end() && it->type() == fallback.type() ? *it : fallback;
}

std::string number_cell(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    return std::to_string(static_cast<long long>(value));
  }
  return Json(value).dump();
}

// A varied value cell (lists as JSON with ", " separators).
std::string value_cell(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_float()) return number_cell(value.get<double>());
  if (value.is_array()) {  // json.dumps separators: ", "
    std::string out = "[";
    for (size_t i = 0; i < value.size(); ++i) out += (i ? ", " : "") + value[i].dump();
    return out + "]";
  }
  return value.dump();
}

// Python csv.writer's QUOTE_MINIMAL.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace

std::optional<MetricStats> summarize_values(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  MetricStats stats;
  stats.median = percentile(values, 50);
  stats.p25 = percentile(values, 25);
  stats.p75 = percentile(values, 75);
  stats.min = values.front();
  stats.max = values.back();
  double sum = 0;
  for (double value : values) sum += value;
  const double mean = sum / static_cast<double>(values.size());
  double squares = 0;
  for (double value : values) squares += (value - mean) * (value - mean);
  if (mean != 0) stats.cv = std::sqrt(squares / static_cast<double>(values.size())) / mean;
  return stats;
}

const std::vector<std::string>& merged_latency_columns() {
  static const std::vector<std::string> columns = {"n_requests",
                                                   "latency_us_p50_merged",
                                                   "latency_us_p90_merged",
                                                   "latency_us_p99_merged",
                                                   "latency_us_p999_merged",
                                                   "latency_us_p9999_merged",
                                                   "latency_us_max_merged",
                                                   "latency_us_mean_merged",
                                                   "connect_us_p50_merged",
                                                   "connect_us_p99_merged"};
  return columns;
}

std::vector<std::pair<std::string, std::string>> SweepSummary::histogram_files() const {
  std::vector<std::pair<std::string, std::string>> files;
  for (const Row& row : rows_) {
    if (row.latency.count() == 0) continue;
    files.emplace_back("histograms/" + row.point->config_id + ".hgrm", percentile_distribution(row.latency));
  }
  return files;
}

std::vector<std::string> SweepSummary::merged_cells(const Row& row) {
  if (row.latency.count() == 0) return std::vector<std::string>(merged_latency_columns().size(), "");
  Json merged, connect;
  add_latency_metrics(row.latency, "latency_us", merged);
  add_latency_metrics(row.connect, "connect_us", connect);
  auto cell = [](const Json& value) { return value.is_number() ? number_cell(value.get<double>()) : std::string(); };
  std::vector<std::string> cells = {std::to_string(row.latency.count())};
  for (const char* suffix : {"_p50", "_p90", "_p99", "_p999", "_p9999", "_max", "_mean"}) {
    cells.push_back(cell(merged[std::string("latency_us") + suffix]));
  }
  cells.push_back(cell(connect["connect_us_p50"]));
  cells.push_back(cell(connect["connect_us_p99"]));
  return cells;
}

const std::vector<std::string>& summary_metrics() {
  static const std::vector<std::string> metrics = summary_metric_names();
  return metrics;
}

SweepSummary::SweepSummary(const Spec& spec, const std::vector<Json>& records) : varied_keys_(spec.varied_keys()) {
  std::map<std::string, std::vector<const Json*>> by_id;
  for (const auto& record : records) by_id[text_field(record, "config_id")].push_back(&record);
  std::vector<const SpecPoint*> points;
  for (const auto& point : spec.points()) points.push_back(&point);
  add_points_only_in_records(spec, records, points);
  for (const SpecPoint* point_ptr : points) {
    const SpecPoint& point = *point_ptr;
    auto it = by_id.find(point.config_id);
    if (it == by_id.end()) continue;
    Row row{&point};
    std::vector<std::vector<double>> values(summary_metrics().size());
    for (const Json* record : it->second) {
      ++row.n_trials;
      const std::string status = text_field(*record, "status");
      if (status != "ok") {
        row.failures.push_back("rep " + record->value("repetition", Json(0)).dump() + ": " + status + ": " +
                               text_field(*record, "error"));
        continue;
      }
      ++row.n_ok;
      if (record->value("client_bound", Json(false)) == true) ++row.n_client_bound;
      if (record->value("overloaded", Json(false)) == true) ++row.n_overloaded;
      if (record->contains("expect_met")) {
        const bool met = record->value("expect_met", Json(false)) == true;
        row.n_expect_met = row.n_expect_met.value_or(0) + (met ? 1 : 0);
        if (!met) {
          std::string why;
          for (const auto& failure : object_or(*record, "expect_failures", Json::array())) {
            why += (why.empty() ? "" : "; ") + (failure.is_string() ? failure.get<std::string>() : failure.dump());
          }
          row.failures.push_back("rep " + record->value("repetition", Json(0)).dump() + ": not as expected: " + why);
        }
      }
      const Json histograms = object_or(*record, "histograms", Json::object());
      try {
        if (histograms.contains("latency_ns")) row.latency.merge(LatencyHistogram::from_json(histograms["latency_ns"]));
        if (histograms.contains("connect_ns")) row.connect.merge(LatencyHistogram::from_json(histograms["connect_ns"]));
      } catch (const std::invalid_argument& error) {
        row.failures.push_back("rep " + record->value("repetition", Json(0)).dump() + ": " + error.what() +
                               " (left out of the merged latency)");
      }
      const Json metrics = object_or(*record, "metrics", Json::object());
      for (size_t m = 0; m < summary_metrics().size(); ++m) {
        auto value = metrics.find(summary_metrics()[m]);
        if (value != metrics.end() && value->is_number() && std::isfinite(value->get<double>())) {
          values[m].push_back(value->get<double>());
        }
      }
    }
    for (auto& metric_values : values) row.stats.push_back(summarize_values(std::move(metric_values)));
    rows_.push_back(std::move(row));
  }
}

void SweepSummary::add_points_only_in_records(const Spec& spec, const std::vector<Json>& records,
                                              std::vector<const SpecPoint*>& points) {
  std::set<std::string> known;
  for (const auto& point : spec.points()) known.insert(point.config_id);
  for (const auto& record : records) {
    const std::string id = text_field(record, "config_id");
    if (!known.insert(id).second) continue;
    SpecPoint point;
    point.config_id = id;
    point.label = text_field(record, "label");
    point.config = object_or(record, "config", Json::object());
    point.varied = object_or(record, "varied", Json::object());
    if (point.label.empty() && point.varied.empty()) point.label = id;
    for (const auto& [key, value] : point.varied.items()) {
      if (std::find(varied_keys_.begin(), varied_keys_.end(), key) == varied_keys_.end()) varied_keys_.push_back(key);
    }
    records_only_.push_back(std::move(point));
  }
  for (const auto& point : records_only_) points.push_back(&point);
}

std::string SweepSummary::csv() const {
  std::vector<std::string> header = {"config_id", "label"};
  header.insert(header.end(), varied_keys_.begin(), varied_keys_.end());
  header.insert(header.end(), {"n_ok", "n_trials"});
  for (const auto& metric : summary_metrics()) {
    for (const char* stat : {"median", "p25", "p75", "min", "max", "cv"}) header.push_back(metric + "_" + stat);
  }
  header.insert(header.end(), {"n_expect_met", "n_client_bound", "n_overloaded"});
  header.insert(header.end(), merged_latency_columns().begin(), merged_latency_columns().end());
  auto line_of = [](const std::vector<std::string>& cells) {
    std::string line;
    for (size_t i = 0; i < cells.size(); ++i) line += (i ? "," : "") + csv_field(cells[i]);
    return line + "\n";
  };
  std::string out = line_of(header);
  for (const auto& row : rows_) {
    std::vector<std::string> cells = {row.point->config_id, row.point->label};
    for (const auto& key : varied_keys_) {
      auto value = row.point->varied.find(key);
      cells.push_back(value == row.point->varied.end() ? "" : value_cell(*value));
    }
    cells.push_back(std::to_string(row.n_ok));
    cells.push_back(std::to_string(row.n_trials));
    for (const auto& stats : row.stats) {
      if (!stats) {
        cells.insert(cells.end(), 6, "");
        continue;
      }
      for (double value : {stats->median, stats->p25, stats->p75, stats->min, stats->max}) {
        cells.push_back(number_cell(value));
      }
      cells.push_back(stats->cv ? number_cell(*stats->cv) : "");
    }
    cells.push_back(row.n_expect_met ? std::to_string(*row.n_expect_met) : "");
    cells.push_back(std::to_string(row.n_client_bound));
    cells.push_back(std::to_string(row.n_overloaded));
    const auto merged = merged_cells(row);
    cells.insert(cells.end(), merged.begin(), merged.end());
    out += line_of(cells);
  }
  return out;
}

namespace {
std::string pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : std::string(width - text.size(), ' ') + text;
}
}  // namespace

void SweepSummary::print_table(std::ostream& out) const {
  size_t name_width = 5;
  for (const auto& row : rows_) name_width = std::max(name_width, row.point->display_name().size());
  name_width = std::min<size_t>(name_width, 56);
  char line[512];
  std::snprintf(line, sizeof line, "%-4s %-*s %11s %17s %7s %11s %9s %7s %9s", "#", static_cast<int>(name_width),
                "point", "MB/s median", "p25-p75", "ok/n", "CPU s/GB", "intv CV", "active", "expected");
  const bool requests = std::any_of(rows_.begin(), rows_.end(), [](const Row& row) { return row.latency.count() > 0; });
  out << line << (requests ? " " + pad("req/s", 10) + " " + pad("p99 us*", 10) : std::string()) << "\n";
  auto index_of = [](const std::string& metric) {
    const auto& names = summary_metrics();
    return static_cast<size_t>(std::find(names.begin(), names.end(), metric) - names.begin());
  };
  const size_t throughput = index_of("throughput_mb_s"), cpu_per_gb = index_of("server_cpu_per_gb"),
               interval_cv = index_of("interval_cv"), active = index_of("server_threads_active"),
               requests_per_s = index_of("requests_per_s");
  for (const auto& row : rows_) {
    std::string name = row.point->display_name();
    if (name.size() > name_width) name = name.substr(0, name_width - 3) + "...";
    const auto& mb_s = row.stats[throughput];
    const auto& cpu = row.stats[cpu_per_gb];
    const auto& cv = row.stats[interval_cv];
    const auto& threads_active = row.stats[active];
    const std::string expected =
        row.n_expect_met ? std::to_string(*row.n_expect_met) + "/" + std::to_string(row.n_ok) : std::string("-");
    std::snprintf(line, sizeof line, "%-4d %-*s %11s %17s %7s %11s %9s %7s %9s", row.point->number,
                  static_cast<int>(name_width), name.c_str(), mb_s ? fixed(mb_s->median, 1).c_str() : "-",
                  mb_s ? (fixed(mb_s->p25, 1) + "-" + fixed(mb_s->p75, 1)).c_str() : "-",
                  (std::to_string(row.n_ok) + "/" + std::to_string(row.n_trials)).c_str(),
                  cpu ? fixed(cpu->median, 2).c_str() : "-", cv ? fixed(cv->median, 3).c_str() : "-",
                  threads_active ? fixed(threads_active->median, 1).c_str() : "-", expected.c_str());
    out << line;
    if (requests) {
      const auto& per_s = row.stats[requests_per_s];
      const auto p99 = row.latency.quantile_ns(0.99);
      out << " " << pad(per_s ? fixed(per_s->median, 0) : "-", 10) << " "
          << pad(p99 ? fixed(*p99 / 1000.0, 1) : "-", 10);
    }
    // The instrument's own limits, where a trial hit them.
    const std::string of_ok = "/" + std::to_string(row.n_ok);
    if (row.n_client_bound > 0) out << "  client-bound " << row.n_client_bound << of_ok;
    if (row.n_overloaded > 0) out << "  overloaded " << row.n_overloaded << of_ok;
    out << "\n";
    for (const auto& failure : row.failures) out << "       " << failure << "\n";
  }
  if (requests) out << "* p99 of all ok repetitions' requests together (merged histograms)\n";
  const bool limited = std::any_of(rows_.begin(), rows_.end(),
                                   [](const Row& row) { return row.n_client_bound > 0 || row.n_overloaded > 0; });
  if (limited) {
    out << "client-bound: a client thread was busy for 90% or more of the window (the client may have set the "
           "pace); overloaded: an open loop answered under 95% of its offered rate\n";
  }
}

}  // namespace echolab
