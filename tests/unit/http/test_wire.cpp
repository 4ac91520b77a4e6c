#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<

#include "s3merge/http/wire.hpp"

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
