#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "harness/config/config_keys.h"

namespace echolab {

/// Bucket layout shared by LatencyHistogram and RecordingHistogram, in the
/// manner of HdrHistogram: values below 2 * kSubBuckets nanoseconds get one
/// bucket each; above, every power of two is cut into kSubBuckets equal
/// buckets, so a bucket is at most 1/kSubBuckets (0.78%) of its value wide
/// and its midpoint is within 0.4% of any value in it. Covers 0 to 2^40 ns
/// (18 minutes); larger values land in the last bucket.
struct HistogramLayout {
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSubBuckets = uint64_t{1} << kSubBits;  // 128
  static constexpr int kMaxExponent = 40;
  static constexpr size_t kBuckets = 2 * kSubBuckets + (kMaxExponent - kSubBits - 1) * kSubBuckets;

  static size_t index_of(uint64_t ns);
  /// Smallest and largest value that map to bucket `index`.
  static uint64_t lowest(size_t index);
  static uint64_t highest(size_t index);
  /// The value reported for a bucket: its midpoint.
  static double midpoint(size_t index);
};

/// Latency counts in HistogramLayout buckets plus the exact count, sum and
/// extremes; a plain value. Merging and subtracting are exact (bucket by
/// bucket), so percentiles over several threads or repetitions come from
/// the merged counts, never from averaged percentiles.
class LatencyHistogram {
 public:
  LatencyHistogram() : counts_(HistogramLayout::kBuckets, 0) {}

  void record(uint64_t ns, uint64_t times = 1);
  void merge(const LatencyHistogram& other);
  /// This minus an earlier snapshot of the same recorder (a window's counts).
  LatencyHistogram minus(const LatencyHistogram& earlier) const;

  uint64_t count() const { return count_; }
  /// Value at quantile q in [0, 1] (bucket midpoint), in ns; nullopt if empty.
  std::optional<double> quantile_ns(double q) const;
  /// Exact mean in ns; nullopt if empty.
  std::optional<double> mean_ns() const;
  /// Upper end of the highest non-empty bucket, in ns; nullopt if empty.
  std::optional<double> max_ns() const;

  /// Compact JSON: {"unit": "ns", "sub_bits": 7, "count": N, "sum_ns": S,
  /// "buckets": [index, count, index, count, ...]} (non-empty buckets only).
  Json to_json() const;
  /// Reads to_json's form; throws std::invalid_argument naming what is wrong.
  static LatencyHistogram from_json(const Json& json);

  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t sum_ns() const { return sum_ns_; }

 private:
  friend class RecordingHistogram;
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
};

/// The histogram a client thread records into while a sampler copies it:
/// one writer (the owning client thread) stores relaxed, any thread may
/// snapshot. A snapshot is not atomic across buckets; a request recorded
/// during the copy may be in the next snapshot instead.
class RecordingHistogram {
 public:
  RecordingHistogram();
  /// Owning thread only.
  void record(uint64_t ns);
  /// Any thread.
  LatencyHistogram snapshot() const;

 private:
  std::vector<std::atomic<uint64_t>> counts_;
  std::atomic<uint64_t> sum_ns_{0};
};

}  // namespace echolab
