#pragma once

#include <string_view>

namespace echolab {

/// Writes all of `data` to the blocking descriptor `fd`, resuming after short
/// writes and EINTR. Returns 0, or the errno of the write that failed (EPIPE
/// when the reader is gone: echolab ignores SIGPIPE). Any thread.
int write_fully(int fd, std::string_view data);

}  // namespace echolab
