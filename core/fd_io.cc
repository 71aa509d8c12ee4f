#include "core/fd_io.h"

#include <unistd.h>

#include <cerrno>

namespace echolab {

int write_fully(int fd, std::string_view data) {
  size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) return EIO;  // no progress on a non-empty write: give up rather than spin
    written += static_cast<size_t>(n);
  }
  return 0;
}

}  // namespace echolab
