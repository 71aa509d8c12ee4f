// EPOLLEXCLUSIVE on a shared listener wakes fewer threads per connection.
// Counts, not times: per-thread voluntary context switches (each thread
// woken for a connection it does not get sleeps again) over serial accepts.
#include <gtest/gtest.h>

#include "core/proc_stats.h"
#include "models/registry.h"
#include "models/shared_listener.h"
#include "tests/test_support.h"

namespace echolab {
namespace {

uint64_t voluntary_switches(const ServerModel& model) {
  uint64_t total = 0;
  for (const auto& thread : model.threads()) {
    if (auto stats = read_thread_stats(0, thread.counters.tid)) total += stats->ctx_voluntary;
  }
  return total;
}

/// Voluntary context switches of 4 server threads while 40 connections
/// arrive one at a time (each accepted before the next connects).
uint64_t switches_for_serial_connections(bool exclusive) {
  SharedListenerServer server;
  ServerConfig config = testing::model_config("shared_listener", 4);
  config.options.set("exclusive", exclusive);
  server.start(config, CpuPlan{});
  std::vector<UniqueFd> clients;
  const uint64_t before = voluntary_switches(server);
  for (int i = 0; i < 40; ++i) {
    clients.push_back(connect_tcp(server.address()));
    EXPECT_TRUE(testing::wait_until([&] { return testing::accepted(server) == clients.size(); }));
  }
  const uint64_t after = voluntary_switches(server);
  server.stop();
  return after - before;
}

TEST(Herd, ExclusiveWakesFewerThreadsThanPlainSharedListener) {
  // Interleaved A B A B; compare the sums.
  uint64_t plain = 0, exclusive = 0;
  for (int round = 0; round < 2; ++round) {
    plain += switches_for_serial_connections(false);
    exclusive += switches_for_serial_connections(true);
  }
  RecordProperty("plain_switches", std::to_string(plain));
  RecordProperty("exclusive_switches", std::to_string(exclusive));
  EXPECT_LT(exclusive, plain) << "plain " << plain << ", exclusive " << exclusive;
}

}  // namespace
}  // namespace echolab
