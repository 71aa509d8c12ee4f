#include "models/blocking_echo.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace echolab {

void echo_until_closed(int fd, ThreadCounters& counters, const EchoOptions& echo) {
  std::vector<char> buffer(echo.read_buffer);
  RequestCounter requests = RequestCounter::for_work(echo.work);
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n < 0) bump(counters.errors);
      return;
    }
    bump(counters.wakeups);
    bump(counters.reads);
    bump(counters.bytes_in, static_cast<uint64_t>(n));
    work_on_arrival(echo.work, requests, counters, static_cast<size_t>(n));
    for (ssize_t done = 0; done < n;) {
      ssize_t w = ::send(fd, buffer.data() + done, static_cast<size_t>(n - done), MSG_NOSIGNAL);
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        bump(counters.errors);
        return;
      }
      done += w;
      bump(counters.writes);
      bump(counters.bytes_out, static_cast<uint64_t>(w));
    }
    if ((counters.wakeups.load(std::memory_order_relaxed) & 63) == 0) counters.note_cpu();
  }
}

}  // namespace echolab
