#include <doctest/doctest.h>

#include "s3merge/http_message.hpp"
#include "s3merge/redact.hpp"

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

TEST_CASE("redact_canonical_request hides the session token, keeps the rest") {
    std::string cr = "GET\n/b/k\n\nhost:h\nx-amz-date:20150830T123600Z\n"
                     "x-amz-security-token:SECRETTOKENVALUE\n\nhost;x-amz-date;x-amz-security-token\nUNSIGNED-PAYLOAD";
    auto out = redact_canonical_request(cr);
    CHECK(out.find("SECRETTOKENVALUE") == std::string::npos);
    CHECK(out.find("x-amz-security-token:<redacted>\n") != std::string::npos);
    CHECK(out.find("host;x-amz-date;x-amz-security-token\nUNSIGNED-PAYLOAD") != std::string::npos);
    CHECK(out.size() == cr.size() - std::string("SECRETTOKENVALUE").size() + std::string("<redacted>").size());

    std::string presigned = "GET\n/k\nX-Amz-Date=1&X-Amz-Security-Token=TOK%2Fxyz&X-Amz-SignedHeaders=host\nhost:h\n";
    auto p = redact_canonical_request(presigned);
    CHECK(p == "GET\n/k\nX-Amz-Date=1&X-Amz-Security-Token=<redacted>&X-Amz-SignedHeaders=host\nhost:h\n");
    CHECK(redact_canonical_request("no token here") == "no token here");
}
