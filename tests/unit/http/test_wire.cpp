#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<

#include "s3merge/http/wire.hpp"

#include <random>
#include <string>

using namespace s3merge;

TEST_CASE("serialize_request: request line, headers in order, Host, User-Agent, Content-Length, body") {
    http_request req;
    req.method = "PUT";
    req.host = "127.0.0.1:7480";
    req.path = "/bkt/a key/ü";
    req.query = {{"uploadId", "x y"}, {"partNumber", "2"}};
    req.headers = {{"X-Amz-Date", "20240101T000000Z"}, {"Authorization", "AWS4-HMAC-SHA256 Credential=..."}};
    req.body = "hello";
    std::string out = "old content is replaced";
    diagnostics d;
    REQUIRE_FALSE(http::serialize_request(req, "s3merge/0.1", out, d));
    CHECK(out ==
          "PUT /bkt/a%20key/%C3%BC?partNumber=2&uploadId=x%20y HTTP/1.1\r\n"
          "X-Amz-Date: 20240101T000000Z\r\n"
          "Authorization: AWS4-HMAC-SHA256 Credential=...\r\n"
          "Host: 127.0.0.1:7480\r\n"
          "User-Agent: s3merge/0.1\r\n"
          "Content-Length: 5\r\n"
          "\r\n"
          "hello");
}

TEST_CASE("serialize_request: a GET without body has no Content-Length; a given Host is kept") {
    http_request req;
    req.host = "ignored";
    req.path = "/";
    req.headers = {{"host", "bucket.s3.amazonaws.com"}};
    std::string out;
    diagnostics d;
    REQUIRE_FALSE(http::serialize_request(req, "ua", out, d));
    CHECK(out == "GET / HTTP/1.1\r\nhost: bucket.s3.amazonaws.com\r\nUser-Agent: ua\r\n\r\n");
    req.method = "POST";
    REQUIRE_FALSE(http::serialize_request(req, "", out, d));
    CHECK(out == "POST / HTTP/1.1\r\nhost: bucket.s3.amazonaws.com\r\nContent-Length: 0\r\n\r\n");
}

TEST_CASE("serialize_request refuses what would split the request") {
    http_request req;
    req.host = "h";
    std::string out;
    diagnostics d;
    req.headers = {{"x-amz-meta-a", "value\r\nInjected: yes"}};
    CHECK(http::serialize_request(req, "ua", out, d) == errc::invalid_argument);
    CHECK(d.detail.find("x-amz-meta-a") != std::string::npos);
    req.headers = {{"bad name", "v"}};
    CHECK(http::serialize_request(req, "ua", out, d) == errc::invalid_argument);
    req.headers = {};
    req.method = "GET /x";
    CHECK(http::serialize_request(req, "ua", out, d) == errc::invalid_argument);
    req.method = "GET";
    req.host = "h\nx";
    CHECK(http::serialize_request(req, "ua", out, d) == errc::invalid_argument);
}

TEST_CASE("serialize_request finds CR, LF and NUL at every position of a value, and nothing else") {
    // The check reads eight bytes at a time: each forbidden byte at each
    // offset of values from 1 to 40 bytes (whole words, tails, both), and
    // bytes next to them in value (0x0c, 0x0e, 0x09, 0x0b, 0x01, 0xff, 0x80)
    // that must pass.
    http_request req;
    req.host = "h";
    std::string out;
    for (std::size_t len = 1; len <= 40; ++len) {
        for (std::size_t at = 0; at < len; ++at) {
            for (char bad : {'\r', '\n', '\0'}) {
                std::string v(len, 'a');
                v[at] = bad;
                req.headers = {{"x-amz-meta-v", v}};
                diagnostics d;
                CHECK(http::serialize_request(req, "ua", out, d) == errc::invalid_argument);
            }
            for (char fine : {'\x0c', '\x0e', '\x09', '\x0b', '\x01', '\xff', '\x80', '\x8d', '\x8a'}) {
                std::string v(len, 'b');
                v[at] = fine;
                req.headers = {{"x-amz-meta-v", v}};
                diagnostics d;
                CHECK_FALSE(http::serialize_request(req, "ua", out, d));
                CHECK(out.find(v) != std::string::npos);
            }
        }
    }
    // The host and the User-Agent go through the same check.
    diagnostics d;
    req.headers = {};
    CHECK(http::serialize_request(req, std::string("ua/1\0x", 6), out, d) == errc::invalid_argument);
    req.host = "abcdefgh\rjk";
    CHECK(http::serialize_request(req, "ua", out, d) == errc::invalid_argument);
}

TEST_CASE("name_less: the order of std::string_view, eight bytes at a time") {
    // Names around the 8-byte steps, sharing prefixes of every length, and
    // bytes above 0x7f (compared unsigned, as std::string_view does).
    std::mt19937_64 rng(20261206);
    const std::string alphabet = std::string("x-amz-copysurtagh") + '\x7f' + '\x80' + '\xff' + '\x01';
    auto random_name = [&] {
        std::string s;
        const std::size_t n = rng() % 26;
        for (std::size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
        return s;
    };
    std::size_t less = 0, checked = 0;
    for (int i = 0; i < 200000; ++i) {
        std::string a = random_name(), b = random_name();
        if (rng() % 3 == 0) b = a.substr(0, rng() % (a.size() + 1)) + b;  // a shared prefix
        if (rng() % 7 == 0) b = a;
        CHECK(http::name_less(a, b) == (std::string_view(a) < std::string_view(b)));
        CHECK(http::name_less(b, a) == (std::string_view(b) < std::string_view(a)));
        less += std::string_view(a) < std::string_view(b);
        ++checked;
    }
    // Both answers came up often.
    CHECK(less > checked / 4);
    CHECK(less < checked * 3 / 4);
    CHECK(http::name_less("x-amz-copy-source", "x-amz-copy-source-if-match"));
    CHECK(!http::name_less("x-amz-date", "x-amz-content-sha256"));
    CHECK(http::name_less("x-amz-content-sha256", "x-amz-copy-source"));
    CHECK(!http::name_less("host", "host"));
}
