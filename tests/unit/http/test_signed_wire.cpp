// write_signed_request against the general way (signer::sign, then
// serialize_request): byte for byte the same request, or a refusal, for
// random requests, and real CopyObject requests as the S3 builders make them.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "s3/copy_source.hpp"
#include "s3merge/http/wire.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/sigv4.hpp"

using namespace s3merge;

namespace {

// The general way, on a copy.
std::string general(http_request req, sigv4::signer& s, const credentials& c, const sigv4::signing_params& p,
                    std::string_view ua) {
    s.sign(req, c, p);
    std::string out;
    diagnostics d;
    REQUIRE_FALSE(http::serialize_request(req, ua, out, d));
    return out;
}

struct rng {
    std::mt19937_64 g;
    explicit rng(std::uint64_t seed) : g(seed) {}
    std::size_t below(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(g); }
    bool coin(int in = 2) { return below(static_cast<std::size_t>(in)) == 0; }
    std::string pick(std::initializer_list<const char*> xs) {
        auto it = xs.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(below(xs.size())));
        return *it;
    }
    // Bytes of an object key: ASCII, spaces, '%', '+', '/', UTF-8.
    std::string key() {
        static const std::string alphabet = "abcXYZ019-_.~/ %+=&?#:@!$'()*,;";
        std::string k;
        for (std::size_t i = 0, n = 1 + below(60); i < n; ++i) {
            if (coin(12))
                k += "\xc3\xbc";  // ü
            else
                k += alphabet[below(alphabet.size())];
        }
        return k;
    }
    std::string value() {
        static const std::string alphabet = "abcXYZ019-_./=:\" ,;";
        std::string v;
        for (std::size_t i = 0, n = below(40); i < n; ++i) v += alphabet[below(alphabet.size())];
        return v;
    }
};

}  // namespace

TEST_CASE("write_signed_request: the same bytes as sign + serialize_request, for random requests") {
    rng r(20261206);
    sigv4::signer fast_signer, general_signer;
    int fast = 0, refused = 0;
    for (int round = 0; round < 4000; ++round) {
        http_request req;
        req.method = r.pick({"PUT", "GET", "HEAD", "DELETE", "POST"});
        req.host = r.pick({"127.0.0.1:7480", "bkt.s3.eu-west-1.amazonaws.com", "s3.us-east-1.amazonaws.com"});
        req.path = "/" + r.key();
        req.unsigned_payload = r.coin(3);
        const char* names[] = {"x-amz-copy-source",
                               "x-amz-metadata-directive",
                               "x-amz-storage-class",
                               "x-amz-copy-source-if-match",
                               "x-amz-server-side-encryption",
                               "a-first",
                               "z-last",
                               "x-amz-checksum-mode",
                               "content-type",
                               "x-amz-tagging"};
        for (std::size_t i = 0, n = r.below(7); i < n; ++i) {
            std::string name = names[r.below(std::size(names))];
            bool dup = false;
            for (const auto& h : req.headers) dup = dup || h.name == name;
            if (dup && !r.coin(8)) continue;  // now and then a name twice: refused
            req.headers.push_back({name, r.value()});
        }
        // Now and then what the fast way refuses: a query, a body, an upper
        // case name, a value to canonicalise, a header the signer adds.
        switch (r.below(14)) {
            case 0:
                req.query.push_back({"partNumber", "2"});
                break;
            case 1:
                req.body = "body";
                break;
            case 2:
                req.headers.push_back({"Content-Type", "text/plain"});
                break;
            case 3:
                req.headers.push_back({"x-amz-meta-a", " padded "});
                break;
            case 4:
                req.headers.push_back({"x-amz-meta-b", "two  spaces"});
                break;
            case 5:
                req.headers.push_back({"x-amz-date", "20200101T000000Z"});
                break;
            default:
                break;
        }
        credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      r.coin() ? "" : "FQoG/token+with=chars"};
        sigv4::signing_params p;
        p.region = r.pick({"us-east-1", "eu-west-1"});
        p.now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000 + r.below(400000)));
        const std::string ua = r.coin(4) ? "" : "s3merge/1.0";
        const http_request before = req;
        std::string wire = "stale";
        if (http::write_signed_request(req, fast_signer, c, p, ua, wire)) {
            ++fast;
            CHECK(wire == general(req, general_signer, c, p, ua));
        } else {
            ++refused;
        }
        // The request itself is left as it was.
        CHECK(req.headers.size() == before.headers.size());
        CHECK(req.path == before.path);
    }
    // Both ways were exercised.
    CHECK(fast > 1200);
    CHECK(refused > 500);
}

TEST_CASE("write_signed_request: refuses what the general way must handle") {
    sigv4::signer s;
    credentials c{"AKID", "secret", ""};
    sigv4::signing_params p;
    p.region = "us-east-1";
    p.now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    auto base = [] {
        http_request req;
        req.method = "PUT";
        req.host = "127.0.0.1:7480";
        req.path = "/dst/key";
        req.headers = {{"x-amz-copy-source", "/src/key"}, {"x-amz-metadata-directive", "COPY"}};
        return req;
    };
    std::string out;
    CHECK(http::write_signed_request(base(), s, c, p, "ua", out));
    auto refused = [&](http_request req, credentials cc = {"AKID", "secret", ""}, std::string ua = "ua") {
        std::string o;
        return !http::write_signed_request(req, s, cc, p, ua, o);
    };
    // Each change to the base request that the general way must sign.
    auto with = [&](auto change) {
        auto r = base();
        change(r);
        return r;
    };
    CHECK(refused(with([](http_request& r) { r.query.push_back({"uploads", ""}); })));
    CHECK(refused(with([](http_request& r) { r.body = "x"; })));
    CHECK(refused(with([](http_request& r) { r.headers.push_back({"X-Amz-Meta-A", "b"}); })));
    // A name twice is joined with ',' when signed.
    CHECK(refused(with([](http_request& r) { r.headers.push_back({"x-amz-copy-source", "/src/other"}); })));
    CHECK(refused(with([](http_request& r) {
        r.headers.push_back({"x-amz-meta-a", "line\r\nInjected: yes"});
    })));
    CHECK(refused(with([](http_request& r) {
        r.headers.push_back({"authorization", "AWS4-HMAC-SHA256 ..."});
    })));
    CHECK(refused(with([](http_request& r) { r.method = "PATCH"; })));
    CHECK(refused(base(), {"AKID", "secret", "tok\nen"}));
    CHECK(refused(base(), {"AKID", "secret", ""}, "ua\r\nX: y"));
    {
        sigv4::signing_params q = p;
        q.add_content_sha256_header = false;
        std::string o;
        CHECK_FALSE(http::write_signed_request(base(), s, c, q, "ua", o));
    }
}

TEST_CASE("write_signed_request: a CopyObject as build_copy_object makes it goes the fast way, as signed") {
    s3::target t;
    t.scheme = "https";
    t.host = t.host_header = "dst-bucket.s3.eu-west-1.amazonaws.com";
    t.bucket = "dst-bucket";
    t.region = "eu-west-1";
    s3::copy_object_params cp;
    cp.source_bucket = "src-bucket";
    cp.source_key = "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/a b+c%d.json.gz";
    cp.key = "merged/" + cp.source_key;
    cp.source_if_match = "9b2cf535f27731c974343645a3985328";
    cp.storage_class = "STANDARD_IA";
    cp.sse = "aws:kms";
    cp.sse_kms_key_id = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
    const http_request req = s3::build_copy_object(t, cp);
    credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session/token=="};
    sigv4::signing_params p;
    p.region = t.region;
    p.now = std::chrono::system_clock::time_point(std::chrono::seconds(1704153600));
    sigv4::signer a, b;
    std::string wire;
    REQUIRE(http::write_signed_request(req, a, c, p, "s3merge/1.0", wire));
    CHECK(wire == general(req, b, c, p, "s3merge/1.0"));
    CHECK(wire.find("x-amz-copy-source: /src-bucket/AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/"
                    "a%20b%2Bc%25d.json.gz\r\n") != std::string::npos);
    CHECK(wire.find("SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-copy-source-if-match;"
                    "x-amz-date;x-amz-metadata-directive;x-amz-security-token;x-amz-server-side-encryption;"
                    "x-amz-server-side-encryption-aws-kms-key-id;x-amz-storage-class, Signature=") !=
          std::string::npos);
    // The same signer again, a second later: the cached key, a new date.
    p.now += std::chrono::seconds(1);
    REQUIRE(http::write_signed_request(req, a, c, p, "s3merge/1.0", wire));
    CHECK(wire == general(req, b, c, p, "s3merge/1.0"));
}

TEST_CASE(
    "write_signed_copy_object: the bytes of write_signed_request(build_copy_object), for random copies") {
    rng r(20261207);
    sigv4::signer direct_signer, built_signer;
    int direct = 0, declined = 0;
    for (int round = 0; round < 3000; ++round) {
        s3::target t;
        t.scheme = r.coin() ? "https" : "http";
        t.path_style = r.coin();
        t.bucket = r.pick({"dst", "dst-bucket", "a.b.c", ""});
        t.host = t.host_header =
            r.pick({"127.0.0.1:7480", "dst-bucket.s3.eu-west-1.amazonaws.com", "s3.us-east-1.amazonaws.com"});
        t.region = r.pick({"us-east-1", "eu-west-1"});
        s3::copy_object_params cp;
        cp.source_bucket = r.pick({"src", "cloudtrail-us-east-1-123456789012", "a.b"});
        cp.source_key = r.key();
        cp.key = r.coin(20) ? std::string() : r.key();
        if (r.coin(4)) cp.source_version_id = r.pick({"3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY", "null", "v 1"});
        if (r.coin(3))
            cp.source_if_match =
                r.pick({"9b2cf535f27731c974343645a3985328", "\"quoted\"",
                        "d41d8cd98f00b204e9800998ecf8427e-12", "bad\r\netag", "two  spaces"});
        if (r.coin(5)) cp.storage_class = r.pick({"STANDARD_IA", "GLACIER_IR", " padded"});
        if (r.coin(5)) cp.sse = r.pick({"AES256", "aws:kms"});
        if (r.coin(6)) cp.sse_kms_key_id = "arn:aws:kms:eu-west-1:123456789012:key/abcd";
        if (r.coin(8)) {
            cp.replace_metadata = true;
            cp.metadata.push_back({"origin", "s3merge"});
            cp.content_type = "application/json";
        }
        if (r.coin(10)) {
            cp.replace_tagging = true;
            cp.tagging = "k=v";
        }
        credentials c{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                      r.coin() ? "" : "FQoG/token+with=chars"};
        if (r.coin(40)) c.session_token = "tok\nen";
        sigv4::signing_params p;
        p.region = t.region;
        p.now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000 + r.below(400000)));
        const std::string ua = r.coin(4) ? "" : "s3merge/1.0";

        std::string wire = "stale", built_wire = "stale";
        const bool wrote = s3::write_signed_copy_object(t, cp, direct_signer, c, p, ua, wire);
        const http_request req = s3::build_copy_object(t, cp);
        const bool built = http::write_signed_request(req, built_signer, c, p, ua, built_wire);
        if (wrote) {
            ++direct;
            REQUIRE(built);
            CHECK(wire == built_wire);
            // And the general way (sign, then serialize) agrees too.
            CHECK(wire == general(req, built_signer, c, p, ua));
        } else {
            ++declined;
            // Declined only where it says it declines.
            CHECK((cp.replace_metadata || cp.replace_tagging || cp.key.empty() || !built));
        }
    }
    CHECK(direct > 1200);
    CHECK(declined > 300);
}

TEST_CASE(
    "header values: a CR, LF or NUL anywhere in a long value is refused, a run of two spaces goes the "
    "general way") {
    // Values longer than the 16-byte blocks the check reads at a time, with
    // the byte at each place, block edges included.
    sigv4::signer s, g;
    credentials c{"AKID", "secret", ""};
    sigv4::signing_params p;
    p.region = "us-east-1";
    p.now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    for (std::size_t at = 1; at < 40; ++at) {
        for (std::string_view bad : {std::string_view("\r"), std::string_view("\n"),
                                     std::string_view("\0", 1), std::string_view("  ")}) {
            std::string value(41, 'v');
            value.replace(at, bad.size(), bad);
            http_request req;
            req.method = "PUT";
            req.host = "127.0.0.1:7480";
            req.path = "/b/k";
            req.headers = {{"x-amz-meta-a", value}};
            std::string wire, serialized;
            diagnostics d;
            CHECK_FALSE(http::write_signed_request(req, s, c, p, "ua", wire));
            // The wire refuses what would split the request; two spaces are
            // only canonicalised (signed the general way).
            const bool splits = bad != "  ";
            CHECK((http::serialize_request(req, "ua", serialized, d) == errc::invalid_argument) == splits);
            if (!splits) CHECK_FALSE(general(req, g, c, p, "ua").empty());
            // The same byte in the Host or the session token.
            http_request clean = req;
            clean.headers = {{"x-amz-meta-a", std::string(41, 'v')}};
            CHECK(http::write_signed_request(clean, s, c, p, "ua", wire));
            clean.host = value;
            CHECK_FALSE(http::write_signed_request(clean, s, c, p, "ua", wire));
            credentials tc = c;
            tc.session_token = value;
            clean.host = "127.0.0.1:7480";
            CHECK_FALSE(http::write_signed_request(clean, s, tc, p, "ua", wire));
            // The access key id and the User-Agent, each after the good ones
            // passed (they are remembered once they have): checked again.
            CHECK(http::write_signed_request(clean, s, c, p, "ua", wire));
            credentials kc = c;
            kc.access_key_id = value;
            CHECK_FALSE(http::write_signed_request(clean, s, kc, p, "ua", wire));
            CHECK(http::write_signed_request(clean, s, c, p, "ua", wire));
            CHECK_FALSE(http::write_signed_request(clean, s, c, p, value, wire));
            CHECK(http::write_signed_request(clean, s, c, p, "ua", wire));
        }
    }
}
