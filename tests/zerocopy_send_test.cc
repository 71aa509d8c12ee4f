// server.send zerocopy (issue "claims, second round"): MSG_ZEROCOPY echoes
// stay byte-exact under every epoll model, completions are read from the
// error queue and counted (copied or not), and the per-connection buffers
// are bounded and released.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/socket_util.h"
#include "core/zerocopy_output.h"
#include "models/registry.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

// Reads whatever the receiver has (non-blocking) into `out`.
void drain(int fd, std::vector<char>& out) {
  char buffer[65536];
  for (;;) {
    ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n <= 0) return;
    out.insert(out.end(), buffer, buffer + n);
  }
}

/// A loopback pair whose accepted side sends with SO_ZEROCOPY, and that
/// side's counters; skipped where the kernel refuses SO_ZEROCOPY.
class ZeroCopyOutputTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!kernel_takes_zerocopy()) GTEST_SKIP() << "this kernel refuses SO_ZEROCOPY";
    ASSERT_TRUE(pair_.accepted.valid());
    enable_zerocopy(sender());
  }
  int sender() const { return pair_.accepted.get(); }
  int receiver() const { return pair_.client.get(); }

  /// The receiver reads (into `received`) while `output` sends what it
  /// holds and reads its completions, until nothing is pending or in flight.
  bool completes(ZeroCopyOutput& output, std::vector<char>& received) {
    return testing::wait_until([&] {
      drain(receiver(), received);
      EXPECT_TRUE(output.flush(sender(), counters_));
      EXPECT_TRUE(output.read_completions(sender(), counters_));
      return output.pending_bytes() == 0 && output.sends_in_flight() == 0;
    });
  }

  testing::LoopbackTcpPair pair_;
  ThreadCounters counters_;
};

TEST_F(ZeroCopyOutputTest, SendsEveryByteInOrderAndFreesEachChunkOnceItsCompletionArrives) {
  ZeroCopyOutput output(4096, 8);
  const std::vector<char> payload = testing::random_payload(20000, 7);
  std::vector<char> received;
  size_t offset = 0;
  while (offset < payload.size()) {
    std::span<char> room = output.reserve();
    ASSERT_FALSE(room.empty()) << "8 chunks of 4 KiB hold 20,000 bytes";
    const size_t n = std::min(room.size(), std::min<size_t>(1500, payload.size() - offset));
    std::copy_n(payload.data() + offset, n, room.data());
    output.commit(n);
    offset += n;
    ASSERT_TRUE(output.flush(sender(), counters_));
  }
  EXPECT_EQ(output.pending_bytes(), 0u);
  EXPECT_GT(counters_.zerocopy_sends.load(), 0u);
  EXPECT_EQ(counters_.bytes_out.load(), payload.size());
  // Completions come once the receiver's ACKs free the packets.
  ASSERT_TRUE(completes(output, received));
  EXPECT_EQ(received, payload);
  EXPECT_EQ(counters_.zerocopy_completed.load(), counters_.zerocopy_sends.load());
  // Loopback delivers to a local socket, which copies (msg_zerocopy.rst):
  // every completion says so.
  EXPECT_EQ(counters_.zerocopy_copied.load(), counters_.zerocopy_completed.load());
  EXPECT_TRUE(output.has_room());
}

TEST_F(ZeroCopyOutputTest, NeverHandsOutAChunkWhoseSendsHaveNotCompleted) {
  constexpr size_t kChunk = 4096;
  ZeroCopyOutput output(kChunk, 8);
  // Fill and send whole chunks without reading completions: the kernel may
  // still read every one of them, so none may be handed out again.
  std::vector<const char*> in_flight;
  for (int i = 0; i < 8; ++i) {
    std::span<char> room = output.reserve();
    ASSERT_EQ(room.size(), kChunk) << "chunk " << i;
    for (const char* earlier : in_flight) {
      EXPECT_FALSE(room.data() < earlier + kChunk && earlier < room.data() + kChunk)
          << "chunk " << i << " reuses memory a send has not completed";
    }
    in_flight.push_back(room.data());
    std::fill(room.begin(), room.end(), static_cast<char>('a' + i));
    output.commit(kChunk);
    ASSERT_TRUE(output.flush(sender(), counters_));
  }
  EXPECT_EQ(output.pending_bytes(), 0u);
  EXPECT_GE(output.sends_in_flight(), 8u);
  EXPECT_TRUE(output.reserve().empty()) << "8 chunks in flight: the pool is full";
  // The completions free them all.
  std::vector<char> received;
  ASSERT_TRUE(completes(output, received));
  EXPECT_EQ(received.size(), 8 * kChunk);
  EXPECT_EQ(output.reserve().size(), kChunk);
}

TEST_F(ZeroCopyOutputTest, StopsOfferingRoomWhenItsChunksWaitForAPeerThatDoesNotRead) {
  constexpr size_t kChunk = 65536, kChunks = 4;
  ZeroCopyOutput output(kChunk, kChunks);
  size_t committed = 0;
  // The receiver never reads: once the socket buffers are full nothing
  // completes, and after kChunks chunks reserve() offers nothing more.
  for (int i = 0; i < 1000; ++i) {
    std::span<char> room = output.reserve();
    if (room.empty()) break;
    std::fill(room.begin(), room.end(), 'x');
    output.commit(room.size());
    committed += room.size();
    ASSERT_TRUE(output.flush(sender(), counters_));
    ASSERT_TRUE(output.read_completions(sender(), counters_));
  }
  EXPECT_FALSE(output.has_room());
  EXPECT_TRUE(output.reserve().empty());
  EXPECT_GE(committed, kChunks * kChunk);
  EXPECT_LT(committed, 1000 * kChunk) << "room was offered without bound";
  // Once the peer reads, the completions free the chunks and room returns.
  std::vector<char> received;
  ASSERT_TRUE(completes(output, received));
  EXPECT_TRUE(output.has_room());
  EXPECT_EQ(received.size(), committed);
}

// A stream (64 KiB writes, content checked by the client) or an rr trial of
// `model` with server.send `send`.
nlohmann::json send_trial(const std::string& model, const std::string& send, const std::string& workload) {
  const ModelInfo* info = find_model(model);
  const int threads = std::min(info->max_threads, 2);
  return nlohmann::json::parse(
      testing::run_echolab({"trial", "--model", model, "--threads", std::to_string(threads), "--workload", workload,
                            "--message-bytes", workload == "stream" ? "65536" : "1000", "--connections", "4",
                            "--duration", "0.2", "--warmup", "0.05", "--server.send", send, "--json"})
          .out,
      nullptr, false);
}

TEST(ServerSend, ZeroCopyEchoesByteExactUnderEveryEpollModelAndCountsTheCopiedCompletions) {
  if (!kernel_takes_zerocopy()) GTEST_SKIP() << "this kernel refuses SO_ZEROCOPY";
  int models = 0;
  for (const auto& info : model_registry()) {
    if (!info.option("send")) continue;
    ++models;
    const std::string name(info.name);
    // stream: the client checks every byte against its pattern; crr: every
    // connection closes after its echo, while completions may be in flight.
    for (const char* workload : {"stream", "crr"}) {
      const std::string what = name + " " + workload;
      const nlohmann::json result = send_trial(name, "zerocopy", workload);
      ASSERT_TRUE(result.is_object()) << what;
      EXPECT_EQ(result.value("status", ""), "ok") << what << ": " << result.value("error", "");
      EXPECT_EQ(result["config"]["server"]["send"], "zerocopy") << what;
      const nlohmann::json& m = result["metrics"];
      EXPECT_GT(m["bytes_echoed"].get<double>(), 0) << what;
      EXPECT_GT(m["server_zerocopy_sends"].get<double>(), 0) << what;
      // Loopback copies every zero-copy send in the end (msg_zerocopy.rst):
      // the completions read say so, each of them.
      EXPECT_EQ(m["server_zerocopy_copied_share"], 1.0) << what;
      EXPECT_EQ(m["server_zerocopy_refused"], 0) << what;
    }
  }
  // The six epoll models; io_uring, the blocking models and external send otherwise.
  EXPECT_EQ(models, 6);
  const nlohmann::json copying = send_trial("single_thread", "copy", "stream");
  ASSERT_TRUE(copying.is_object());
  EXPECT_EQ(copying["metrics"]["server_zerocopy_sends"], 0);
  EXPECT_TRUE(copying["metrics"]["server_zerocopy_copied_share"].is_null());
  const auto refused = testing::run_echolab({"trial", "--model", "io_uring", "--server.send", "zerocopy"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("server.send"), std::string::npos) << refused.err;
}

}  // namespace
}  // namespace echolab
