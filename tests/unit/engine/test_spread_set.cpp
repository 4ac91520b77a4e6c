#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "s3merge/engine/spread_set.hpp"

using s3merge::engine::spread_set;

namespace {

std::string day_key(int region, int day) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "AWSLogs/1/CloudTrail/r%02d/%04d/", region, day);
    return buf;
}

// The largest distance, over every run of takes from the start, between a
// stratum's share and its fair share (k / strata).
double worst_imbalance(const std::vector<std::string>& sorted, const std::vector<std::string>& order,
                       std::size_t strata, std::size_t takes) {
    std::vector<double> count(strata, 0);
    double worst = 0;
    for (std::size_t k = 0; k < takes && k < order.size(); ++k) {
        const auto pos =
            std::size_t(std::lower_bound(sorted.begin(), sorted.end(), order[k]) - sorted.begin());
        count[pos * strata / sorted.size()] += 1;
        const double fair = double(k + 1) / double(strata);
        for (double c : count) worst = std::max(worst, std::abs(c - fair));
    }
    return worst;
}

}  // namespace

TEST_CASE("spread set: a set — each key taken once, erase and insert as a std::set") {
    std::mt19937 rng(7);
    spread_set s;
    std::set<std::string> model;
    for (int op = 0; op < 20000; ++op) {
        const int what = int(rng() % 10);
        const std::string k = "k" + std::to_string(rng() % 3000);
        if (what < 5) {
            CHECK(s.insert(k) == model.insert(k).second);
        } else if (what < 7) {
            CHECK(s.erase(k) == (model.erase(k) > 0));
        } else {
            auto t = s.take();
            REQUIRE(t.has_value() == !model.empty());
            if (t) CHECK(model.erase(*t) == 1);
        }
        REQUIRE(s.size() == model.size());
    }
    while (auto t = s.take()) CHECK(model.erase(*t) == 1);
    CHECK(model.empty());
    CHECK(s.empty());
    CHECK_FALSE(s.take().has_value());
}

TEST_CASE("spread set: every run of takes falls evenly over the key space") {
    // 16 regions x 434 days (2,000,000 CloudTrail objects at 288 a day).
    std::vector<std::string> sorted;
    spread_set s;
    for (int r = 0; r < 16; ++r)
        for (int d = 0; d < 434; ++d) {
            sorted.push_back(day_key(r, d));
            s.insert(sorted.back());
        }
    std::sort(sorted.begin(), sorted.end());
    std::vector<std::string> order;
    while (auto t = s.take()) order.push_back(*t);
    REQUIRE(order.size() == sorted.size());
    // Over the first half of the work, at every moment each of 16 strata
    // (a region each) and each of 128 strata (~54 days) is within a few
    // keys of its share. Smallest-first order is off by thousands; a random
    // order by tens.
    const double by16 = worst_imbalance(sorted, order, 16, sorted.size() / 2);
    const double by128 = worst_imbalance(sorted, order, 128, sorted.size() / 2);
    MESSAGE("imbalance: 16 strata " << by16 << ", 128 strata " << by128);
    CHECK(by16 <= 4);
    CHECK(by128 <= 4);
    CHECK(worst_imbalance(sorted, sorted, 16, sorted.size() / 2) > 400);
    std::vector<std::string> shuffled = sorted;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937(1));
    CHECK(worst_imbalance(sorted, shuffled, 16, sorted.size() / 2) > by16 * 2);
}

TEST_CASE("spread set: keys arriving in key order while others are taken still spread") {
    // Discovery adds leaves region by region while copies take them: each
    // take comes from the whole present set, not from the newest region.
    spread_set s;
    std::vector<std::string> taken;
    for (int r = 0; r < 16; ++r) {
        for (int d = 0; d < 100; ++d) s.insert(day_key(r, d));
        for (int i = 0; i < 20; ++i) taken.push_back(*s.take());
    }
    // The last 20 takes, with 16 regions present, cover at least 12 regions.
    std::set<std::string> regions;
    for (std::size_t i = taken.size() - 20; i < taken.size(); ++i) regions.insert(taken[i].substr(21, 3));
    CHECK(regions.size() >= 12);
    // And none is taken twice; all the rest come out.
    std::set<std::string> all(taken.begin(), taken.end());
    CHECK(all.size() == taken.size());
    while (auto t = s.take()) CHECK(all.insert(*t).second);
    CHECK(all.size() == 1600);
}
