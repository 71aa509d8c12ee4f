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
  /// The middle of bucket `index` (its values are within 1/256 of it).
  static double midpoint(size_t index);
};

/// Latency counts in HistogramLayout buckets plus the exact count, sum and
/// (where known) extremes; a plain value. Percentiles are reported as their
/// bucket's highest equivalent value (HdrHistogram's convention: never
/// below the true value, at most 1/128 above it), clamped to the exact
/// extremes. Merging and subtracting are exact (bucket by
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
  /// Value at quantile q in [0, 1]: the highest equivalent value of the
  /// bucket holding the ceil(q * count)-th smallest value, within
  /// [min_ns, max_ns], in ns; nullopt if empty.
  std::optional<double> quantile_ns(double q) const;
  /// Exact mean in ns; nullopt if empty.
  std::optional<double> mean_ns() const;
  /// The largest value: exact where known (recorded here, merged from
  /// histograms that knew theirs, or a window that holds its recorder's
  /// largest value), else the upper end of the highest non-empty bucket;
  /// nullopt if empty.
  std::optional<double> max_ns() const;
  /// The smallest value, as max_ns (else the lowest non-empty bucket's lower end).
  std::optional<double> min_ns() const;
  /// Whether max_ns() is the exact largest value.
  bool max_is_exact() const { return count_ > 0 && exact_max_.has_value(); }

  /// Compact JSON: {"unit": "ns", "sub_bits": 7, "count": N, "sum_ns": S,
  /// "buckets": [index, count, index, count, ...]} (non-empty buckets only),
  /// plus "min_ns" and "max_ns" where they are exact.
  Json to_json() const;
  /// Reads to_json's form; throws std::invalid_argument naming what is wrong.
  static LatencyHistogram from_json(const Json& json);

  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t sum_ns() const { return sum_ns_; }

 private:
  friend class RecordingHistogram;
  /// Forgets an extreme that is not in the lowest / highest non-empty
  /// bucket (a value recorded while a snapshot was copied).
  void keep_consistent_extremes();
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  // Exact extremes: set while every value's is known (an empty histogram's
  // are: there are none).
  std::optional<uint64_t> exact_min_ = UINT64_MAX;
  std::optional<uint64_t> exact_max_ = 0;
};

/// `histogram` as HdrHistogram's percentile distribution text (what its
/// outputPercentileDistribution prints with 5 ticks per half distance, and
/// what HdrHistogram's plotters read): a "Value Percentile TotalCount
/// 1/(1-Percentile)" line per reporting level, values in `unit_ns`
/// nanoseconds (1000: microseconds), then the Mean / Max / Buckets footer.
std::string percentile_distribution(const LatencyHistogram& histogram, double unit_ns = 1000.0);

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
  std::atomic<uint64_t> min_ns_{UINT64_MAX}, max_ns_{0};  // exact extremes so far
};

}  // namespace echolab
