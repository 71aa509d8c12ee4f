// A case's "expect" against a trial's metrics.
#include "harness/sweep/expectations.h"

#include <gtest/gtest.h>

namespace echolab {
namespace {

TEST(Expectations, EqualityAndRangesAreCheckedAndMissingMetricsAreUnmet) {
  const Json metrics = {{"server_threads_active", 1}, {"throughput_mb_s", 900.5}};
  EXPECT_TRUE(unmet_expectations({{"server_threads_active", 1}}, metrics).empty());
  EXPECT_EQ(unmet_expectations({{"server_threads_active", 2}}, metrics),
            std::vector<std::string>{"server_threads_active: expected 2, got 1"});
  EXPECT_TRUE(unmet_expectations({{"throughput_mb_s", {{"min", 800}, {"max", 1000}}}}, metrics).empty());
  EXPECT_EQ(unmet_expectations({{"throughput_mb_s", {{"min", 1000}}}}, metrics),
            std::vector<std::string>{"throughput_mb_s: expected >= 1000, got 900.5"});
  EXPECT_EQ(unmet_expectations({{"steal_s", {{"max", 0.1}}}}, metrics),
            std::vector<std::string>{"steal_s: expected <= 0.1, got nothing"});
}

}  // namespace
}  // namespace echolab
