// Latency histogram for telemetry: fixed size, log-bucketed in the manner
// of HdrHistogram (32 linear sub-buckets per power of two: a value is kept
// to within 1/32 of itself, below 32 exactly), from 0 to 2^42 µs (~50 days),
// no allocation when recording, mergeable (shards, runs). Pure.
#pragma once

#include <array>
#include <cstdint>

namespace s3merge::engine {

class latency_histogram {
public:
    static constexpr int sub_bits = 5;
    static constexpr std::uint64_t sub_buckets = 1u << sub_bits;  // 32
    static constexpr int max_magnitude = 41;                      // values below 2^42
    static constexpr std::size_t bucket_count = (max_magnitude - sub_bits + 2) * sub_buckets;

    // A value in microseconds; larger ones are kept in the last bucket.
    void record(std::uint64_t micros);
    void merge(const latency_histogram& other);

    std::uint64_t count() const { return count_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    std::uint64_t max() const { return max_; }
    // Sum of the recorded values (µs), for means and Prometheus' _sum.
    std::uint64_t sum() const { return sum_; }
    // The value at percentile p (0 < p <= 100): the highest value of the
    // bucket holding the ceil(p/100 * count)-th smallest sample (never above
    // max()); 0 when empty.
    std::uint64_t percentile(double p) const;

    // Where a value goes, and the values a bucket holds (for tests and
    // encoders).
    static std::size_t bucket_of(std::uint64_t micros);
    static std::uint64_t lowest_in(std::size_t bucket);
    static std::uint64_t highest_in(std::size_t bucket);
    std::uint64_t in_bucket(std::size_t bucket) const { return counts_[bucket]; }

private:
    std::array<std::uint64_t, bucket_count> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t min_ = ~std::uint64_t(0);
    std::uint64_t max_ = 0;
    std::uint64_t sum_ = 0;
};

}  // namespace s3merge::engine
