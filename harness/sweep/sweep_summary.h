#pragma once

#include <deque>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/config/config_keys.h"
#include "harness/load/latency_histogram.h"
#include "harness/sweep/spec.h"

namespace echolab {

/// Statistics of one metric over a point's successful repetitions.
struct MetricStats {
  double median = 0, p25 = 0, p75 = 0, min = 0, max = 0;
  std::optional<double> cv;  // population stdev / mean; none when the mean is 0
};

/// median, p25, p75 (linear interpolation, numpy.percentile's default),
/// min, max and cv of `values`; nullopt when empty.
std::optional<MetricStats> summarize_values(std::vector<double> values);

/// summary.csv's columns computed from a point's merged histograms (all
/// ok repetitions' requests together), after n_expect_met, in order.
const std::vector<std::string>& merged_latency_columns();

/// The main metrics of summary.csv, in column order: the catalogue's
/// summary metrics (harness/trial/metric_catalogue.h).
const std::vector<std::string>& summary_metrics();

/// Owns the per-point statistics of a run's trial records (summary.csv and
/// the closing table); built from a snapshot, then read-only. Main thread.
class SweepSummary {
 public:
  /// One row per point of `spec` that has at least one record, in spec
  /// order, then one per config_id found only in the records (a spec edited
  /// after the run), labelled from the records.
  SweepSummary(const Spec& spec, const std::vector<Json>& records);
  SweepSummary(const SweepSummary&) = delete;  // rows point into records_only_
  SweepSummary& operator=(const SweepSummary&) = delete;

  /// summary.csv: config_id,label,<varied keys>,n_ok,n_trials, then
  /// M_median,M_p25,M_p75,M_min,M_max,M_cv per main metric M, then
  /// n_expect_met (empty for points without an expectation), n_client_bound
  /// and n_overloaded (ok trials with that flag), then the
  /// merged_latency_columns() (empty for points without histograms).
  std::string csv() const;
  /// One line per point: median MB/s, p25-p75, ok/n, server CPU s/GB; with
  /// request workloads also median requests/s and the merged p99 (marked *).
  void print_table(std::ostream& out) const;
  /// Each point's merged latency histogram as HdrHistogram percentile
  /// distribution text: {"histograms/<config_id>.hgrm", text} for every
  /// point with requests.
  std::vector<std::pair<std::string, std::string>> histogram_files() const;

 private:
  struct Row {
    const SpecPoint* point;
    int n_ok = 0;
    std::optional<int> n_expect_met;  // ok trials that met the case's "expect"; none without one
    int n_client_bound = 0;           // ok trials whose client set the pace ("client_bound")
    int n_overloaded = 0;             // ok open-loop trials under 95% of the offered rate
    int n_trials = 0;
    std::vector<std::optional<MetricStats>> stats;  // by summary_metrics()
    std::vector<std::string> failures;              // "rep 2: timeout: ..."
    LatencyHistogram latency, connect;              // merged over the ok repetitions
  };
  /// The merged_latency_columns() cells of a row.
  static std::vector<std::string> merged_cells(const Row& row);

  void add_points_only_in_records(const Spec& spec, const std::vector<Json>& records,
                                  std::vector<const SpecPoint*>& points);

  std::vector<std::string> varied_keys_;
  std::deque<SpecPoint> records_only_;  // stable addresses: rows point at them
  std::vector<Row> rows_;
};

}  // namespace echolab
