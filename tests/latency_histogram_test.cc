#include "harness/load/latency_histogram.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace echolab {
namespace {

using L = HistogramLayout;

TEST(HistogramLayout, BucketsTileTheRangeWithoutGapsOrOverlaps) {
  for (size_t i = 0; i + 1 < L::kBuckets; ++i) {
    ASSERT_EQ(L::highest(i) + 1, L::lowest(i + 1)) << "bucket " << i;
    ASSERT_LE(L::lowest(i), L::highest(i));
  }
  EXPECT_EQ(L::lowest(0), 0u);
}

TEST(HistogramLayout, EveryValueFrom100nsTo100sIsWithinTheStatedResolutionOfItsBucketMidpoint) {
  // Log-spaced values over the whole range the issue asks for, plus the
  // edges of every power of two, where a layout bug would show first.
  std::vector<uint64_t> values;
  for (double v = 100; v <= 100e9; v *= 1.0007) values.push_back(static_cast<uint64_t>(v));
  for (int e = 7; e < 37; ++e) {
    for (int64_t d : {-1, 0, 1}) values.push_back(static_cast<uint64_t>((int64_t{1} << e) + d));
  }
  double worst = 0;
  for (uint64_t v : values) {
    const size_t index = L::index_of(v);
    ASSERT_LE(L::lowest(index), v) << v;
    ASSERT_GE(L::highest(index), v) << v;
    worst = std::max(worst, std::abs(L::midpoint(index) - static_cast<double>(v)) / static_cast<double>(v));
  }
  // The stated resolution, no coarser and no finer: 128 buckets per power
  // of two put a midpoint within 1/256 of any value in its bucket; a
  // layout at half the resolution (64) would reach 1/128.
  EXPECT_LE(worst, 1.0 / 256);
  EXPECT_GT(worst, 1.0 / 512);
}

TEST(HistogramLayout, AHighestEquivalentValueIsAtMostOneBucketWidthAboveAnyValueInIt) {
  // Percentiles report the bucket's highest equivalent value: never below
  // the value, at most 1/128 above it at this resolution; a layout at half
  // the resolution (64 buckets per power of two) would reach 1/64.
  double worst = 0;
  for (double v = 300; v <= 100e9; v *= 1.0013) {
    const auto value = static_cast<uint64_t>(v);
    const uint64_t highest = L::highest(L::index_of(value));
    ASSERT_GE(highest, value);
    worst = std::max(worst, static_cast<double>(highest - value) / static_cast<double>(value));
  }
  EXPECT_LE(worst, 1.0 / 128);
  EXPECT_GT(worst, 1.0 / 256);
}

TEST(LatencyHistogram, QuantilesOfAKnownDistributionAreTheirValuesHighestEquivalent) {
  LatencyHistogram histogram;
  for (uint64_t v = 1; v <= 100000; ++v) histogram.record(v * 1000);  // 1 us .. 100 ms, uniform
  for (double q : {0.5, 0.9, 0.99, 0.999, 0.9999}) {
    const double exact = std::ceil(q * 100000) * 1000;
    const double reported = *histogram.quantile_ns(q);
    EXPECT_GE(reported, exact) << q;  // never below the true percentile
    EXPECT_LE(reported, exact * (1 + 1.0 / 128)) << q;
    EXPECT_EQ(reported, std::min(static_cast<double>(L::highest(L::index_of(static_cast<uint64_t>(exact)))), 100e6))
        << q;
  }
  EXPECT_NEAR(*histogram.mean_ns(), 50000.5 * 1000, 1e-6);  // the mean is exact
  EXPECT_EQ(*histogram.max_ns(), 100e6);                    // so are the extremes
  EXPECT_EQ(*histogram.min_ns(), 1000);
  EXPECT_EQ(histogram.count(), 100000u);
}

TEST(LatencyHistogram, TheLargestPercentileIsTheExactMaximumNeverBelowIt) {
  LatencyHistogram histogram;
  for (uint64_t v : {1000u, 2000u, 123457u}) histogram.record(v);
  EXPECT_EQ(*histogram.max_ns(), 123457);
  EXPECT_EQ(*histogram.quantile_ns(1.0), 123457);  // the bucket's upper end, clamped to the exact max
  EXPECT_EQ(*histogram.quantile_ns(0.0), 1000);
}

TEST(LatencyHistogram, AWindowKnowsItsExtremesExactlyWhenItHoldsTheRecordersExtremes) {
  RecordingHistogram recorder;
  recorder.record(5000);
  const LatencyHistogram before = recorder.snapshot();
  recorder.record(100);
  recorder.record(7001);
  const LatencyHistogram window = recorder.snapshot().minus(before);
  EXPECT_TRUE(window.max_is_exact());
  EXPECT_EQ(*window.max_ns(), 7001);  // larger than all before the window
  EXPECT_EQ(*window.min_ns(), 100);   // smaller than all before
  const LatencyHistogram second_before = recorder.snapshot();
  recorder.record(6001);
  const LatencyHistogram second = recorder.snapshot().minus(second_before);
  EXPECT_FALSE(second.max_is_exact());  // 7001, the recorder's max, came before this window
  EXPECT_EQ(*second.max_ns(), static_cast<double>(L::highest(L::index_of(6001))));
}

TEST(LatencyHistogram, QuantilesOfFewValuesAreTheValueAtTheirRank) {
  // Values below 256 ns have a bucket each, so the rank alone decides: the
  // smallest value with at least ceil(q * N) values at or below it.
  LatencyHistogram histogram;
  for (uint64_t v = 10; v <= 100; v += 10) histogram.record(v);  // 10 values
  const std::vector<std::pair<double, double>> expected = {{0.0, 10},  {0.1, 10}, {0.11, 20},  {0.5, 50},
                                                           {0.51, 60}, {0.9, 90}, {0.95, 100}, {1.0, 100}};
  for (const auto& [q, value] : expected) EXPECT_EQ(*histogram.quantile_ns(q), value) << q;
}

TEST(LatencyHistogram, EmptyHasNoQuantiles) {
  LatencyHistogram empty;
  EXPECT_FALSE(empty.quantile_ns(0.5));
  EXPECT_FALSE(empty.mean_ns());
  EXPECT_FALSE(empty.max_ns());
}

TEST(LatencyHistogram, MergingPartsEqualsRecordingTheWhole) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> latency(10, 2);
  LatencyHistogram whole, a, b;
  for (int i = 0; i < 20000; ++i) {
    const auto v = static_cast<uint64_t>(latency(random));
    whole.record(v);
    (i % 3 ? a : b).record(v);
  }
  LatencyHistogram merged = a;
  merged.merge(b);
  EXPECT_EQ(merged.counts(), whole.counts());
  EXPECT_EQ(merged.sum_ns(), whole.sum_ns());
  EXPECT_EQ(*merged.quantile_ns(0.999), *whole.quantile_ns(0.999));
  LatencyHistogram back = merged.minus(b);
  EXPECT_EQ(back.counts(), a.counts());
  EXPECT_EQ(back.count(), a.count());
}

TEST(LatencyHistogram, JsonRoundTripIsExactAndCompact) {
  LatencyHistogram histogram;
  for (uint64_t v : {50u, 900u, 900u, 123456u, 99999999u}) histogram.record(v);
  const Json json = histogram.to_json();
  EXPECT_EQ(json["buckets"].size(), 2u * 4);  // non-empty buckets only
  LatencyHistogram back = LatencyHistogram::from_json(json);
  EXPECT_EQ(back.counts(), histogram.counts());
  EXPECT_EQ(back.sum_ns(), histogram.sum_ns());
  EXPECT_EQ(json["max_ns"], 99999999u);  // the exact extremes travel too
  EXPECT_EQ(*back.max_ns(), 99999999);
  EXPECT_EQ(*back.min_ns(), 50);
}

TEST(LatencyHistogram, MalformedJsonIsRejectedWithTheReason) {
  Json good = LatencyHistogram().to_json();
  Json wrong_layout = good;
  wrong_layout["sub_bits"] = 5;
  Json odd = good;
  odd["buckets"] = {1, 2, 3};
  Json out_of_range = good;
  out_of_range["buckets"] = {L::kBuckets, 1};
  out_of_range["count"] = 1;
  Json wrong_count = good;
  wrong_count["buckets"] = {3, 2};
  Json max_outside = good;
  max_outside["buckets"] = {3, 2};
  max_outside["count"] = 2;
  max_outside["max_ns"] = 900;
  for (const auto& [json, why] : std::vector<std::pair<Json, std::string>>{{wrong_layout, "sub_bits"},
                                                                           {odd, "pairs"},
                                                                           {out_of_range, "out of range"},
                                                                           {wrong_count, "count"},
                                                                           {max_outside, "highest non-empty bucket"},
                                                                           {Json(3), "not an object"}}) {
    try {
      LatencyHistogram::from_json(json);
      ADD_FAILURE() << "accepted " << json.dump();
    } catch (const std::invalid_argument& error) {
      EXPECT_NE(std::string(error.what()).find(why), std::string::npos) << error.what() << " for " << json.dump();
    }
  }
}

TEST(RecordingHistogram, SnapshotsSeeWhatTheOwnerRecorded) {
  RecordingHistogram recorder;
  recorder.record(1000);
  const LatencyHistogram first = recorder.snapshot();
  recorder.record(2000);
  recorder.record(3000);
  const LatencyHistogram window = recorder.snapshot().minus(first);
  EXPECT_EQ(window.count(), 2u);
  EXPECT_EQ(window.sum_ns(), 5000u);
}

}  // namespace
}  // namespace echolab
