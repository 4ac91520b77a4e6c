// Canonicalisation edge cases: uri::canonical_path, canonical_query,
// request_target, canonical_header_value, amz_date, payload_hash,
// signed_headers and canonical_request. Expected values are written out by
// hand from RFC 3986 and the S3 signing rules (each byte outside
// A-Z a-z 0-9 - . _ ~ becomes %XX with upper-case hex; UTF-8 is encoded byte
// by byte; '/' is kept in paths and encoded in query strings).
#include <doctest/doctest.h>
#include <cstdio>
#include <random>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <chrono>
#include <string>

#include "s3merge/sigv4.hpp"
#include "sigv4_test_support.hpp"

using namespace s3merge;
using namespace s3merge::sigv4;
using s3merge::sigv4::test::utc;

namespace {
http_request with_query(std::vector<query_param> q, std::string path = "/") {
    http_request req;
    req.path = std::move(path);
    req.query = std::move(q);
    return req;
}
}  // namespace

TEST_CASE("uri::canonical_path: S3 rules, each byte encoded once, '/' kept, no normalisation") {
    CHECK(uri::canonical_path("") == "/");
    CHECK(uri::canonical_path("/") == "/");
    CHECK(uri::canonical_path("/bucket/key with space") == "/bucket/key%20with%20space");
    CHECK(uri::canonical_path("/bucket/\u65e5\u672c\u8a9e/\u30ed\u30b0.json.gz") ==
          "/bucket/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%AD%E3%82%B0.json.gz");
    CHECK(uri::canonical_path("/b/a+b") == "/b/a%2Bb");
    CHECK(uri::canonical_path("/b/100%") == "/b/100%25");
    // A key that literally contains "%2F" is not a slash: encoded once more.
    CHECK(uri::canonical_path("/b/a%2Fb") == "/b/a%252Fb");
    CHECK(uri::canonical_path("/b/k=v&x?y#z") == "/b/k%3Dv%26x%3Fy%23z");
    CHECK(uri::canonical_path("/b/~user-1.2_3") == "/b/~user-1.2_3");
    CHECK(uri::canonical_path("/b/a:b@c!$'()*,;") == "/b/a%3Ab%40c%21%24%27%28%29%2A%2C%3B");
    CHECK(uri::canonical_path(std::string("/b/\x01\x7f\xff", 6)) == "/b/%01%7F%FF");
    // "//", a trailing '/', "." and ".." are part of the S3 key and kept.
    CHECK(uri::canonical_path("//") == "//");
    CHECK(uri::canonical_path("/b//k") == "/b//k");
    CHECK(uri::canonical_path("/b/dir/") == "/b/dir/");
    CHECK(uri::canonical_path("//example//") == "//example//");
    CHECK(uri::canonical_path("/example/..") == "/example/..");
    CHECK(uri::canonical_path("/./example") == "/./example");
    CHECK(uri::canonical_path("/example1/example2/../..") == "/example1/example2/../..");
    // A path without its leading '/' still yields an absolute canonical URI.
    CHECK(uri::canonical_path("key") == "/key");
}

TEST_CASE("canonical_query: encoding") {
    CHECK(uri::canonical_query(with_query({})) == "");
    CHECK(uri::canonical_query(with_query({{"prefix", "a b/c+d%2F"}})) == "prefix=a%20b%2Fc%2Bd%252F");
    CHECK(uri::canonical_query(with_query({{"prefix", "\u65e5\u672c\u8a9e/"}})) ==
          "prefix=%E6%97%A5%E6%9C%AC%E8%AA%9E%2F");
    CHECK(uri::canonical_query(with_query({{"k", "a=b&c"}})) == "k=a%3Db%26c");
    CHECK(uri::canonical_query(with_query({{"q?#", "v~"}})) == "q%3F%23=v~");
    // A parameter without a value renders "name=" (S3 sub-resources).
    CHECK(uri::canonical_query(with_query({{"uploads", ""}})) == "uploads=");
    CHECK(uri::canonical_query(with_query({{"acl", ""}, {"versionId", "v1"}})) == "acl=&versionId=v1");
}

TEST_CASE("canonical_query: ordering by encoded name, then encoded value") {
    // Repeated names are ordered by value, byte-wise ("10" < "2").
    CHECK(uri::canonical_query(with_query({{"a", "2"}, {"a", "10"}, {"a", "1"}})) == "a=1&a=10&a=2");
    // Upper case sorts before lower case.
    CHECK(uri::canonical_query(with_query({{"b", "1"}, {"B", "2"}, {"a", "3"}})) == "B=2&a=3&b=1");
    // Sorted after encoding: '%' (0x25) < '-' < 'B' < '_'.
    CHECK(uri::canonical_query(with_query({{"a_b", "4"}, {"aB", "3"}, {"a-b", "2"}, {"a b", "1"}})) ==
          "a%20b=1&a-b=2&aB=3&a_b=4");
    // Raw order would put "~a" (0x7E) before "é" (0xC3); encoded, "%C3%A9" comes first.
    CHECK(uri::canonical_query(with_query({{"~a", "1"}, {"\u00e9", "2"}})) == "%C3%A9=2&~a=1");
    // Values are compared encoded too: " " -> "%20" sorts before "+" -> "%2B".
    CHECK(uri::canonical_query(with_query({{"k", "+"}, {"k", " "}})) == "k=%20&k=%2B");
    // An empty value sorts before any other value of the same name.
    CHECK(uri::canonical_query(with_query({{"k", "x"}, {"k", ""}})) == "k=&k=x");
}

TEST_CASE("request_target: canonical path and query, ready for the request line") {
    CHECK(uri::request_target(with_query({}, "/b/k")) == "/b/k");
    CHECK(uri::request_target(with_query({}, "")) == "/");
    CHECK(uri::request_target(
              with_query({{"versionId", "abc+/="}, {"acl", ""}}, "/b/\u65e5\u672c\u8a9e key")) ==
          "/b/%E6%97%A5%E6%9C%AC%E8%AA%9E%20key?acl=&versionId=abc%2B%2F%3D");
    CHECK(uri::request_target(with_query({{"uploadId", "x"}}, "/b/a%2Fb")) == "/b/a%252Fb?uploadId=x");
    CHECK(uri::request_target(with_query({{"delete", ""}}, "/b/")) == "/b/?delete=");
    CHECK(uri::request_target(with_query({{"list-type", "2"}, {"prefix", "a b"}}, "//")) ==
          "//?list-type=2&prefix=a%20b");
}

TEST_CASE("canonical_header_value: trim, collapse runs of spaces, keep everything else") {
    CHECK(canonical_header_value("value") == "value");
    CHECK(canonical_header_value("  a   b  ") == "a b");
    CHECK(canonical_header_value("\"a   b   c\"") == "\"a b c\"");
    CHECK(canonical_header_value("\t a \t") == "a");
    CHECK(canonical_header_value("") == "");
    CHECK(canonical_header_value("    ") == "");
    // Characters other than leading/trailing whitespace and runs of spaces
    // are kept as they are.
    CHECK(canonical_header_value("a\tb") == "a\tb");
    CHECK(canonical_header_value("a  \t  b") == "a \t b");
    CHECK(canonical_header_value("value1\n  value2") == "value1\n value2");
    CHECK(canonical_header_value("\u65e5\u672c  \u8a9e") == "\u65e5\u672c \u8a9e");
    CHECK(canonical_header_value("Fri, 24 May 2013 00:00:00 GMT") == "Fri, 24 May 2013 00:00:00 GMT");
}

TEST_CASE("signer::amz_date: UTC, ISO 8601 basic format, whole seconds") {
    CHECK(signer::amz_date(utc(2015, 8, 30, 12, 36, 0)) == "20150830T123600Z");
    CHECK(signer::amz_date(utc(2013, 5, 24)) == "20130524T000000Z");
    CHECK(signer::amz_date(utc(2024, 2, 29, 23, 59, 59)) == "20240229T235959Z");
    CHECK(signer::amz_date(utc(2024, 2, 29, 23, 59, 59) + std::chrono::milliseconds(999)) ==
          "20240229T235959Z");
    CHECK(signer::amz_date(std::chrono::system_clock::time_point{}) == "19700101T000000Z");
    CHECK(signer::amz_date(utc(2100, 12, 31, 23, 59, 59)) == "21001231T235959Z");
}

TEST_CASE("signer::payload_hash") {
    http_request req;
    CHECK(signer::payload_hash(req) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    req.body = "Welcome to Amazon S3.";
    CHECK(signer::payload_hash(req) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    req.unsigned_payload = true;
    CHECK(signer::payload_hash(req) == "UNSIGNED-PAYLOAD");
}

TEST_CASE("signer::signed_headers and canonical_request: names lower-cased, sorted, merged") {
    http_request req;
    req.method = "PUT";
    req.path = "/b/k";
    req.headers = {{"X-Amz-Meta-B", " two "},
                   {"Host", "b.s3.amazonaws.com"},
                   {"x-amz-meta-a", "1"},
                   {"X-AMZ-META-B", "three  and   four"},
                   {"Content-Type", "text/plain"}};
    CHECK(signer::signed_headers(req) == "content-type;host;x-amz-meta-a;x-amz-meta-b");
    CHECK(signer::canonical_request(req, signer::signed_headers(req), "UNSIGNED-PAYLOAD") ==
          "PUT\n/b/k\n\n"
          "content-type:text/plain\n"
          "host:b.s3.amazonaws.com\n"
          "x-amz-meta-a:1\n"
          "x-amz-meta-b:two,three and four\n\n"
          "content-type;host;x-amz-meta-a;x-amz-meta-b\n"
          "UNSIGNED-PAYLOAD");
    // Only the listed headers are canonicalised (as for a presigned URL).
    CHECK(signer::canonical_request(req, "host", "UNSIGNED-PAYLOAD") ==
          "PUT\n/b/k\n\nhost:b.s3.amazonaws.com\n\nhost\nUNSIGNED-PAYLOAD");
    // The query and path go through the same canonicalisation as above.
    req.query = {{"partNumber", "2"}, {"uploadId", "a+b"}};
    CHECK(signer::canonical_request(req, "host", "UNSIGNED-PAYLOAD") ==
          "PUT\n/b/k\npartNumber=2&uploadId=a%2Bb\nhost:b.s3.amazonaws.com\n\nhost\n"
          "UNSIGNED-PAYLOAD");
}

TEST_CASE("canonical_request: repeated headers keep request order among many headers") {
    // Enough headers that an unstable sort would reorder equal names.
    http_request req;
    req.path = "/";
    std::string expected_dup;
    for (int i = 0; i < 40; ++i) {
        req.headers.push_back({i % 2 ? "X-Dup" : "x-dup", "v" + std::to_string(39 - i)});
        req.headers.push_back({"x-other-" + std::to_string(i % 5), "o"});
        expected_dup += (i ? "," : "") + ("v" + std::to_string(39 - i));
    }
    req.headers.push_back({"Host", "h"});
    CHECK(signer::signed_headers(req) == "host;x-dup;x-other-0;x-other-1;x-other-2;x-other-3;x-other-4");
    const auto creq = signer::canonical_request(req, signer::signed_headers(req), "UNSIGNED-PAYLOAD");
    CHECK(creq == "GET\n/\n\nhost:h\nx-dup:" + expected_dup +
                      "\nx-other-0:o,o,o,o,o,o,o,o\nx-other-1:o,o,o,o,o,o,o,o\nx-other-2:o,o,o,o,o,o,o,o\n"
                      "x-other-3:o,o,o,o,o,o,o,o\nx-other-4:o,o,o,o,o,o,o,o\n\n"
                      "host;x-dup;x-other-0;x-other-1;x-other-2;x-other-3;x-other-4\nUNSIGNED-PAYLOAD");
}

TEST_CASE(
    "uri::append_encoded and uri::append_canonical_path: append what uri::encode and uri::canonical_path "
    "return") {
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    for (std::string_view s : {std::string_view(""), std::string_view("plain-._~AZaz09"),
                               std::string_view("a/b c+%2F"), std::string_view(all)}) {
        for (bool slash : {true, false}) {
            std::string out = "prefix";
            uri::append_encoded(out, s, slash);
            CHECK(out == "prefix" + uri::encode(s, slash));
        }
        std::string out = "x";
        uri::append_canonical_path(out, s);
        CHECK(out == "x" + uri::canonical_path(s));
    }
    // Every byte outside the unreserved set is escaped, with upper-case hex.
    std::string encoded = uri::encode(all);
    CHECK(encoded.size() == 66 + 3 * (256 - 66));
    CHECK(encoded.find("%2F") != std::string::npos);
    CHECK(encoded.find("%FF") != std::string::npos);
    CHECK(uri::encode(all, false).find("%2F") == std::string::npos);
}

TEST_CASE("uri::kept_prefix and append_encoded against a byte-at-a-time encoder, across 16-byte blocks") {
    auto unreserved = [](unsigned char c, bool slash) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
               c == '.' || c == '_' || c == '~' || (c == '/' && !slash);
    };
    auto reference = [&](std::string_view s, bool slash) {
        std::string out;
        char buf[4];
        for (char ch : s) {
            const auto c = static_cast<unsigned char>(ch);
            if (unreserved(c, slash)) {
                out += ch;
            } else {
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                out += buf;
            }
        }
        return out;
    };
    // Every byte value at every place of a run longer than one block: the
    // vector scan must stop exactly there (bytes next to the ranges it
    // checks: ',' '/' ':' '@' '[' '`' '{' and the high half too).
    for (bool slash : {true, false}) {
        for (int c = 0; c < 256; ++c) {
            for (std::size_t at : {0, 1, 15, 16, 17, 31, 32, 40}) {
                std::string s(41, 'k');
                s[at] = static_cast<char>(c);
                const bool keep = unreserved(static_cast<unsigned char>(c), slash);
                CHECK(uri::kept_prefix(s, slash) == (keep ? s.size() : at));
                std::string out = "p";
                uri::append_encoded(out, s, slash);
                CHECK(out == "p" + reference(s, slash));
            }
        }
    }
    // Random strings of every length up to 70, mostly kept bytes.
    std::mt19937 g(7);
    const std::string mostly = "abcXYZ019-._~/%+ \x80";
    for (int round = 0; round < 3000; ++round) {
        std::string s;
        for (std::size_t i = 0, n = g() % 71; i < n; ++i)
            s += g() % 4 ? mostly[g() % 7] : mostly[g() % mostly.size()];
        for (bool slash : {true, false}) {
            std::string out;
            uri::append_encoded(out, s, slash);
            CHECK(out == reference(s, slash));
        }
    }
}

TEST_CASE("signer::amz_date_into: the same as amz_date, whichever second came before") {
    // It keeps the last second it formatted: times within a second, the
    // next second, a step back, another day, before 1970.
    using namespace std::chrono;
    const auto base = utc(2024, 2, 29, 23, 59, 59);
    for (auto t : {base, base + milliseconds(999), base + seconds(1), base, base - milliseconds(1),
                   base + days(400) + milliseconds(1), base + days(400) + milliseconds(2),
                   system_clock::time_point(seconds(-1)), system_clock::time_point(milliseconds(-500)),
                   system_clock::time_point(seconds(0)), base}) {
        char out[16];
        signer::amz_date_into(t, out);
        CHECK(std::string(out, 16) == signer::amz_date(t));
    }
}

TEST_CASE("signer::amz_date: four-digit years and single-digit fields are zero-padded") {
    CHECK(signer::amz_date(utc(1999, 1, 2, 3, 4, 5)) == "19990102T030405Z");
    CHECK(signer::amz_date(utc(2100, 12, 31, 23, 0, 9)) == "21001231T230009Z");
}
