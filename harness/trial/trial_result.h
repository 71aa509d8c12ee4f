#pragma once

#include <string>

#include "harness/config/config_keys.h"

namespace echolab {

constexpr int kResultSchema = 1;

/// What one trial produced, in the result schema (docs/DESIGN.md "Results"):
/// a plain value built once by the trial runner, or by whoever saw the trial
/// fail without a result; reporters and writers only read it.
struct TrialResult {
  Json config = Json::object();
  std::string status = "ok";  // ok, failed, timeout, skipped
  std::string error;
  Json placement = Json::object();   // planned and observed CPUs per thread
  Json metrics = Json::object();     // catalogue metrics + "threads": per-thread figures
  Json series = Json::object();      // per-interval samples
  Json histograms = Json::object();  // request workloads: "latency_ns", "connect_ns" (LatencyHistogram::to_json)
  Json extra = Json::object();       // side, server_address, signal: written after the fixed fields

  /// A trial that ended without measurements.
  static TrialResult failure(Json config, Json placement, std::string status, std::string error);
  /// Reads a result written by to_json (e.g. by a trial's child process);
  /// missing fields keep their defaults; throws std::invalid_argument (one
  /// line) when `json` is not an object or a fixed field has the wrong type.
  static TrialResult from_json(const Json& json);

  bool ok() const { return status == "ok"; }
  /// Marks the trial failed with `why`, unless it already failed.
  void fail(const std::string& why);
  /// The JSON object of the result schema.
  Json to_json() const;
};

}  // namespace echolab
