#include <doctest/doctest.h>

#include "s3merge/http_message.hpp"

using namespace s3merge;

TEST_CASE("iequals compares ASCII case-insensitively") {
    CHECK(iequals("Content-Type", "content-type"));
    CHECK_FALSE(iequals("Content-Type", "content-typ"));
    CHECK_FALSE(iequals("x-amz-a", "x-amz-b"));
    CHECK(iequals("", ""));
}

TEST_CASE("set_header replaces case-insensitively, find_header finds") {
    http_request r;
    r.set_header("X-Amz-Date", "1");
    r.set_header("x-amz-date", "2");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].name == "X-Amz-Date");
    CHECK(r.headers[0].value == "2");
    REQUIRE(r.find_header("X-AMZ-DATE") != nullptr);
    CHECK(*r.find_header("X-AMZ-DATE") == "2");
    CHECK(r.find_header("host") == nullptr);
    http_response resp;
    resp.headers.push_back({"ETag", "\"abc\""});
    REQUIRE(resp.find_header("etag"));
    CHECK(*resp.find_header("etag") == "\"abc\"");
}
