// The latency histogram against exact values and an exact percentile.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "s3merge/engine/histogram.hpp"

using namespace s3merge::engine;

TEST_CASE("histogram: buckets cover every value once, within 1/32 of it") {
    using h = latency_histogram;
    CHECK(h::bucket_of(0) == 0);
    CHECK(h::bucket_of(31) == 31);
    CHECK(h::bucket_of(32) == 32);
    CHECK(h::bucket_of(63) == 63);
    CHECK(h::bucket_of(64) == 64);
    CHECK(h::bucket_of(65) == 64);  // width 2 from 64
    CHECK(h::lowest_in(64) == 64);
    CHECK(h::highest_in(64) == 65);
    // Contiguous, no gaps or overlaps, up to the last bucket.
    for (std::size_t b = 1; b < h::bucket_count; ++b) {
        CAPTURE(b);
        REQUIRE(h::lowest_in(b) == h::highest_in(b - 1) + 1);
        REQUIRE(h::bucket_of(h::lowest_in(b)) == b);
        REQUIRE(h::bucket_of(h::highest_in(b)) == b);
        const double width = double(h::highest_in(b) - h::lowest_in(b) + 1);
        REQUIRE(width <= std::max(1.0, double(h::lowest_in(b)) / 32.0));
    }
    CHECK(h::highest_in(h::bucket_count - 1) == (std::uint64_t(1) << 42) - 1);
    CHECK(h::bucket_of(std::uint64_t(1) << 50) == h::bucket_count - 1);  // beyond: the last bucket
}

TEST_CASE("histogram: exact below 32, min, max, count; empty is zero") {
    latency_histogram h;
    CHECK(h.count() == 0);
    CHECK(h.percentile(50) == 0);
    CHECK(h.min() == 0);
    for (std::uint64_t v : {5u, 1u, 9u, 9u, 30u}) h.record(v);
    CHECK(h.count() == 5);
    CHECK(h.min() == 1);
    CHECK(h.max() == 30);
    CHECK(h.percentile(20) == 1);
    CHECK(h.percentile(40) == 5);
    CHECK(h.percentile(50) == 9);
    CHECK(h.percentile(80) == 9);
    CHECK(h.percentile(100) == 30);
    h.record(1000000);                    // a second
    CHECK(h.percentile(100) == 1000000);  // never above max, exact at the top
}

TEST_CASE(
    "histogram: percentiles within 1/32 of the exact ones, on random latencies; merging equals recording "
    "both") {
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> latency(std::log(20000.0), 1.2);  // ~20 ms median, long tail
    latency_histogram a, b, both;
    std::vector<std::uint64_t> all;
    for (int i = 0; i < 200000; ++i) {
        const auto v = static_cast<std::uint64_t>(latency(rng));
        all.push_back(v);
        (i % 3 ? a : b).record(v);
        both.record(v);
    }
    std::sort(all.begin(), all.end());
    latency_histogram merged = a;
    merged.merge(b);
    for (double p : {50.0, 90.0, 99.0, 99.9, 100.0}) {
        CAPTURE(p);
        const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * double(all.size())));
        const double exact = double(all[rank - 1]);
        const double got = double(both.percentile(p));
        CHECK(got >= exact);
        CHECK(got <= exact * (1.0 + 1.0 / 32.0) + 1.0);
        CHECK(merged.percentile(p) == both.percentile(p));
    }
    CHECK(merged.count() == both.count());
    CHECK(merged.max() == all.back());
    CHECK(merged.min() == all.front());
    for (std::size_t i = 0; i < latency_histogram::bucket_count; ++i)
        REQUIRE(merged.in_bucket(i) == both.in_bucket(i));
}
