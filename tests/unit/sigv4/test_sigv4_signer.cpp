// signer behaviour beyond the vectors: the signing key cache, session tokens,
// what signing_debug may and may not contain, and signing a request again.
#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>

#include "s3merge/sigv4.hpp"
#include "s3merge/crypto.hpp"
#include "sigv4_test_support.hpp"

using namespace s3merge;
using namespace s3merge::sigv4;
using s3merge::sigv4::test::count_headers;
using s3merge::sigv4::test::header_or_absent;
using s3merge::sigv4::test::signature_of;
using s3merge::sigv4::test::utc;

namespace {

const credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};

signing_params params(std::string region = "us-east-1", std::string service = "s3",
                      std::chrono::system_clock::time_point now = utc(2013, 5, 24)) {
    signing_params p;
    p.region = std::move(region);
    p.service = std::move(service);
    p.now = now;
    return p;
}

// The S3 "GET Object" example request.
http_request get_object() {
    http_request req;
    req.host = "examplebucket.s3.amazonaws.com";
    req.path = "/test.txt";
    req.headers.push_back({"Range", "bytes=0-9"});
    return req;
}
constexpr const char* get_object_signature =
    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

// Authorization for `req` from a signer with an empty cache.
std::string fresh_authorization(http_request req, const credentials& c, const signing_params& p) {
    signer s;
    s.sign(req, c, p);
    return header_or_absent(req, "Authorization");
}

std::string signed_authorization(signer& s, http_request req, const credentials& c, const signing_params& p) {
    s.sign(req, c, p);
    return header_or_absent(req, "Authorization");
}

}  // namespace

TEST_CASE("signing key cache: one entry per (date, region, service, access key id)") {
    signer s;
    CHECK(s.cache_size() == 0);

    // Served from the cache the second time, and still the published signature.
    CHECK(signature_of(signed_authorization(s, get_object(), creds, params())) == get_object_signature);
    CHECK(s.cache_size() == 1);
    CHECK(signature_of(signed_authorization(s, get_object(), creds, params())) == get_object_signature);
    CHECK(s.cache_size() == 1);

    // Another request, later the same UTC day: same key, same entry.
    http_request put;
    put.method = "PUT";
    put.host = "examplebucket.s3.amazonaws.com";
    put.path = "/other";
    put.body = "x";
    const auto late = params("us-east-1", "s3", utc(2013, 5, 24, 23, 59, 59));
    CHECK(signed_authorization(s, put, creds, late) == fresh_authorization(put, creds, late));
    CHECK(s.cache_size() == 1);

    // A new region, service, day or access key each derive their own key.
    const auto eu = params("eu-west-1");
    CHECK(signed_authorization(s, get_object(), creds, eu) == fresh_authorization(get_object(), creds, eu));
    CHECK(s.cache_size() == 2);
    const auto sts = params("us-east-1", "sts");
    CHECK(signed_authorization(s, get_object(), creds, sts) == fresh_authorization(get_object(), creds, sts));
    CHECK(s.cache_size() == 3);
    const auto next_day = params("us-east-1", "s3", utc(2013, 5, 25));
    CHECK(signed_authorization(s, get_object(), creds, next_day) ==
          fresh_authorization(get_object(), creds, next_day));
    CHECK(s.cache_size() == 4);
    const credentials other{"AKIDOTHER", "other/secret", ""};
    CHECK(signed_authorization(s, get_object(), other, params()) ==
          fresh_authorization(get_object(), other, params()));
    CHECK(s.cache_size() == 5);

    // Earlier entries still give the right signature.
    CHECK(signature_of(signed_authorization(s, get_object(), creds, params())) == get_object_signature);
    CHECK(s.cache_size() == 5);
}

TEST_CASE("signing key cache: bounded to 64 entries") {
    signer s;
    for (int i = 0; i < 64; ++i) {
        auto req = get_object();
        s.sign(req, creds, params("region-" + std::to_string(i)));
        CHECK(s.cache_size() == static_cast<std::size_t>(i + 1));
    }
    // The 65th scope clears the cache rather than growing past the bound.
    const auto p65 = params("region-64");
    CHECK(signed_authorization(s, get_object(), creds, p65) == fresh_authorization(get_object(), creds, p65));
    CHECK(s.cache_size() == 1);
    for (int i = 0; i < 200; ++i) {
        auto req = get_object();
        s.sign(req, creds, params("other-" + std::to_string(i)));
        REQUIRE(s.cache_size() <= 64);
    }
    // Signing is unaffected by evictions.
    CHECK(signature_of(signed_authorization(s, get_object(), creds, params())) == get_object_signature);
}

TEST_CASE("signing key cache: a secret rotated under the same access key id is not stale") {
    signer s;
    const credentials rotated{creds.access_key_id, "a-new-secret-for-the-same-key-id", ""};
    const auto before = signed_authorization(s, get_object(), creds, params());
    const auto after = signed_authorization(s, get_object(), rotated, params());
    CHECK(signature_of(before) == get_object_signature);
    CHECK(after == fresh_authorization(get_object(), rotated, params()));
    CHECK(after != before);
    CHECK(s.cache_size() == 1);
    CHECK(signature_of(signed_authorization(s, get_object(), creds, params())) == get_object_signature);
}

TEST_CASE("session token: X-Amz-Security-Token is added and signed") {
    const credentials temp{creds.access_key_id, creds.secret_access_key, "token/one+=="};
    auto req = get_object();
    signer s;
    s.sign(req, temp, params());
    CHECK(header_or_absent(req, "X-Amz-Security-Token") == "token/one+==");
    CHECK(count_headers(req, "x-amz-security-token") == 1);
    CHECK(header_or_absent(req, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date;x-amz-security-token, "
          "Signature=" +
              signature_of(header_or_absent(req, "Authorization")));
    // The token changes the signature.
    CHECK(signature_of(header_or_absent(req, "Authorization")) != get_object_signature);

    // Refreshed credentials: signing again replaces the token, not adds one.
    const credentials refreshed{creds.access_key_id, creds.secret_access_key, "token-two"};
    s.sign(req, refreshed, params());
    CHECK(header_or_absent(req, "X-Amz-Security-Token") == "token-two");
    CHECK(count_headers(req, "x-amz-security-token") == 1);
    auto clean = get_object();
    CHECK(header_or_absent(req, "Authorization") == fresh_authorization(clean, refreshed, params()));
}

TEST_CASE("signing_debug: holds no secret, signature, signing key, token or SSE-C key") {
    const std::string token = "IQoJb3JpZ2luX2VjEXAMPLE/SessionToken+Value==";
    const std::string ssec_key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    const credentials temp{creds.access_key_id, creds.secret_access_key, token};
    auto req = get_object();
    req.headers.push_back({"x-amz-server-side-encryption-customer-algorithm", "AES256"});
    req.headers.push_back({"x-amz-server-side-encryption-customer-key", ssec_key});
    req.headers.push_back({"x-amz-server-side-encryption-customer-key-MD5", "md5value=="});
    req.headers.push_back({"x-amz-copy-source-server-side-encryption-customer-key", ssec_key});

    signer s;
    signing_debug dbg;
    s.sign(req, temp, params(), &dbg);
    const auto signature = signature_of(header_or_absent(req, "Authorization"));
    REQUIRE(signature.size() == 64);

    // The signing key, derived independently of the signer.
    auto k = crypto::hmac_sha256_raw("AWS4" + creds.secret_access_key, "20130524");
    k = crypto::hmac_sha256_raw(k, "us-east-1");
    k = crypto::hmac_sha256_raw(k, "s3");
    k = crypto::hmac_sha256_raw(k, "aws4_request");
    // Sanity: that key does produce the signature on the request.
    CHECK(crypto::hex(crypto::hmac_sha256_raw(k, dbg.string_to_sign)) == signature);

    for (const std::string* text : {&dbg.canonical_request, &dbg.string_to_sign}) {
        REQUIRE_FALSE(text->empty());
        CHECK(text->find(creds.secret_access_key) == std::string::npos);
        CHECK(text->find("wJalrXUtnFEMI") == std::string::npos);
        CHECK(text->find(signature) == std::string::npos);
        CHECK(text->find(crypto::hex(k)) == std::string::npos);
        CHECK(text->find(k) == std::string::npos);
        CHECK(text->find(token) == std::string::npos);
        CHECK(text->find(ssec_key) == std::string::npos);
        CHECK(text->find("Authorization") == std::string::npos);
        CHECK(text->find("authorization") == std::string::npos);
    }
    // The rest of the canonical request is there, so --debug stays useful.
    CHECK(dbg.canonical_request ==
          "GET\n/test.txt\n\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "range:bytes=0-9\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-copy-source-server-side-encryption-customer-key:<redacted>\n"
          "x-amz-date:20130524T000000Z\n"
          "x-amz-security-token:<redacted>\n"
          "x-amz-server-side-encryption-customer-algorithm:AES256\n"
          "x-amz-server-side-encryption-customer-key:<redacted>\n"
          "x-amz-server-side-encryption-customer-key-md5:md5value==\n\n"
          "host;range;x-amz-content-sha256;x-amz-copy-source-server-side-encryption-customer-key;"
          "x-amz-date;x-amz-security-token;x-amz-server-side-encryption-customer-algorithm;"
          "x-amz-server-side-encryption-customer-key;"
          "x-amz-server-side-encryption-customer-key-md5\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    // The string to sign hashes the real canonical request, not the redacted one.
    const std::string real = signer::canonical_request(
        req,
        "host;range;x-amz-content-sha256;x-amz-copy-source-server-side-encryption-customer-key;"
        "x-amz-date;x-amz-security-token;x-amz-server-side-encryption-customer-algorithm;"
        "x-amz-server-side-encryption-customer-key;x-amz-server-side-encryption-customer-key-md5",
        signer::payload_hash(req));
    CHECK(real.find(token) != std::string::npos);
    CHECK(dbg.string_to_sign == "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n" +
                                    crypto::sha256_hex(real));
}

TEST_CASE("signing a request again replaces Authorization and X-Amz-Date") {
    auto req = get_object();
    signer s;
    s.sign(req, creds, params());
    CHECK(signature_of(header_or_absent(req, "Authorization")) == get_object_signature);

    // A retry a day later: the old Authorization is not signed, the date moves.
    const auto later = params("us-east-1", "s3", utc(2013, 5, 25, 8, 30, 0));
    signing_debug dbg;
    s.sign(req, creds, later, &dbg);
    CHECK(count_headers(req, "Authorization") == 1);
    CHECK(count_headers(req, "X-Amz-Date") == 1);
    CHECK(count_headers(req, "x-amz-content-sha256") == 1);
    CHECK(count_headers(req, "Host") == 1);
    CHECK(header_or_absent(req, "X-Amz-Date") == "20130525T083000Z");
    CHECK(dbg.canonical_request.find("authorization") == std::string::npos);
    CHECK(header_or_absent(req, "Authorization") == fresh_authorization(get_object(), creds, later));
}

TEST_CASE("a caller-provided x-amz-content-sha256 is the payload hash that is signed") {
    http_request req;
    req.method = "PUT";
    req.host = "examplebucket.s3.amazonaws.com";
    req.path = "/streamed";
    req.headers.push_back({"X-Amz-Content-Sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"});
    signer s;
    signing_debug dbg;
    s.sign(req, creds, params(), &dbg);
    CHECK(count_headers(req, "x-amz-content-sha256") == 1);
    CHECK(dbg.canonical_request ==
          "PUT\n/streamed\n\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "x-amz-content-sha256:STREAMING-UNSIGNED-PAYLOAD-TRAILER\n"
          "x-amz-date:20130524T000000Z\n\n"
          "host;x-amz-content-sha256;x-amz-date\n"
          "STREAMING-UNSIGNED-PAYLOAD-TRAILER");
}

TEST_CASE("Host: taken from req.host when absent, an existing Host header is kept") {
    http_request req;
    req.host = "127.0.0.1:7480";
    req.path = "/bucket/key";
    signer s;
    signing_debug dbg;
    s.sign(req, creds, params(), &dbg);
    CHECK(header_or_absent(req, "Host") == "127.0.0.1:7480");
    CHECK(dbg.canonical_request.find("\nhost:127.0.0.1:7480\n") != std::string::npos);

    http_request with_host;
    with_host.host = "examplebucket.s3.amazonaws.com";
    with_host.path = "/test.txt";
    with_host.headers = {{"host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
    s.sign(with_host, creds, params());
    CHECK(count_headers(with_host, "Host") == 1);
    CHECK(signature_of(header_or_absent(with_host, "Authorization")) == get_object_signature);
}

TEST_CASE("add_content_sha256_header=false signs the body hash without adding the header") {
    http_request req;
    req.method = "POST";
    req.host = "example.amazonaws.com";
    req.body = "Action=GetCallerIdentity&Version=2011-06-15";
    auto p = params("us-east-1", "sts");
    p.add_content_sha256_header = false;
    signer s;
    signing_debug dbg;
    s.sign(req, creds, p, &dbg);
    CHECK(count_headers(req, "x-amz-content-sha256") == 0);
    CHECK(dbg.canonical_request.substr(dbg.canonical_request.rfind('\n') + 1) ==
          crypto::sha256_hex(req.body));
    CHECK(header_or_absent(req, "Authorization").find(", SignedHeaders=host;x-amz-date, ") !=
          std::string::npos);
}
