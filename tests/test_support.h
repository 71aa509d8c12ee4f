#pragma once

// Helpers shared by the tests: waiting on conditions with a deadline (never
// sleeping as synchronisation), random payloads, a checked echo client and
// running the echolab binary.
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/socket_util.h"
#include "core/unique_fd.h"
#include "models/server_model.h"

namespace echolab::testing {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ECHOLAB_TESTS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define ECHOLAB_TESTS_SANITIZED 1
#endif
#endif
/// Whether these tests run under ASan or TSan. There a test that repeats the
/// same work many times for volume may repeat it fewer times: the sanitizer
/// needs each code path run, the plain build keeps the volume.
#ifdef ECHOLAB_TESTS_SANITIZED
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

/// Polls `condition` until it holds or `timeout` passes; returns whether it held.
inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // poll interval
  }
  return condition();
}

/// `size` bytes drawn from mt19937 seeded with `seed`, four bytes per draw.
inline std::vector<char> random_payload(size_t size, uint32_t seed) {
  std::mt19937 engine(seed);
  std::vector<char> data(size);
  for (size_t at = 0; at < size; at += sizeof(uint32_t)) {
    const uint32_t word = static_cast<uint32_t>(engine());
    std::memcpy(data.data() + at, &word, std::min(sizeof word, size - at));
  }
  return data;
}

/// Sends `payload` on a (non-blocking) socket and reads back exactly as many
/// bytes, interleaving both directions so large payloads cannot deadlock on
/// full buffers; fails (returns false) on error or after `timeout`.
bool echo_round_trip(int fd, const std::vector<char>& payload, std::vector<char>& received,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

/// A connected loopback TCP pair made on the calling thread: `client`
/// connected to `listener`, `accepted` its non-blocking server side. TCP
/// where a socketpair will not do (RST, MSG_ZEROCOPY).
struct LoopbackTcpPair {
  UniqueFd listener, client, accepted;
  LoopbackTcpPair();
};

/// Connects to `address` and checks a random payload of each size comes back
/// byte-exact; returns "" or a description of the first mismatch.
std::string check_echo(const SocketAddress& address, const std::vector<size_t>& sizes, uint32_t seed);

/// Whether `name` is on PATH (third-party peers such as node, python3).
inline bool have_program(const std::string& name) {
  return std::system(("command -v " + name + " >/dev/null 2>&1").c_str()) == 0;
}

/// Synthetic machines (hwloc synthetic descriptions) the placement and
/// topology tests plan on: this VM's shape, a two-socket SMT server, and a
/// package with two L3 caches.
constexpr const char* kThisMachine = "pack:1 core:2 pu:1";
constexpr const char* kTwoSocketSmt = "pack:2 core:8 pu:2";
constexpr const char* kTwoL3 = "pack:1 l3:2 core:4 pu:1";

/// A model's config as the registry gives it: its name, `threads` and
/// every option at its default (the echo axes at theirs).
ServerConfig model_config(const std::string& model, int threads);

/// One counter summed over a model's threads, e.g. &CounterSnapshot::accepted.
inline uint64_t sum_over_threads(const ServerModel& model, uint64_t CounterSnapshot::*counter) {
  uint64_t total = 0;
  for (const auto& thread : model.threads()) total += thread.counters.*counter;
  return total;
}

/// Connections a model has accepted, over all its threads.
inline uint64_t accepted(const ServerModel& model) { return sum_over_threads(model, &CounterSnapshot::accepted); }

/// argv of an external echo server (socat) that first starts a grandchild
/// in a session of its own (setsid) which ignores SIGTERM and writes its pid
/// to `pid_file`; with `freeze` the server then stops its parent, the trial
/// process (SIGSTOP), so the trial can only end at its time limit.
std::vector<std::string> orphaning_server_command(const std::string& pid_file, bool freeze = false);

/// True when `pid` has exited (gone, or a zombie nobody has reaped yet).
bool process_gone(pid_t pid);

/// Runs the echolab binary with arguments; returns its exit code and output.
struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
CommandResult run_echolab(const std::vector<std::string>& args, int timeout_s = 60);

/// Paths fixed when the tests were built. Only tests/build_paths.cc is
/// compiled with them, so every other test compiles the same from any clone
/// (and a compiler cache shares it).
extern const char* const kEcholabBinary;  ///< build/echolab
extern const char* const kMicroBinary;    ///< build/echolab-micro
/// The source tree (build_info().source_dir) + "/" + relative.
std::string source_path(const std::string& relative);

/// `echolab trial --json` of an rr ping-pong (64 B, 0.1 s warm-up, 0.4 s
/// window) against `model`, with `extra` arguments appended; the trial
/// record, or a failure (and a non-object) when the output is not JSON.
nlohmann::json rr_trial(const std::string& model, int threads, int connections,
                        const std::vector<std::string>& extra = {});

}  // namespace echolab::testing
