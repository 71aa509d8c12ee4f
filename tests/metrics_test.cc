#include "harness/trial/metrics.h"

#include <gtest/gtest.h>

namespace echolab {
namespace {

ThreadObservation server_thread(int index, uint64_t accepted, uint64_t spurious = 0) {
  ThreadObservation observation;
  observation.role = "server";
  observation.index = index;
  observation.counters.accepted = accepted;
  observation.counters.spurious_wakeups = spurious;
  return observation;
}

WindowMeasurement window_with_accepts(const std::vector<uint64_t>& before, const std::vector<uint64_t>& after) {
  WindowMeasurement w;
  w.window_s = 1;
  for (size_t i = 0; i < before.size(); ++i) {
    w.server_start.push_back(server_thread(static_cast<int>(i), before[i]));
    w.server_end.push_back(server_thread(static_cast<int>(i), after[i], i == 0 ? 6 : 0));
  }
  return w;
}

TEST(AcceptMetrics, CountOnlyTheWindowsAcceptsPerServerThread) {
  // Thread 0 took 12 in the window, 1 took 4, 2 took 4 (earlier accepts
  // do not count); 6 spurious listener wake-ups on thread 0.
  const Json m = compute_metrics(window_with_accepts({100, 0, 7}, {112, 4, 11}));
  EXPECT_EQ(m["accepts_in_window"], 20.0);
  EXPECT_DOUBLE_EQ(m["accept_max_share"].get<double>(), 12.0 / 20);
  EXPECT_DOUBLE_EQ(m["accept_max_min_ratio"].get<double>(), 3.0);
  EXPECT_DOUBLE_EQ(m["accept_fairness_jain"].get<double>(), 20.0 * 20 / (3 * (144.0 + 16 + 16)));
  EXPECT_DOUBLE_EQ(m["spurious_wakeups_per_accept"].get<double>(), 6.0 / 20);
}

TEST(AcceptMetrics, AThreadWithoutAcceptsMakesTheRatioUnknownAndNoAcceptsNoMetrics) {
  const Json one_idle = compute_metrics(window_with_accepts({0, 0}, {5, 0}));
  EXPECT_TRUE(one_idle["accept_max_min_ratio"].is_null());
  EXPECT_DOUBLE_EQ(one_idle["accept_max_share"].get<double>(), 1.0);
  const Json none = compute_metrics(window_with_accepts({3, 3}, {3, 3}));
  EXPECT_FALSE(none.contains("accept_fairness_jain"));
}

TEST(AcceptMetrics, TheAcceptRaceCountsFromServerStartByRankIndexAndBusyWinner) {
  // Thread 0 (registered last of 3, rank 2) accepted 2, one of them while
  // busy; thread 2 (rank 0) accepted 1 while idle; thread 1 none.
  WindowMeasurement w = window_with_accepts({2, 0, 1}, {2, 0, 1});
  const int ranks[] = {2, 1, 0};
  for (size_t i = 0; i < 3; ++i) {
    w.server_start[i].counters.listener_rank = w.server_end[i].counters.listener_rank = ranks[i];
  }
  w.server_end[0].counters.accepts_while_busy = 1;
  w.server_end[0].counters.bytes_out = 10;  // counted threads: the race applies
  const Json m = compute_metrics(w);
  EXPECT_EQ(m["accepts_won_by_busy_thread"], 1);
  EXPECT_DOUBLE_EQ(m["accepts_won_by_busy_thread_share"].get<double>(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(m["accept_winner_registration_rank"].get<double>(), (2 * 2 + 1 * 0) / 3.0);
  EXPECT_DOUBLE_EQ(m["accept_winner_index"].get<double>(), (2 * 0 + 1 * 2) / 3.0);
  EXPECT_DOUBLE_EQ(m["spurious_wakeups_per_accept_since_start"].get<double>(), 6.0 / 3);
  EXPECT_EQ(m["threads"][0]["listener_rank"], 2);
}

TEST(AcceptMetrics, TheShareOnTheClientsPusCountsTheAcceptsOfServerThreadsSeenOnlyThere) {
  // Server thread 0 ran on PU 1 and took 3, thread 1 on PU 0 took 9, thread
  // 2 on PUs 0 and 1 took 4; the client ran on PU 0: 9 of 16.
  WindowMeasurement w = window_with_accepts({0, 0, 0}, {3, 9, 4});
  w.server_end[0].counters.cpus_seen = {1};
  w.server_end[1].counters.cpus_seen = {0};
  w.server_end[2].counters.cpus_seen = {0, 1};
  w.server_end[0].counters.bytes_out = 10;
  ThreadObservation client;
  client.role = "client";
  client.counters.cpus_seen = {0};
  w.client_start.push_back(client);
  w.client_end.push_back(client);
  EXPECT_DOUBLE_EQ(compute_metrics(w)["accepts_on_client_cpus_share"].get<double>(), 9.0 / 16);
  // A client on another host: PU numbers do not compare.
  w.client_end[0].host = "peer";
  EXPECT_FALSE(compute_metrics(w).contains("accepts_on_client_cpus_share"));
}

ThreadObservation client_thread(double cpu_s) {
  ThreadObservation observation;
  observation.role = "client";
  observation.os = OsThreadStats{};
  observation.os->cpu_user_s = cpu_s;
  return observation;
}

TEST(InstrumentLimits, AClientThreadBusyForNinetyPercentOfTheWindowMarksTheTrialClientBound) {
  for (const auto& [cpu_s, bound] : std::vector<std::pair<double, bool>>{{1.79, false}, {1.8, true}, {2.0, true}}) {
    WindowMeasurement w;
    w.window_s = 2;
    w.client_start = {client_thread(0), client_thread(0)};
    w.client_end = {client_thread(0.5), client_thread(cpu_s)};
    w.client_end[1].index = w.client_start[1].index = 1;
    const Json m = compute_metrics(w);
    EXPECT_DOUBLE_EQ(m["client_busy_fraction_max"].get<double>(), cpu_s / 2);
    EXPECT_EQ(instrument_limits(m), (Json{{"client_bound", bound}, {"overloaded", false}})) << cpu_s;
  }
}

TEST(InstrumentLimits, ASpinningClientIsClientBoundOnlyWhenFewOfItsPollsCameUpEmpty) {
  // Busy all the window by construction (load.wait spin): one poll in ten
  // found nothing, so it was waiting for the server; fewer, it set the pace.
  const auto bound = [](double empty_polls, double wakeups) {
    return instrument_limits({{"client_busy_fraction_max", 0.99},
                              {"client_empty_polls", empty_polls},
                              {"client_wakeups", wakeups}})["client_bound"]
        .get<bool>();
  };
  EXPECT_TRUE(bound(0, 1000));      // a sleeping client
  EXPECT_TRUE(bound(110, 1000));    // 110 of 1,110 polls empty: 9.9%
  EXPECT_FALSE(bound(112, 1000));   // 10.1%
  EXPECT_FALSE(bound(50000, 100));  // a lone ping-pong waiting for each echo
  EXPECT_FALSE(instrument_limits({{"client_busy_fraction_max", 0.5}, {"client_empty_polls", 0}})["client_bound"]);
}

TEST(InstrumentLimits, AnOpenLoopUnderNinetyFivePercentOfItsOfferedRateIsOverloaded) {
  EXPECT_EQ(instrument_limits({{"achieved_rate_share", 0.949}})["overloaded"], true);
  EXPECT_EQ(instrument_limits({{"achieved_rate_share", 0.95}})["overloaded"], false);
  EXPECT_EQ(instrument_limits(Json::object())["overloaded"], false);  // not an open loop
}

TEST(MemoryMetrics, TheServersMemoryIsKnownOnlyWhenItHasItsOwnProcess) {
  WindowMeasurement w;
  w.window_s = 1;
  w.connections = 100;
  w.memory_base = MemoryStats{1000, 1000};
  w.memory_end = MemoryStats{1100, 1200};
  const Json in_process = compute_metrics(w);
  EXPECT_TRUE(in_process["server_rss_bytes"].is_null());
  EXPECT_TRUE(in_process["client_rss_bytes"].is_null());
  EXPECT_DOUBLE_EQ(in_process["process_rss_per_conn_bytes"].get<double>(), 100.0 * 1024 / 100);
  EXPECT_EQ(in_process["process_rss_hwm_bytes"], 1200u * 1024);

  w.server_memory_base = MemoryStats{5000, 5000};
  w.server_memory_end = MemoryStats{7000, 7000};
  const Json apart = compute_metrics(w);
  EXPECT_EQ(apart["server_rss_bytes"], 7000u * 1024);
  EXPECT_DOUBLE_EQ(apart["server_rss_per_conn_bytes"].get<double>(), 2000.0 * 1024 / 100);
  EXPECT_EQ(apart["client_rss_bytes"], 1100u * 1024);
}

TEST(RequestMetrics, RatesAndPercentilesComeFromTheWindowsHistogram) {
  WindowMeasurement w;
  w.window_s = 2;
  RequestTotals totals;
  for (uint64_t i = 1; i <= 1000; ++i) totals.latency.record(i * 1000);  // 1 us .. 1 ms
  totals.completed = 1000;
  totals.behind_schedule = 3;
  w.requests = totals;
  w.offered_requests_per_s = 1000;
  const Json m = compute_metrics(w);
  EXPECT_DOUBLE_EQ(m["requests_per_s"].get<double>(), 500.0);
  EXPECT_NEAR(m["latency_us_p50"].get<double>(), 500.0, 5.0);
  EXPECT_NEAR(m["latency_us_p99"].get<double>(), 990.0, 10.0);
  EXPECT_DOUBLE_EQ(m["achieved_rate_share"].get<double>(), 0.5);
  EXPECT_EQ(m["requests_behind_schedule"], 3u);
  EXPECT_FALSE(m.contains("connects_per_s"));  // no connects: not crr
}

}  // namespace
}  // namespace echolab
