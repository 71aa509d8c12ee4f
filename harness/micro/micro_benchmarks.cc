#include "harness/micro/micro_benchmarks.h"

#include <exception>
#include <utility>

namespace echolab::micro {

benchmark::internal::Benchmark* register_guarded(const std::string& name, std::function<void(benchmark::State&)> body) {
  return benchmark::RegisterBenchmark(name.c_str(), [body = std::move(body)](benchmark::State& state) {
    try {
      body(state);
    } catch (const std::exception& error) {
      state.SkipWithError(error.what());
    }
  });
}

void report_per_op(benchmark::State& state, const std::string& op, const MeasuredTime& time, double per_iteration) {
  if (state.iterations() == 0) return;  // skipped with an error
  const double ops = static_cast<double>(state.iterations()) * per_iteration;
  state.counters["ns_per_" + op] = time.seconds() * 1e9 / ops;
  // A rate counter: divided by Google Benchmark's own (real or manual) time.
  state.counters[op + "s_per_s"] = benchmark::Counter(ops, benchmark::Counter::kIsRate);
}

void register_per_pair(const std::vector<Placement>& placements, const std::string& name,
                       void (*body)(benchmark::State&, const Placement&), IterationTime timing) {
  for (const Placement& placement : placements) {
    auto* benchmark = register_guarded(placement.pair_name(name),
                                       [body, placement](benchmark::State& state) { body(state, placement); });
    if (timing == IterationTime::kManual) {
      benchmark->UseManualTime();
    } else {
      benchmark->UseRealTime();
    }
  }
}

}  // namespace echolab::micro
