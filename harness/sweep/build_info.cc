#include "harness/sweep/build_info.h"

#include "echolab_git_commit.h"  // generated at build time (cmake/git_commit.cmake)

namespace echolab {

const BuildInfo& build_info() {
  static const BuildInfo info = {ECHOLAB_VERSION,    ECHOLAB_GIT_COMMIT,    ECHOLAB_GIT_DIRTY_AT_BUILD,
                                 ECHOLAB_BUILD_TYPE, ECHOLAB_SANITIZE_MODE, ECHOLAB_CXX_FLAGS,
                                 ECHOLAB_SOURCE_DIR};
  return info;
}

}  // namespace echolab
