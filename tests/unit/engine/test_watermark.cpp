#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>  // doctest prints std::error_code with operator<<
#include <random>
#include <set>

#include "s3merge/engine/key_map.hpp"
#include "s3merge/engine/watermark.hpp"
#include "s3merge/error.hpp"

using namespace s3merge;
using namespace s3merge::engine;

namespace {

// Brute force: the greatest listed key whose predecessors (and itself) are
// all done; the initial watermark when there is none.
std::string model(const std::vector<std::string>& listed, const std::set<std::string>& done,
                  const std::string& initial) {
    std::string wm = initial;
    for (const auto& k : listed) {
        if (!done.count(k)) break;
        wm = k;
    }
    return wm;
}

}  // namespace

TEST_CASE("watermark advances only over a done prefix of the listing") {
    watermark_tracker t;
    CHECK(t.watermark().empty());
    for (auto k : {"a", "b", "c", "d"}) REQUIRE_FALSE(t.listed(k));
    CHECK(t.window() == 4);
    REQUIRE_FALSE(t.done("c"));
    CHECK(t.watermark().empty());  // "a" is still in flight
    REQUIRE_FALSE(t.done("a"));
    CHECK(t.watermark() == "a");
    REQUIRE_FALSE(t.done("b"));
    CHECK(t.watermark() == "c");  // b and the earlier c
    CHECK(t.window() == 1);
    CHECK_FALSE(t.idle());
    REQUIRE_FALSE(t.done("d"));
    CHECK(t.watermark() == "d");
    CHECK(t.idle());
    CHECK(t.window() == 0);
}

TEST_CASE("watermark: resume start, bytes order and misuse") {
    watermark_tracker t("m");
    CHECK(t.watermark() == "m");
    CHECK(t.listed("a") == errc::invalid_argument);  // not after the resume point
    CHECK(t.listed("m") == errc::invalid_argument);
    REQUIRE_FALSE(t.listed("z"));
    REQUIRE_FALSE(t.listed("\xC3\xA9"));  // "é" > "z" in bytes
    CHECK(t.listed("y") == errc::invalid_argument);
    CHECK(t.listed("") == errc::invalid_argument);
    CHECK(t.done("q") == errc::invalid_argument);  // never listed
    REQUIRE_FALSE(t.done("\xC3\xA9"));
    CHECK(t.done("\xC3\xA9") == errc::invalid_argument);  // twice
    CHECK(t.watermark() == "m");
    REQUIRE_FALSE(t.done("z"));
    CHECK(t.watermark() == "\xC3\xA9");
    CHECK(t.done("z") == errc::invalid_argument);  // already behind the watermark
}

TEST_CASE("watermark: random completion orders, with and without places, against a brute-force model") {
    std::mt19937 rng(99);
    for (int round = 0; round < 300; ++round) {
        std::set<std::string, bool (*)(std::string_view, std::string_view)> keyset(key_less);
        int n = 1 + static_cast<int>(rng() % 40);
        while (static_cast<int>(keyset.size()) < n) {
            std::string k;
            const char* tokens[] = {"a", "b", "/", "\xC3\xA9", "z"};
            for (int l = 1 + static_cast<int>(rng() % 3); l > 0; --l) k += tokens[rng() % 5];
            keyset.insert(k);
        }
        std::vector<std::string> keys(keyset.begin(), keyset.end());
        std::string initial = round % 3 == 0 ? std::string("!") : std::string();  // '!' < every key byte used
        watermark_tracker t(initial);
        std::vector<std::string> listed, in_flight;
        std::vector<std::uint64_t> seqs;  // of in_flight
        std::set<std::string> done;
        std::size_t next = 0, max_window = 0;
        while (done.size() < keys.size()) {
            // Either list the next key or finish a random in-flight one.
            bool list = next < keys.size() && (in_flight.empty() || rng() % 2 == 0);
            if (list) {
                std::uint64_t seq = watermark_tracker::no_seq;
                REQUIRE_FALSE(t.listed(keys[next], &seq));
                REQUIRE(seq == next);  // places count the listed keys from 0
                listed.push_back(keys[next]);
                in_flight.push_back(keys[next]);
                seqs.push_back(seq);
                ++next;
            } else {
                std::size_t i = rng() % in_flight.size();
                // Its own place, none, or a place that names another key
                // (in the window, behind it, beyond it): the same outcome.
                std::uint64_t seq = seqs[i];
                switch (rng() % 4) {
                    case 0:
                        break;
                    case 1:
                        seq = watermark_tracker::no_seq;
                        break;
                    case 2:
                        seq = seqs[rng() % seqs.size()];
                        break;
                    default:
                        seq = rng() % (keys.size() + 4);
                        break;
                }
                REQUIRE_FALSE(t.done(in_flight[i], seq));
                // Done twice, by its own place or another's: refused.
                CHECK(t.done(in_flight[i], seqs[i]) == errc::invalid_argument);
                CHECK(t.done(in_flight[i], seq) == errc::invalid_argument);
                done.insert(in_flight[i]);
                in_flight.erase(in_flight.begin() + static_cast<long>(i));
                seqs.erase(seqs.begin() + static_cast<long>(i));
            }
            REQUIRE(t.watermark() == model(listed, done, initial));
            // The window holds exactly the keys from the oldest unfinished one on.
            std::size_t expect_window = 0;
            std::string wm = t.watermark();
            for (const auto& k : listed)
                if (wm.empty() || key_less(wm, k)) ++expect_window;
            REQUIRE(t.window() == expect_window);
            max_window = std::max(max_window, t.window());
        }
        CHECK(t.idle());
        CHECK(t.watermark() == keys.back());
    }
}
