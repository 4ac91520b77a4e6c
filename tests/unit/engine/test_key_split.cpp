#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "s3merge/engine/key_map.hpp"
#include "s3merge/engine/key_split.hpp"

using namespace s3merge::engine;

namespace {

std::string counter_key(unsigned i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "obj-%010u", i);
    return buf;
}

key_alphabet alphabet_of(const std::vector<std::string>& keys, std::size_t prefix) {
    key_alphabet a;
    for (const auto& k : keys) a.see(std::string_view(k).substr(std::min(prefix, k.size())));
    return a;
}

std::size_t count_in(const std::vector<std::string>& sorted, const std::string& lo, const std::string& hi) {
    auto first = std::upper_bound(sorted.begin(), sorted.end(), lo, key_less);
    auto last = hi.empty() ? sorted.end() : std::upper_bound(sorted.begin(), sorted.end(), hi, key_less);
    return last > first ? std::size_t(last - first) : 0;
}

}  // namespace

TEST_CASE("split_key: always strictly inside the range, under the prefix, never cutting a common prefix") {
    std::mt19937 rng(7);
    const std::string alphabets[] = {"0123456789abcdef", "ab/", std::string("\x00\x01\xff/z", 5), "xyz",
                                     "-_./09AZaz"};
    int found = 0, tries = 0;
    for (int run = 0; run < 20000; ++run) {
        const std::string& chars = alphabets[rng() % 5];
        auto word = [&](std::size_t max) {
            std::string s;
            std::size_t n = rng() % (max + 1);
            for (std::size_t i = 0; i < n; ++i) s.push_back(chars[rng() % chars.size()]);
            return s;
        };
        std::string prefix = rng() % 2 ? "p/" : "";
        std::string lo = prefix + word(6), hi = rng() % 4 == 0 ? std::string() : prefix + word(6);
        if (!hi.empty() && !key_less(lo, hi)) std::swap(lo, hi);
        if (hi.empty() && lo.empty()) continue;
        if (!hi.empty() && lo == hi) continue;
        key_alphabet a;
        if (rng() % 3)
            a.see(word(10));
        else
            a.see(chars);
        const bool no_delim = rng() % 2;
        ++tries;
        auto m = split_key(prefix, lo, hi, a, no_delim);
        if (!m) continue;
        ++found;
        INFO("lo '", lo, "' hi '", hi, "' m '", *m, "'");
        CHECK(key_less(lo, *m));
        if (!hi.empty()) CHECK(key_less(*m, hi));
        CHECK(m->starts_with(prefix));
        CHECK(m->size() <= 1024);
        if (no_delim) CHECK(m->find('/', prefix.size()) == std::string::npos);
    }
    // Most ranges have room: the function finds a point in them.
    CHECK(found > tries * 8 / 10);
}

TEST_CASE("split_key: nothing between a key and the next possible one") {
    key_alphabet a;
    a.see("abc");
    CHECK(!split_key("", "ab", std::string("ab\0", 3), a, false));
    CHECK(!split_key("", "b", "a", a, false));  // not a range
    CHECK(!split_key("", "b", "b", a, false));
    // With delimiter '/', nothing fits between "x/" and "x/z": every key
    // there is under the common prefix "x/".
    CHECK(!split_key("", "x/", "x/z", a, true));
    CHECK(split_key("", "x/", "x/z", a, false));
}

TEST_CASE("split_key: hex names split near the middle of the keys") {
    std::mt19937 rng(3);
    std::vector<std::string> keys;
    for (int i = 0; i < 20000; ++i) {
        char buf[16];
        std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rng()));
        keys.push_back(std::string("logs/") + buf);
    }
    std::sort(keys.begin(), keys.end(), key_less);
    auto a = alphabet_of(keys, 5);
    // The first page's last key to no end, then a bounded range.
    for (auto [lo, hi] : {std::pair<std::string, std::string>{keys[999], ""}, {keys[2000], keys[12000]}}) {
        auto m = split_key("logs/", lo, hi, a, true);
        REQUIRE(m);
        const double total = double(count_in(keys, lo, hi));
        const double low = double(count_in(keys, lo, *m));
        INFO("lo ", lo, " hi ", hi, " m ", *m);
        CHECK(low / total > 0.4);
        CHECK(low / total < 0.6);
    }
}

TEST_CASE(
    "split_key: repeated splits of a counter's range find its keys within two dozen, every key in one "
    "piece") {
    std::vector<std::string> keys;
    for (unsigned i = 0; i < 1000000; i += 7) keys.push_back(counter_key(i));
    auto a = alphabet_of({keys.front(), keys[1], keys.back()}, 0);
    // The lister at the first page's end gives away the upper half, again
    // and again (what idle listers do): pieces (m1, ∞), (m2, m1], ...
    std::string lo = keys[142], hi;
    std::vector<std::pair<std::string, std::string>> pieces;
    int splits_to_data = -1;
    for (int k = 0; k < 200; ++k) {
        auto m = split_key("", lo, hi, a, true);
        if (!m) break;
        pieces.push_back({*m, hi});
        if (splits_to_data < 0 && count_in(keys, *m, hi) > 0) splits_to_data = k + 1;
        hi = *m;
    }
    pieces.push_back({lo, hi});
    CHECK(splits_to_data > 0);
    CHECK(splits_to_data <= 24);  // 21: log2 of 15^6 (six digits over 14 bytes seen)
    std::size_t total = 0, largest = 0;
    for (const auto& [l, h] : pieces) {
        auto n = count_in(keys, l, h);
        total += n;
        largest = std::max(largest, n);
    }
    CHECK(total == count_in(keys, lo, ""));  // a partition: nothing twice, nothing lost
    CHECK(largest < total * 3 / 4);          // and not one piece holding nearly all
}

TEST_CASE("key_span_log: a range is wider than either half, an open range wider than a bounded one") {
    key_alphabet a;
    a.see("0123456789abcdef");
    const std::string lo = "d/1234", hi = "d/9";
    auto m = split_key("d/", lo, hi, a, false);
    REQUIRE(m);
    const double whole = key_span_log("d/", lo, hi, a);
    CHECK(whole > key_span_log("d/", lo, *m, a));
    CHECK(whole > key_span_log("d/", *m, hi, a));
    CHECK(key_span_log("d/", lo, "", a) > whole);
    CHECK(key_span_log("d/", "d/5", "d/4", a) < -1e300);  // not a range
    // Each half about half: log 2 apart, give or take a digit's rounding.
    CHECK(whole - key_span_log("d/", lo, *m, a) == doctest::Approx(std::log(2.0)).epsilon(0.2));
}

TEST_CASE("estimate_rest: what a range still holds, from how dense its listed part was") {
    // Keys spread evenly over a bounded range: after a page of 1,000 the
    // estimate of the rest is within a factor of three of the truth, for
    // hex names and counters (read in the alphabet's base, decimal digits
    // are not quite even), at any point of the listing.
    std::mt19937 rng(3);
    for (int shape = 0; shape < 2; ++shape) {
        std::set<std::string> set;
        char buf[32];
        while (set.size() < 20000) {
            if (shape == 0)
                std::snprintf(buf, sizeof buf, "p/%08x", static_cast<unsigned>(rng()));
            else
                std::snprintf(buf, sizeof buf, "p/obj-%07u", static_cast<unsigned>(set.size() * 7));
            set.insert(buf);
        }
        const std::vector<std::string> keys(set.begin(), set.end());
        const std::string hi = keys.back();
        for (std::size_t start : {0u, 5000u, 12000u, 17000u}) {
            const std::size_t seen = 1000;
            const std::string& first = keys[start];
            const std::string& lo = keys[start + seen - 1];
            const std::vector<std::string> page(keys.begin() + long(start),
                                                keys.begin() + long(start + seen));
            const double truth = static_cast<double>(count_in(keys, lo, hi));
            const double est = estimate_rest("p/", first, lo, hi, alphabet_of(page, 2), seen);
            INFO("shape ", shape, " start ", start, ": estimate ", est, ", truth ", truth);
            CHECK(est >= truth / 3);
            CHECK(est <= truth * 3);
        }
    }
    key_alphabet a;
    a.see("0123456789");
    // The same density over a range ten times as wide: ten times the keys.
    CHECK(estimate_rest("", "1000", "1999", "", a, 100) > estimate_rest("", "1000", "1999", "2999", a, 100));
    CHECK(estimate_rest("", "1000", "1999", "2999", a, 100) ==
          doctest::Approx(estimate_rest("", "1000", "1999", "1999", a, 100) + 99).epsilon(0.5));
    // Nothing to tell the density from: it may hold any number.
    CHECK(estimate_rest("", "1000", "1000", "2999", a, 1) >= 1e300);
    CHECK(estimate_rest("", "", "", "2999", a, 0) >= 1e300);
    // No room after lo: nothing.
    CHECK(estimate_rest("", "1000", "1999", "1999", a, 100) == 0);
    CHECK(estimate_rest("", "1000", "1999", "1500", a, 100) == 0);
}
