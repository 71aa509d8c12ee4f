// libFuzzer target: the experiment spec parser and validator (JSON with
// comments, dotted keys, matrix / cases / exclude, annotations), then the
// placement plan on a fixed synthetic machine.
#include "fuzz/fuzz_support.h"
#include "harness/sweep/spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace echolab;
  static const auto topology = Topology::load("pack:1 core:2 pu:2");
  try {
    Spec spec = Spec::parse(fuzz::text_of(data, size), "fuzz.json");
    spec.use_hosts(spec.hosts());  // what run and plan do before planning
    for (const auto& point : spec.points()) (void)point.display_name();
    (void)spec.plan_placements(*topology);
  } catch (const SpecError& error) {
    fuzz::require_one_line("spec", error.what());
  }
  return 0;
}
