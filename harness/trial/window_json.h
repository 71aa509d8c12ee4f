#pragma once

#include "harness/config/config_keys.h"
#include "harness/trial/metrics.h"

namespace echolab {

/// A WindowMeasurement as JSON and back, so the parts of one trial measured
/// by echolab processes on other hosts (`serve --control`, `load --control`)
/// reach the sweep that merges them and computes the metrics once.
Json window_to_json(const WindowMeasurement& window);
/// Reads window_to_json's form; throws std::invalid_argument naming the
/// field that is wrong.
WindowMeasurement window_from_json(const Json& json);

/// Adds `part` (one host's side of a trial) to `whole`: thread rows and
/// connections appended (connection and client-thread indices shifted past
/// the ones already there), bytes, requests, histograms and interval
/// throughput summed; steal and busy time summed over distinct machines
/// (`new_machine`); the CPU frequency is the server host's.
void merge_window(WindowMeasurement& whole, const WindowMeasurement& part, bool new_machine);

}  // namespace echolab
