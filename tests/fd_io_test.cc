// write_fully(): every byte of a write larger than a pipe's buffer arrives,
// and a reader that has gone is reported as EPIPE rather than ignored.
#include "core/fd_io.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>

#include "core/socket_util.h"
#include "core/unique_fd.h"

namespace echolab {
namespace {

TEST(WriteFully, WritesEveryByteThroughShortWrites) {
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  UniqueFd read_end(ends[0]), write_end(ends[1]);
  std::string data(1 << 20, '\0');  // 16x the default pipe buffer: the writes are short
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131 + i / 4096);
  std::string received;
  std::thread reader([&] {
    char buffer[7000];
    for (ssize_t n; (n = ::read(read_end.get(), buffer, sizeof buffer)) > 0;) received.append(buffer, n);
  });
  EXPECT_EQ(write_fully(write_end.get(), data), 0);
  write_end.reset();
  reader.join();
  EXPECT_TRUE(received == data) << "received " << received.size() << " of " << data.size() << " bytes";
}

TEST(WriteFully, AGoneReaderIsEpipe) {
  ignore_sigpipe();
  int ends[2];
  ASSERT_EQ(::pipe(ends), 0);
  UniqueFd read_end(ends[0]), write_end(ends[1]);
  read_end.reset();
  EXPECT_EQ(write_fully(write_end.get(), "order\n"), EPIPE);
}

}  // namespace
}  // namespace echolab
