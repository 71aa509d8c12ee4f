#pragma once

namespace echolab {

/// What this binary was built from and how, fixed at build time; immutable,
/// any thread may read it. Only harness/sweep/build_info.cc is compiled with
/// these values (and the build-time git header), so every other source
/// compiles the same from any clone and a compiler cache can share it.
struct BuildInfo {
  const char* version;      ///< PROJECT_VERSION, e.g. "0.1.0"
  const char* git_commit;   ///< short commit, "" outside a git checkout
  bool git_dirty_at_build;  ///< uncommitted changes when it was built
  const char* build_type;   ///< CMAKE_BUILD_TYPE
  const char* sanitizer;    ///< ECHOLAB_SANITIZE: "", "address", "thread"
  const char* cxx_flags;    ///< the compiler flags of this build
  const char* source_dir;   ///< the source tree it was built from
};

/// This binary's build.
const BuildInfo& build_info();

}  // namespace echolab
