#include "harness/load/latency_histogram.h"

#include <bit>
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
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ns_ += other.sum_ns_;
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
  return out;
}

std::optional<double> LatencyHistogram::quantile_ns(double q) const {
  if (count_ == 0) return std::nullopt;
  // The smallest value with at least ceil(q * count) values at or below it
  // (q = 0: the minimum), as HdrHistogram's getValueAtPercentile.
  const double wanted = q * static_cast<double>(count_);
  uint64_t rank = static_cast<uint64_t>(wanted);
  if (static_cast<double>(rank) < wanted) ++rank;
  if (rank == 0) rank = 1;
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return HistogramLayout::midpoint(i);
  }
  return max_ns();
}

std::optional<double> LatencyHistogram::mean_ns() const {
  if (count_ == 0) return std::nullopt;
  return static_cast<double>(sum_ns_) / static_cast<double>(count_);
}

std::optional<double> LatencyHistogram::max_ns() const {
  for (size_t i = counts_.size(); i-- > 0;) {
    if (counts_[i] > 0) return static_cast<double>(HistogramLayout::highest(i));
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
  return {{"unit", "ns"},
          {"sub_bits", HistogramLayout::kSubBits},
          {"count", count_},
          {"sum_ns", sum_ns_},
          {"buckets", buckets}};
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
  return out;
}

RecordingHistogram::RecordingHistogram() : counts_(HistogramLayout::kBuckets) {}

void RecordingHistogram::record(uint64_t ns) {
  bump(counts_[HistogramLayout::index_of(ns)]);
  bump(sum_ns_, ns);
}

LatencyHistogram RecordingHistogram::snapshot() const {
  LatencyHistogram out;
  out.sum_ns_ = sum_ns_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < counts_.size(); ++i) {
    out.counts_[i] = counts_[i].load(std::memory_order_relaxed);
    out.count_ += out.counts_[i];
  }
  return out;
}

}  // namespace echolab
