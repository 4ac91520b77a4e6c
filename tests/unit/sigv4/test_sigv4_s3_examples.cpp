// The worked examples of the Amazon S3 API reference:
//  - "Signature Calculations for the Authorization Header: Transferring
//    Payload in a Single Chunk", section "Examples: Signature Calculations"
//    (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html):
//    GET Object, PUT Object, GET Bucket Lifecycle, GET Bucket (List Objects);
//  - "Authenticating Requests: Using Query Parameters", example presigned URL
//    (https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html).
// Canonical requests, strings to sign and signatures are the published ones.
#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>

#include "s3merge/sigv4.hpp"
#include "sigv4_test_support.hpp"

using namespace s3merge;
using namespace s3merge::sigv4;
using s3merge::sigv4::test::header_or_absent;
using s3merge::sigv4::test::utc;

namespace {

const credentials s3_creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
constexpr const char* host = "examplebucket.s3.amazonaws.com";
constexpr const char* empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

signing_params s3_params() {
    signing_params p;
    p.region = "us-east-1";
    p.service = "s3";
    p.now = utc(2013, 5, 24);
    return p;  // add_content_sha256_header defaults to true, as S3 requires
}

http_request s3_request(std::string method, std::string path) {
    http_request req;
    req.method = std::move(method);
    req.host = host;
    req.path = std::move(path);
    return req;
}

}  // namespace

TEST_CASE("S3 example: GET Object (Range header)") {
    auto req = s3_request("GET", "/test.txt");
    req.headers.push_back({"Range", "bytes=0-9"});
    signer s;
    signing_debug dbg;
    s.sign(req, s3_creds, s3_params(), &dbg);

    CHECK(dbg.canonical_request ==
          "GET\n/test.txt\n\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "range:bytes=0-9\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-date:20130524T000000Z\n\n"
          "host;range;x-amz-content-sha256;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(dbg.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
          "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    CHECK(header_or_absent(req, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
          "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    // The headers the signature covers are on the request, with these values.
    CHECK(header_or_absent(req, "Host") == host);
    CHECK(header_or_absent(req, "x-amz-date") == "20130524T000000Z");
    CHECK(header_or_absent(req, "x-amz-content-sha256") == empty_sha256);
    CHECK(uri::request_target(req) == "/test.txt");
}

TEST_CASE("S3 example: PUT Object (test$file.text, storage class, Date header)") {
    auto req = s3_request("PUT", "/test$file.text");
    req.headers.push_back({"Date", "Fri, 24 May 2013 00:00:00 GMT"});
    req.headers.push_back({"x-amz-storage-class", "REDUCED_REDUNDANCY"});
    req.body = "Welcome to Amazon S3.";
    signer s;
    signing_debug dbg;
    s.sign(req, s3_creds, s3_params(), &dbg);

    CHECK(signer::payload_hash(req) == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK(dbg.canonical_request ==
          "PUT\n/test%24file.text\n\n"
          "date:Fri, 24 May 2013 00:00:00 GMT\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "x-amz-content-sha256:44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072\n"
          "x-amz-date:20130524T000000Z\n"
          "x-amz-storage-class:REDUCED_REDUNDANCY\n\n"
          "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n"
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK(dbg.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
          "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    CHECK(header_or_absent(req, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
          "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    CHECK(header_or_absent(req, "x-amz-content-sha256") ==
          "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    CHECK(uri::request_target(req) == "/test%24file.text");
}

TEST_CASE("S3 example: GET Bucket Lifecycle (?lifecycle)") {
    auto req = s3_request("GET", "/");
    req.query.push_back({"lifecycle", ""});
    signer s;
    signing_debug dbg;
    s.sign(req, s3_creds, s3_params(), &dbg);

    CHECK(dbg.canonical_request ==
          "GET\n/\nlifecycle=\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-date:20130524T000000Z\n\n"
          "host;x-amz-content-sha256;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(dbg.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
          "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca");
    CHECK(header_or_absent(req, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    CHECK(uri::request_target(req) == "/?lifecycle=");
}

TEST_CASE("S3 example: GET Bucket (List Objects) ?max-keys=2&prefix=J") {
    auto req = s3_request("GET", "/");
    // Given out of order on purpose: the signer owns the ordering.
    req.query.push_back({"prefix", "J"});
    req.query.push_back({"max-keys", "2"});
    signer s;
    signing_debug dbg;
    s.sign(req, s3_creds, s3_params(), &dbg);

    CHECK(dbg.canonical_request ==
          "GET\n/\nmax-keys=2&prefix=J\n"
          "host:examplebucket.s3.amazonaws.com\n"
          "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
          "x-amz-date:20130524T000000Z\n\n"
          "host;x-amz-content-sha256;x-amz-date\n"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(dbg.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
          "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7");
    CHECK(header_or_absent(req, "Authorization") ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
    CHECK(uri::request_target(req) == "/?max-keys=2&prefix=J");
}

TEST_CASE("S3 example: presigned URL for GET test.txt, expires 86400") {
    auto req = s3_request("GET", "/test.txt");
    const auto url = presign_url(req, "https", s3_creds, s3_params(), std::chrono::seconds(86400));
    CHECK(url ==
          "https://examplebucket.s3.amazonaws.com/test.txt"
          "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
          "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
          "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
          "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");

    // Only Host is signed: request headers do not change the URL, and the
    // request itself is left untouched.
    req.headers.push_back({"Range", "bytes=0-9"});
    CHECK(presign_url(req, "https", s3_creds, s3_params(), std::chrono::seconds(86400)) == url);
    CHECK(req.headers.size() == 1);
    CHECK(req.query.empty());

    // A Host header, when present, names the host (e.g. with a port).
    auto local = s3_request("GET", "/test.txt");
    local.host.clear();
    local.headers.push_back({"Host", "examplebucket.s3.amazonaws.com"});
    CHECK(presign_url(local, "https", s3_creds, s3_params(), std::chrono::seconds(86400)) == url);
}
