// The S3 request-rate model against the documented figures.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <cstdio>

#include "s3_model.hpp"

using namespace s3bench;

namespace {

// `rate` requests a second for `seconds`, evenly spaced, keys spread over
// `spread` distinct prefixes; returns the admitted count.
std::uint64_t drive(rate_model& m, double rate, double seconds, int spread, request_kind kind,
                    double t0 = 0) {
    std::uint64_t ok = 0;
    const auto n = static_cast<std::uint64_t>(rate * seconds);
    for (std::uint64_t i = 0; i < n; ++i) {
        char key[64];
        std::snprintf(key, sizeof key, "p%04d/obj-%llu", int(i % spread), (unsigned long long)i);
        ok += m.admit(key, kind, t0 + double(i) / rate) ? 1 : 0;
    }
    return ok;
}

}  // namespace

TEST_CASE("one partition: 3,500 writes and 5,500 reads a second, SlowDown beyond") {
    model_params p;
    p.split_after_s = 1e9;  // no split
    rate_model w(p);
    auto ok = drive(w, 7000, 10, 100, request_kind::write);
    CHECK(double(ok) == doctest::Approx(3500 * 10 + 3500).epsilon(0.01));  // the rate, plus a second's burst
    CHECK(w.throttled() == 70000 - ok);
    rate_model r(p);
    ok = drive(r, 7000, 10, 100, request_kind::read);
    CHECK(double(ok) == doctest::Approx(5500 * 10 + 5500).epsilon(0.01));
    rate_model under(p);
    CHECK(drive(under, 3000, 10, 100, request_kind::write) == 30000);  // under the rate: nothing throttled
}

TEST_CASE("sustained load splits the key range at its median, doubling capacity") {
    model_params p;
    p.split_after_s = 5;
    rate_model m(p);
    drive(m, 5000, 4.5, 1000, request_kind::write);
    CHECK(m.partitions() == 1);  // hot for less than split_after_s
    drive(m, 5000, 2.0, 1000, request_kind::write, 4.5);
    REQUIRE(m.partitions() == 2);
    auto b = m.boundaries();
    CHECK(b[0].empty());
    CHECK(b[1] > "p0300");  // near the middle of p0000..p0999
    CHECK(b[1] < "p0700");
    // Two partitions admit twice the rate.
    rate_model fresh(p);
    drive(fresh, 8000, 30, 1000, request_kind::write);
    CHECK(fresh.partitions() >= 4);
    const auto before = fresh.admitted();
    drive(fresh, 8000, 2, 1000, request_kind::write, 30);
    CHECK(double(fresh.admitted() - before) == doctest::Approx(16000).epsilon(0.02));  // no longer throttled
}

TEST_CASE("a load that is not sustained, or one hot key, does not split usefully") {
    model_params p;
    p.split_after_s = 5;
    rate_model calm(p);
    drive(calm, 1000, 30, 1000, request_kind::write);  // under half the capacity
    CHECK(calm.partitions() == 1);
    rate_model one_key(p);
    for (int i = 0; i < 70000; ++i) one_key.admit("the-same-key", request_kind::write, double(i) / 7000);
    CHECK(one_key.partitions() == 1);
    CHECK(one_key.throttled() > 30000);
}

TEST_CASE("optimum: capacity doubling every split interval, bounded by the client") {
    model_params p;
    p.split_after_s = 1e9;
    CHECK(optimum_seconds(35000, p, 1e9) == doctest::Approx(10.0).epsilon(0.001));
    CHECK(optimum_seconds(35000, p, 1000) ==
          doctest::Approx(35.0).epsilon(0.001));  // the client is the limit
    p.split_after_s = 10;
    // 10 s at 3,500/s, then 7,000/s: 35,000 + 70,000 in 20 s.
    CHECK(optimum_seconds(105000, p, 1e9) == doctest::Approx(20.0).epsilon(0.002));
    // Then 14,000/s: 245,000 by 30 s.
    CHECK(optimum_seconds(245000, p, 1e9) == doctest::Approx(30.0).epsilon(0.002));
    // A client of 5,000/s: one split, then the client.
    CHECK(optimum_seconds(35000 + 50000, p, 5000) == doctest::Approx(20.0).epsilon(0.002));
}
