#include "harness/load/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "core/thread_counters.h"

namespace echolab {

namespace {
using L = HistogramLayout;
constexpr uint64_t kLinearLimit = 2 * L::kSubBuckets;  // values below get a bucket each
}  // namespace

size_t HistogramLayout::index_of(uint64_t ns) {
  if (ns < kLinearLimit) return static_cast<size_t>(ns);
  const int exponent = std::bit_width(ns) - 1;  // 2^exponent <= ns
  if (exponent >= kMaxExponent) return kBuckets - 1;
  const int shift = exponent - kSubBits;  // >= 1
  const uint64_t sub = (ns >> shift) - kSubBuckets;
  return static_cast<size_t>(kLinearLimit + static_cast<uint64_t>(shift - 1) * kSubBuckets + sub);
}

uint64_t HistogramLayout::lowest(size_t index) {
  if (index < kLinearLimit) return index;
  const uint64_t above = index - kLinearLimit;
  const int shift = static_cast<int>(above / kSubBuckets) + 1;
  return (kSubBuckets + above % kSubBuckets) << shift;
}

uint64_t HistogramLayout::highest(size_t index) {
  if (index < kLinearLimit) return index;
  const uint64_t above = index - kLinearLimit;
  const int shift = static_cast<int>(above / kSubBuckets) + 1;
  return lowest(index) + (uint64_t{1} << shift) - 1;
}

double HistogramLayout::midpoint(size_t index) {
  return (static_cast<double>(lowest(index)) + static_cast<double>(highest(index))) / 2.0;
}

void LatencyHistogram::record(uint64_t ns, uint64_t times) {
  counts_[HistogramLayout::index_of(ns)] += times;
  count_ += times;
  sum_ns_ += ns * times;
  if (exact_min_) exact_min_ = std::min(*exact_min_, ns);
  if (exact_max_) exact_max_ = std::max(*exact_max_, ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
  // Exact only if both sides were.
  exact_min_ = exact_min_ && other.exact_min_ ? std::optional(std::min(*exact_min_, *other.exact_min_)) : std::nullopt;
  exact_max_ = exact_max_ && other.exact_max_ ? std::optional(std::max(*exact_max_, *other.exact_max_)) : std::nullopt;
}

LatencyHistogram LatencyHistogram::minus(const LatencyHistogram& earlier) const {
  LatencyHistogram out;
  for (size_t i = 0; i < counts_.size(); ++i) {
    // A bucket copied while its request was being recorded may run ahead of
    // the total; never go below zero.
    out.counts_[i] = counts_[i] >= earlier.counts_[i] ? counts_[i] - earlier.counts_[i] : 0;
    out.count_ += out.counts_[i];
  }
  out.sum_ns_ = sum_ns_ >= earlier.sum_ns_ ? sum_ns_ - earlier.sum_ns_ : 0;
  // A recorder's largest value is the window's if it came after the earlier
  // snapshot (it is larger than everything before); else the window's
  // largest is not known exactly. The same for the smallest.
  out.exact_max_ = exact_max_ && earlier.exact_max_ && *exact_max_ > *earlier.exact_max_ ? exact_max_ : std::nullopt;
  out.exact_min_ = exact_min_ && earlier.exact_min_ && *exact_min_ < *earlier.exact_min_ ? exact_min_ : std::nullopt;
  out.keep_consistent_extremes();
  return out;
}

std::optional<double> LatencyHistogram::quantile_ns(double q) const {
  if (count_ == 0) return std::nullopt;
  if (q <= 0) return min_ns();  // as HdrHistogram: the lowest value, not its bucket's top
  // The smallest value with at least ceil(q * count) values at or below it,
  // as HdrHistogram's getValueAtPercentile, reported as its bucket's
  // highest equivalent value.
  const double wanted = q * static_cast<double>(count_);
  uint64_t rank = static_cast<uint64_t>(wanted);
  if (static_cast<double>(rank) < wanted) ++rank;
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const double value = static_cast<double>(HistogramLayout::highest(i));
      return std::clamp(value, *min_ns(), *max_ns());
    }
  }
  return max_ns();
}

void LatencyHistogram::keep_consistent_extremes() {
  if (count_ == 0) {
    exact_min_ = UINT64_MAX;
    exact_max_ = 0;
    return;
  }
  size_t lowest = 0, highest = counts_.size() - 1;
  while (counts_[lowest] == 0) ++lowest;
  while (counts_[highest] == 0) --highest;
  if (exact_min_ && HistogramLayout::index_of(*exact_min_) != lowest) exact_min_ = std::nullopt;
  if (exact_max_ && HistogramLayout::index_of(*exact_max_) != highest) exact_max_ = std::nullopt;
}

std::optional<double> LatencyHistogram::mean_ns() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(sum_ns_) / static_cast<double>(count_);
}

std::optional<double> LatencyHistogram::max_ns() const {
  if (count_ == 0) return std::nullopt;
  if (exact_max_) return static_cast<double>(*exact_max_);
  for (size_t i = counts_.size(); i-- > 0;) {
    if (counts_[i] > 0) return static_cast<double>(HistogramLayout::highest(i));
  }
  return std::nullopt;
}

std::optional<double> LatencyHistogram::min_ns() const {
  if (count_ == 0) return std::nullopt;
  if (exact_min_) return static_cast<double>(*exact_min_);
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] > 0) return static_cast<double>(HistogramLayout::lowest(i));
  }
  return std::nullopt;
}

Json LatencyHistogram::to_json() const {
  Json buckets = Json::array();
  for (size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] == 0) continue;
    buckets.push_back(i);
    buckets.push_back(counts_[i]);
  }
  Json json = {{"unit", "ns"},
               {"sub_bits", HistogramLayout::kSubBits},
               {"count", count_},
               {"sum_ns", sum_ns_},
               {"buckets", buckets}};
  if (count_ > 0 && exact_min_) json["min_ns"] = *exact_min_;
  if (count_ > 0 && exact_max_) json["max_ns"] = *exact_max_;
  return json;
}

LatencyHistogram LatencyHistogram::from_json(const Json& json) {
  auto fail = [](const std::string& why) { throw std::invalid_argument("latency histogram: " + why); };
  if (!json.is_object()) fail("not an object");
  if (json.value("unit", "") != "ns") fail("unit is not \"ns\"");
  if (json.value("sub_bits", -1) != HistogramLayout::kSubBits) {
    fail("sub_bits is not " + std::to_string(HistogramLayout::kSubBits) + " (written by another layout)");
  }
  const Json& buckets = json.value("buckets", Json());
  if (!buckets.is_array() || buckets.size() % 2 != 0) fail("buckets is not an array of index, count pairs");
  LatencyHistogram out;
  for (size_t i = 0; i < buckets.size(); i += 2) {
    for (const Json* field : {&buckets[i], &buckets[i + 1]}) {
      if (!field->is_number_integer() || field->get<int64_t>() < 0) fail("a bucket is not a count: " + field->dump());
    }
    const auto index = buckets[i].get<uint64_t>();
    if (index >= HistogramLayout::kBuckets) fail("bucket index " + std::to_string(index) + " out of range");
    out.counts_[index] += buckets[i + 1].get<uint64_t>();
    out.count_ += buckets[i + 1].get<uint64_t>();
  }
  if (json.value("count", uint64_t{0}) != out.count_) fail("count does not match the buckets");
  out.sum_ns_ = json.value("sum_ns", uint64_t{0});
  // Extremes are exact only where the writer said so, and must fall in the
  // lowest and highest non-empty buckets.
  out.exact_min_ = out.exact_max_ = std::nullopt;
  if (out.count_ == 0) {
    out.exact_min_ = UINT64_MAX;
    out.exact_max_ = 0;
  }
  for (const char* key : {"min_ns", "max_ns"}) {
    if (!json.contains(key)) continue;
    if (!json[key].is_number_integer() || json[key].get<int64_t>() < 0 || out.count_ == 0)
      fail(std::string(key) + " is not a value of the buckets");
    const uint64_t value = json[key].get<uint64_t>();
    const bool is_min = key[1] == 'i';
    const double bucket_edge = is_min ? *out.min_ns() : *out.max_ns();
    const size_t index = HistogramLayout::index_of(value);
    if (is_min ? HistogramLayout::lowest(index) != static_cast<uint64_t>(bucket_edge)
               : HistogramLayout::highest(index) != static_cast<uint64_t>(bucket_edge)) {
      fail(std::string(key) + " " + std::to_string(value) + " is not in the " + (is_min ? "lowest" : "highest") +
           " non-empty bucket");
    }
    (is_min ? out.exact_min_ : out.exact_max_) = value;
  }
  return out;
}

std::string percentile_distribution(const LatencyHistogram& histogram, double unit_ns) {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
  out += line;
  const uint64_t total = histogram.count();
  const auto& counts = histogram.counts();
  // The cumulative count through each bucket, for TotalCount.
  auto count_at_or_below = [&](double value_ns) {
    uint64_t seen = 0;
    const size_t last = HistogramLayout::index_of(static_cast<uint64_t>(value_ns));
    for (size_t i = 0; i <= last && i < counts.size(); ++i) seen += counts[i];
    return seen;
  };
  if (total > 0) {
    // HdrHistogram's percentile iterator: 5 reporting ticks per half of the
    // distance left to 100%, so the tail gets ever finer levels.
    constexpr int kTicksPerHalfDistance = 5;
    for (double level = 0; level < 100.0;) {
      const double value = *histogram.quantile_ns(level / 100.0);
      const uint64_t seen = count_at_or_below(value);
      const double fraction = level / 100.0;
      std::snprintf(line, sizeof line, "%12.3f %2.12f %10llu %14.2f\n", value / unit_ns, fraction,
                    static_cast<unsigned long long>(seen), 1.0 / (1.0 - fraction));
      out += line;
      if (seen >= total) break;
      const double half_distances = std::floor(std::log2(100.0 / (100.0 - level))) + 1;
      level += 100.0 / (kTicksPerHalfDistance * std::pow(2.0, half_distances));
    }
    std::snprintf(line, sizeof line, "%12.3f %2.12f %10llu\n", *histogram.max_ns() / unit_ns, 1.0,
                  static_cast<unsigned long long>(total));
    out += line;
  }
  // The standard deviation from bucket midpoints (the sum of squares is not kept).
  double variance = 0;
  const double mean = histogram.mean_ns().value_or(0);
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const double d = HistogramLayout::midpoint(i) - mean;
    variance += d * d * static_cast<double>(counts[i]);
  }
  const double deviation = total > 0 ? std::sqrt(variance / static_cast<double>(total)) : 0;
  std::snprintf(line, sizeof line, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean / unit_ns,
                deviation / unit_ns);
  out += line;
  std::snprintf(line, sizeof line, "#[Max     = %12.3f, Total count    = %12llu]\n",
                histogram.max_ns().value_or(0) / unit_ns, static_cast<unsigned long long>(total));
  out += line;
  std::snprintf(line, sizeof line, "#[Buckets = %12d, SubBuckets     = %12llu]\n",
                HistogramLayout::kMaxExponent - HistogramLayout::kSubBits,
                static_cast<unsigned long long>(HistogramLayout::kSubBuckets));
  out += line;
  return out;
}

RecordingHistogram::RecordingHistogram() : counts_(HistogramLayout::kBuckets) {}

void RecordingHistogram::record(uint64_t ns) {
  bump(counts_[HistogramLayout::index_of(ns)]);
  bump(sum_ns_, ns);
  // One writer: a relaxed load and store suffice.
  if (ns < min_ns_.load(std::memory_order_relaxed)) min_ns_.store(ns, std::memory_order_relaxed);
  if (ns > max_ns_.load(std::memory_order_relaxed)) max_ns_.store(ns, std::memory_order_relaxed);
}

LatencyHistogram RecordingHistogram::snapshot() const {
  LatencyHistogram out;
  out.sum_ns_ = sum_ns_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < counts_.size(); ++i) {
    out.counts_[i] = counts_[i].load(std::memory_order_relaxed);
    out.count_ += out.counts_[i];
  }
  // Read after the counts: a value recorded during the copy may make the
  // extremes run ahead of the buckets by that one value.
  out.exact_min_ = min_ns_.load(std::memory_order_relaxed);
  out.exact_max_ = max_ns_.load(std::memory_order_relaxed);
  out.keep_consistent_extremes();
  return out;
}

}  // namespace echolab
