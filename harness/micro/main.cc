// echolab-micro: mechanism micro-benchmarks (Google Benchmark), registered at
// run time for each CPU placement this machine offers. `echolab micro` runs it.
#include <benchmark/benchmark.h>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "core/socket_util.h"
#include "core/topology.h"
#include "harness/micro/micro_benchmarks.h"
#include "harness/micro/placement.h"

namespace {

/// Defaults placed before the user's flags, so the user's win (Google
/// Benchmark keeps the last value of a flag): ~1 minute for a full run.
const char* const kDefaultFlags[] = {"--benchmark_min_time=0.2"};

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + 1);
  for (const char* flag : kDefaultFlags) args.push_back(const_cast<char*>(flag));
  args.insert(args.end(), argv + 1, argv + argc);
  int count = static_cast<int>(args.size());
  args.push_back(nullptr);
  benchmark::Initialize(&count, args.data());
  // Google Benchmark prints its own "unrecognized command-line flag" message.
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 2;
  try {
    using namespace echolab::micro;
    echolab::ignore_sigpipe();
    const echolab::Topology& topology = echolab::Topology::system();
    const std::vector<Placement> placements = machine_placements(topology, std::cerr);
    if (placements.empty()) {
      std::cerr << "echolab-micro: no usable PU\n";
      return 1;
    }
    benchmark::AddCustomContext("echolab_topology", topology.summary());
    benchmark::AddCustomContext("echolab_usable_pus", echolab::format_cpu_list(topology.usable_pus()));
    register_wakeup_benchmarks(placements);
    register_cache_line_benchmarks(placements);
    register_handoff_benchmarks(placements);
    register_epoll_benchmarks(placements.front());  // same_pu: one PU
    register_accept_benchmarks(placements);
    register_loopback_benchmarks(placements);
  } catch (const std::exception& error) {
    std::cerr << "echolab-micro: " << error.what() << "\n";
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
