# Writes OUT, a header with the source tree's git commit and whether it had
# uncommitted changes, at every build (a target runs it), rewriting the file
# only when that changed, so a commit recompiles one file and a binary never
# reports the commit it was configured at instead of the one it was built at.
# Usage: cmake -DSOURCE_DIR=... -DOUT=... -P git_commit.cmake
execute_process(COMMAND git rev-parse --short=12 HEAD WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
execute_process(COMMAND git status --porcelain --untracked-files=no WORKING_DIRECTORY "${SOURCE_DIR}"
                OUTPUT_VARIABLE status ERROR_QUIET RESULT_VARIABLE status_rc)
if(NOT commit)
  set(dirty "false")  # not a git checkout (a tarball): commit "", dirty unknown
elseif(status)
  set(dirty "true")
else()
  set(dirty "false")
endif()
set(text "// Generated at build time by cmake/git_commit.cmake; do not edit.\n#pragma once\n#define ECHOLAB_GIT_COMMIT \"${commit}\"\n#define ECHOLAB_GIT_DIRTY_AT_BUILD ${dirty}\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()
