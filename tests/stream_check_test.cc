// The stream workload checks what comes back: a server that flips a byte,
// adds one, sends a greeting or floods zeros instead of echoing fails the
// trial (exit 1) with an error naming the connection and the byte offset,
// under one and two client threads. tests/peers/bad_echo.py is the server.
#include <gtest/gtest.h>

#include <regex>
#include <string>

#include "tests/test_support.h"

namespace echolab {
namespace {

testing::CommandResult stream_against(const std::string& mode, int client_threads) {
  const std::string server = "python3 " + testing::source_path("tests/peers/bad_echo.py") + " " + mode + " {port}";
  return testing::run_echolab({"trial", "--model", "external", "--server.command", server, "--workload", "stream",
                               "--connections", "2", "--client-threads", std::to_string(client_threads), "--warmup",
                               "0.2", "--duration", "0.5"});
}

TEST(StreamCheck, AWrongEchoFailsTheTrialNamingConnectionAndOffset) {
  const struct {
    const char* mode;
    const char* words;  // a regex: either connection may be caught first
  } cases[] = {
      // The 1001st byte flipped: offset 1000 of the connection's stream.
      {"flip", "connection [01]: mismatch at byte offset 1000 of the stream"},
      // One byte added after the first read: wrong where it lands.
      {"extra", "connection [01]: mismatch at byte offset [0-9]+ of the stream"},
      // Sent on accept, racing the client's first send: either the echo is
      // longer than what was sent so far, or its first byte is the
      // greeting's 'h' (0x68) where the pattern's was due.
      {"greeting",
       "connection [01]: (more bytes echoed than sent \\(0 sent, 6 received\\)|"
       "mismatch at byte offset 0 of the stream: expected 0x[0-9a-f]+, got 0x68)"},
      {"zeros",
       "connection [01]: (more bytes echoed than sent \\([0-9]+ sent, [0-9]+ received\\)|"
       "mismatch at byte offset [0-9]+ of the stream: expected 0x[0-9a-f]+, got 0x00)"},
  };
  for (const auto& bad : cases) {
    for (int client_threads : {1, 2}) {
      const testing::CommandResult result = stream_against(bad.mode, client_threads);
      EXPECT_EQ(result.exit_code, 1) << bad.mode << ", " << client_threads << " client threads: " << result.out
                                     << result.err;
      EXPECT_TRUE(std::regex_search(result.err, std::regex(bad.words)))
          << bad.mode << ", " << client_threads << " client threads: " << result.err;
    }
  }
}

}  // namespace
}  // namespace echolab
