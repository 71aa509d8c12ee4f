#include <string>

#include "tests/test_support.h"

namespace echolab::testing {

const char* const kEcholabBinary = ECHOLAB_BINARY;
const char* const kMicroBinary = ECHOLAB_MICRO_BINARY;
const char* const kSourceDir = ECHOLAB_SOURCE_DIR;

std::string source_path(const std::string& relative) { return std::string(kSourceDir) + "/" + relative; }

}  // namespace echolab::testing
