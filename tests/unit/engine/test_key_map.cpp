#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>  // doctest prints std::error_code with operator<<
#include <vector>

#include "s3merge/engine/key_map.hpp"

using namespace s3merge;
using namespace s3merge::engine;

TEST_CASE("keys compare as unsigned bytes") {
    CHECK(key_less("z", "é"));  // 0x7a < 0xc3
    CHECK(key_less("a", "ab"));
    CHECK(key_less("a/", "a0"));  // '/' 0x2f < '0' 0x30
    CHECK(key_less(std::string("a\x00", 2), "a\x01"));
    CHECK(key_less("\x7f", "\x80"));
    CHECK(compare_keys("", "") == 0);
    CHECK(compare_keys("x", "x") == 0);
    CHECK(compare_keys("b", "a") > 0);
    std::vector<std::string> keys{"é", "z", "Z", "a/b", "a", "日", "😀", "a b"};
    std::sort(keys.begin(), keys.end(), key_less);
    CHECK(keys == std::vector<std::string>{"Z", "a", "a b", "a/b", "z", "é", "日", "😀"});
}

TEST_CASE("check_overlap rejects a range copied into itself") {
    struct row {
        const char *sb, *sp, *db, *dp;
        bool overlap;
    };
    const row rows[] = {
        {"b", "", "b", "", true},       // whole bucket onto itself
        {"b", "logs/", "b", "", true},  // dest covers the source
        {"b", "", "b", "copy/", true},  // source covers the dest
        {"b", "logs/", "b", "logs/2024/", true},
        {"b", "logs", "b", "logs2/", true},  // string prefixes, not path components
        {"b", "c", "b", "cx/", true},        // "copy/" would overlap "c" too: another example
        {"b", "logs/", "b", "logs/", true},
        {"b", "logs/", "b", "copy/", false},
        {"b", "logs/a", "b", "logs/b", false},
        {"a", "", "b", "", false},
        {"a", "x/", "b", "x/", false},
    };
    for (const auto& r : rows) {
        diagnostics diag;
        std::error_code ec = check_overlap(r.sb, r.sp, r.db, r.dp, diag);
        CAPTURE(r.sp);
        CAPTURE(r.dp);
        if (r.overlap) {
            CHECK(ec == errc::invalid_argument);
            CHECK(diag.detail.find(std::string("s3://") + r.sb + "/" + r.sp) != std::string::npos);
            CHECK(diag.detail.find(std::string("s3://") + r.db + "/" + r.dp) != std::string::npos);
            if (std::string_view(r.sp).empty()) {
                CHECK(diag.detail.find("choose another bucket") != std::string::npos);
            } else {
                CHECK(diag.detail.find("Choose a destination prefix") != std::string::npos);
                // The example offered is itself allowed.
                auto at = diag.detail.find("(e.g. s3://");
                REQUIRE(at != std::string::npos);
                auto slash = diag.detail.find('/', at + 11);
                auto end = diag.detail.find(')', at);
                std::string example = diag.detail.substr(slash + 1, end - slash - 1);
                diagnostics again;
                CHECK_FALSE(check_overlap(r.sb, r.sp, r.db, example, again));
            }
        } else {
            CHECK_FALSE(ec);
            CHECK(diag.detail.empty());
        }
    }
    diagnostics diag;
    CHECK(check_overlap(location{"b", "x/"}, location{"b", "x/y/"}, diag) == errc::invalid_argument);
    CHECK(location{"b", "x/"}.uri() == "s3://b/x/");
}

TEST_CASE("check_source_key") {
    diagnostics diag;
    CHECK_FALSE(check_source_key("b", "logs/a", "logs/", diag));
    CHECK_FALSE(check_source_key("b", "anything", "", diag));
    CHECK(check_source_key("b", "other/a", "logs/", diag) == errc::malformed_response);
    CHECK(diag.key == "other/a");
    CHECK(diag.bucket == "b");
}

TEST_CASE("key_map maps both ways and preserves order") {
    key_map m("logs/", "archive/2024/");
    CHECK(m.to_dest("logs/a/b.gz") == "archive/2024/a/b.gz");
    CHECK(m.to_dest("logs/") == "archive/2024/");
    std::string back;
    REQUIRE(m.to_source("archive/2024/a/b.gz", back));
    CHECK(back == "logs/a/b.gz");
    CHECK_FALSE(m.to_source("archive/2023/x", back));
    // Taking the key: mapped as above, or moved when both prefixes are equal.
    REQUIRE(m.move_to_source(std::string("archive/2024/a/b.gz"), back));
    CHECK(back == "logs/a/b.gz");
    CHECK_FALSE(m.move_to_source(std::string("archive/2023/x"), back));
    key_map same("p/", "p/");
    REQUIRE(same.move_to_source(std::string("p/k/1"), back));
    CHECK(back == "p/k/1");
    CHECK_FALSE(same.move_to_source(std::string("q/k"), back));
    REQUIRE(key_map().move_to_source(std::string("any"), back));
    CHECK(back == "any");
    CHECK(key_map("", "p/").to_dest("k") == "p/k");
    CHECK(key_map("p/", "").to_dest("p/k") == "k");
    CHECK(key_map("p/", "q/").to_dest("elsewhere") == "q/elsewhere");  // broken precondition: no throw

    std::vector<std::string> src{"logs/a", "logs/a/b", "logs/b", "logs/z", "logs/é"};
    for (std::size_t i = 1; i < src.size(); ++i) {
        CHECK(key_less(src[i - 1], src[i]));
        CHECK(key_less(m.to_dest(src[i - 1]), m.to_dest(src[i])));
    }
}
