#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "harness/config/config_keys.h"

namespace echolab {

/// Which way a metric is better, for charts, comparisons and verdicts.
enum class Better { kHigher, kLower, kNone };

/// Where a metric lives in a trial record: `metrics.NAME` (trial) or a
/// field of each `metrics.threads[]` row (thread).
enum class MetricScope { kTrial, kThread };

/// One metric, declared once: name, unit, direction, how it aggregates,
/// and what it means. Immutable, any thread.
struct MetricInfo {
  std::string_view name;
  std::string_view title;  // for chart axes and tables
  std::string_view unit;   // "" for pure numbers
  Better better;
  MetricScope scope;
  /// How the per-thread figures make the trial figure: "sum", "max",
  /// "jain" (fairness over threads), "ratio" (of two sums), "count" (threads
  /// meeting a condition), "window"
  /// (measured on the whole window, not per thread), "none".
  std::string_view over_threads;
  /// Whether summary.csv has its median/p25/p75/min/max/cv columns.
  bool summary;
  std::string_view description;
};

/// Every metric echolab writes, in display order (the metric catalogue).
const std::vector<MetricInfo>& metric_catalogue();
/// The entry named `name`, or nullptr.
const MetricInfo* find_metric(std::string_view name);
/// The trial metrics that get summary.csv columns, in column order.
std::vector<std::string> summary_metric_names();
/// The catalogue as `echolab help metrics --json` prints it and each run
/// directory stores it (metrics.json).
Json metric_catalogue_json();
/// The catalogue as a table for people (`echolab help metrics`).
std::string describe_metrics();

}  // namespace echolab
