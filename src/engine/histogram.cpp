// Log-bucketed latency histogram (pure).
#include "s3merge/engine/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace s3merge::engine {

std::size_t latency_histogram::bucket_of(std::uint64_t v) {
    if (v < sub_buckets) return static_cast<std::size_t>(v);
    int m = std::bit_width(v) - 1;  // v in [2^m, 2^(m+1))
    if (m > max_magnitude) return bucket_count - 1;
    const int shift = m - sub_bits;
    return static_cast<std::size_t>(std::uint64_t(shift + 1) * sub_buckets + ((v >> shift) - sub_buckets));
}

std::uint64_t latency_histogram::lowest_in(std::size_t b) {
    if (b < sub_buckets) return b;
    const std::uint64_t q = b / sub_buckets, r = b % sub_buckets;
    return (sub_buckets + r) << (q - 1);
}

std::uint64_t latency_histogram::highest_in(std::size_t b) {
    if (b < sub_buckets) return b;
    const std::uint64_t q = b / sub_buckets;
    return lowest_in(b) + (std::uint64_t(1) << (q - 1)) - 1;
}

void latency_histogram::record(std::uint64_t micros) {
    ++counts_[bucket_of(micros)];
    ++count_;
    sum_ += micros;
    min_ = std::min(min_, micros);
    max_ = std::max(max_, micros);
}

void latency_histogram::merge(const latency_histogram& o) {
    for (std::size_t i = 0; i < bucket_count; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    sum_ += o.sum_;
    min_ = std::min(min_, o.min_);
    max_ = std::max(max_, o.max_);
}

std::uint64_t latency_histogram::percentile(double p) const {
    if (count_ == 0) return 0;
    p = std::clamp(p, 0.0, 100.0);
    const auto rank =
        std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(p / 100.0 * double(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < bucket_count; ++i) {
        seen += counts_[i];
        if (seen >= rank) return std::min(highest_in(i), max_);
    }
    return max_;
}

}  // namespace s3merge::engine
