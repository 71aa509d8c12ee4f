#include <string>

#include "harness/sweep/build_info.h"
#include "tests/test_support.h"

namespace echolab::testing {

const char* const kEcholabBinary = ECHOLAB_BINARY;
const char* const kMicroBinary = ECHOLAB_MICRO_BINARY;

std::string source_path(const std::string& relative) { return std::string(build_info().source_dir) + "/" + relative; }

}  // namespace echolab::testing
