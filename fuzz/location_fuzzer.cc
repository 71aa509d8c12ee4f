// libFuzzer target: location strings ("pu:1", "core:0-1", "numa:0,pack:0",
// "0-3", "all") resolved on a synthetic machine.
#include <stdexcept>

#include "core/topology.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace echolab;
  static const auto topology = Topology::load("pack:2 core:4 pu:2");
  try {
    (void)topology->resolve(fuzz::text_of(data, size));
  } catch (const std::invalid_argument& error) {
    fuzz::require_one_line("location", error.what());
  }
  return 0;
}
