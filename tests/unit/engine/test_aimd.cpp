#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>

#include "s3merge/engine/aimd.hpp"

using namespace s3merge::engine;
using namespace std::chrono_literals;

namespace {
const aimd::time_point t0{};
}

TEST_CASE("aimd: +1 per window of successes") {
    aimd a(aimd_params{.initial = 4, .floor = 1, .ceiling = 8});
    CHECK(a.limit() == 4);
    for (int i = 0; i < 3; ++i) a.on_success();
    CHECK(a.limit() == 4);
    a.on_success();
    CHECK(a.limit() == 5);  // 4 successes at limit 4
    for (int i = 0; i < 5; ++i) a.on_success();
    CHECK(a.limit() == 6);  // 5 more at limit 5
    for (int i = 0; i < 6 + 7; ++i) a.on_success();
    CHECK(a.limit() == 8);
    for (int i = 0; i < 100; ++i) a.on_success();
    CHECK(a.limit() == 8);  // ceiling
}

TEST_CASE("aimd: a burst of throttles in one cooldown window halves once") {
    aimd a(aimd_params{.initial = 64, .floor = 2, .ceiling = 256, .decrease = 0.5, .cooldown = 1000ms});
    CHECK(a.on_throttle(t0 + 10s));
    CHECK(a.limit() == 32);
    CHECK_FALSE(a.on_throttle(t0 + 10s + 1ms));
    CHECK_FALSE(a.on_throttle(t0 + 10s + 999ms));
    CHECK(a.limit() == 32);
    CHECK(a.on_throttle(t0 + 11s));  // next window
    CHECK(a.limit() == 16);
    CHECK(a.on_throttle(t0 + 12s));
    CHECK(a.on_throttle(t0 + 13s));
    CHECK(a.on_throttle(t0 + 14s));
    CHECK(a.limit() == 2);                 // 16 → 8 → 4 → 2
    CHECK_FALSE(a.on_throttle(t0 + 15s));  // at the floor: nothing to lower
    CHECK(a.limit() == 2);                 // floor
    // Growth restarts from the reduced window: 2 successes → 3.
    a.on_success();
    CHECK(a.limit() == 2);
    a.on_success();
    CHECK(a.limit() == 3);
}

TEST_CASE("aimd: throttle resets partial progress; odd limits round down") {
    aimd a(aimd_params{.initial = 7, .floor = 1, .ceiling = 100});
    for (int i = 0; i < 6; ++i) a.on_success();  // one short of +1
    CHECK(a.on_throttle(t0));
    CHECK(a.limit() == 3);  // floor(7 * 0.5)
    a.on_success();
    a.on_success();
    CHECK(a.limit() == 3);  // the 6 earlier successes were forgotten
    a.on_success();
    CHECK(a.limit() == 4);
}

TEST_CASE("aimd: parameters are sanitised") {
    aimd a(aimd_params{.initial = 0, .floor = 0, .ceiling = -5, .decrease = 2.0});
    CHECK(a.params().floor == 1);
    CHECK(a.params().ceiling == 1);
    CHECK(a.limit() == 1);
    CHECK(a.params().decrease == 0.5);
    aimd b(aimd_params{.initial = 5000, .floor = 1, .ceiling = 100});
    CHECK(b.limit() == 100);
    aimd c;  // defaults
    CHECK(c.limit() == 32);
    CHECK(c.on_throttle(t0));
    CHECK(c.limit() == 16);
}

TEST_CASE("aimd: sawtooth under a steady throttle every 2 s") {
    // Real values: 50 successes per 100 ms at limit L, throttled every 2 s.
    aimd a(aimd_params{.initial = 10, .floor = 1, .ceiling = 1000});
    int lowest = 1000, highest = 0;
    for (int ms = 0; ms <= 20000; ms += 100) {
        for (int i = 0; i < 50; ++i) a.on_success();
        if (ms % 2000 == 0 && ms > 0) a.on_throttle(t0 + std::chrono::milliseconds(ms));
        if (ms > 10000) lowest = std::min(lowest, a.limit()), highest = std::max(highest, a.limit());
    }
    // dL/dt = 500/L, so L^2 grows by ~1000 per second; halving every 2 s
    // settles where Lmax^2 - (Lmax/2)^2 = 2000: Lmax ~ 52, Lmin ~ 26.
    CHECK(lowest >= 24);
    CHECK(lowest <= 28);
    CHECK(highest >= 48);
    CHECK(highest <= 56);
    CHECK(highest > lowest);
}

TEST_CASE("aimd: only throttles of copies lower the copy limit") {
    // Copies and their parts: the destination's partitions said slow down.
    for (const char* op : {"CopyObject", "UploadPartCopy", "CreateMultipartUpload", "CompleteMultipartUpload",
                           "HeadObject", "PutObject", ""})
        CHECK(throttle_paces_copies(op));
    // Deletes of sources and listings: another bucket or another budget.
    for (const char* op : {"DeleteObjects", "DeleteObject", "ListObjectsV2", "ListObjectVersions"})
        CHECK_FALSE(throttle_paces_copies(op));
}

TEST_CASE("aimd: a window's decrease is scaled by the spread of its throttles") {
    // One leaf of eight throttled: 1 - 0.5/8 of the window's base.
    aimd a(aimd_params{.initial = 800, .floor = 1, .ceiling = 1000, .decrease = 0.5, .cooldown = 1000ms});
    CHECK(a.on_throttle(t0, 1.0 / 8));
    CHECK(a.limit() == 750);
    CHECK(a.in_window(t0 + 999ms));
    CHECK_FALSE(a.in_window(t0 + 1000ms));
    // The same spread again in the window: nothing more.
    CHECK_FALSE(a.on_throttle(t0 + 10ms, 1.0 / 8));
    CHECK(a.limit() == 750);
    // More of the key space throttled in the same window: measured from the
    // window's base (800), not compounded on 750.
    CHECK(a.on_throttle(t0 + 20ms, 4.0 / 8));
    CHECK(a.limit() == 600);
    // Throttled everywhere: the base halved, and never lower in this window.
    CHECK(a.on_throttle(t0 + 30ms, 1.0));
    CHECK(a.limit() == 400);
    CHECK_FALSE(a.on_throttle(t0 + 40ms, 1.0));
    CHECK_FALSE(a.on_throttle(t0 + 50ms, 7.0));  // clamped to 1
    CHECK(a.limit() == 400);
    // A new window starts from the limit now.
    CHECK(a.on_throttle(t0 + 1030ms, 0.25));
    CHECK(a.limit() == 350);
    // No spread, no decrease (and a NaN is no spread).
    aimd b(aimd_params{.initial = 100, .floor = 1, .ceiling = 100});
    CHECK_FALSE(b.on_throttle(t0, 0.0));
    CHECK_FALSE(b.on_throttle(t0, std::nan("")));
    CHECK(b.limit() == 100);
}

TEST_CASE("aimd: random throttles and successes keep every window's bounds") {
    // Property: the limit stays in [floor, ceiling]; inside one window a
    // throttle never takes it below max(floor, floor(base * decrease)), nor
    // below what its spread allows; a throttle never raises it; spread 1
    // at the first throttle of a window is the classic halving.
    std::mt19937 rng(20261205);
    for (int run = 0; run < 200; ++run) {
        std::uniform_int_distribution<int> lim(1, 2000);
        const int floor_ = lim(rng) % 50 + 1;
        const int ceiling = std::max(floor_, lim(rng));
        const double decrease = std::uniform_real_distribution<double>(0.1, 0.9)(rng);
        aimd a(aimd_params{.initial = ceiling,
                           .floor = floor_,
                           .ceiling = ceiling,
                           .decrease = decrease,
                           .cooldown = 1000ms});
        auto now = t0;
        std::optional<aimd::time_point> window;
        int base = a.limit();
        for (int step = 0; step < 400; ++step) {
            now += std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng));
            if (rng() % 3) {
                const int n = static_cast<int>(rng() % 200);
                for (int i = 0; i < n; ++i) a.on_success();
                REQUIRE(a.limit() <= ceiling);
                continue;
            }
            const double spread = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
            const int before = a.limit();
            if (!window || now - *window >= 1000ms) {
                window = now;
                base = before;
            }
            const bool lowered = a.on_throttle(now, spread);
            REQUIRE(a.limit() <= before);
            CHECK(lowered == (a.limit() < before));
            REQUIRE(a.limit() >= floor_);
            REQUIRE(a.limit() >= std::min(before, std::max(floor_, static_cast<int>(base * decrease))));
            const int allowed = std::max(floor_, static_cast<int>(base * (1.0 - (1.0 - decrease) * spread)));
            REQUIRE(a.limit() == std::min(before, allowed));
        }
    }
    // Spread 1 is the classic AIMD: the first throttle of a window halves.
    aimd c(aimd_params{.initial = 64, .floor = 1, .ceiling = 64});
    CHECK(c.on_throttle(t0, 1.0));
    CHECK(c.limit() == 32);
}
