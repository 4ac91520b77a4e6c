// Awkward S3 requests checked against an independent implementation.
//
// The expected strings below were produced by tests/unit/sigv4/reference_sigv4.py
// (Python standard library only: hashlib, hmac, urllib.parse.quote; it shares
// no code with src/sigv4 and first verifies itself against the S3 API
// reference examples). To re-derive or add a case, edit the script's
// cases(), run `python3 tests/unit/sigv4/reference_sigv4.py` and paste the
// printed literals here. The case names match the script's.
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

const credentials creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string token = "FQoGZXIvYXdzE//token+/==";
constexpr const char* vhost = "examplebucket.s3.amazonaws.com";

signing_params params(std::string region = "us-east-1",
                      std::chrono::system_clock::time_point now = utc(2013, 5, 24)) {
    signing_params p;
    p.region = std::move(region);
    p.service = "s3";
    p.now = now;
    return p;
}

http_request request(std::string method, std::string host, std::string path) {
    http_request req;
    req.method = std::move(method);
    req.host = std::move(host);
    req.path = std::move(path);
    return req;
}

struct signed_result {
    signing_debug debug;
    std::string authorization;
};

signed_result sign(http_request& req, const credentials& c, const signing_params& p) {
    signer s;
    signed_result r;
    s.sign(req, c, p, &r.debug);
    r.authorization = header_or_absent(req, "Authorization");
    return r;
}

// Same construction as key_1024() in reference_sigv4.py.
std::string key_1024() {
    std::string key;
    for (int i = 0; i < 85; ++i) key += "a b+c%2F\u65e5/";
    key += "tail";
    return key;
}

}  // namespace

TEST_CASE("reference: unicode key, path-style, eu-west-3") {
    auto req = request("GET", "s3.eu-west-3.amazonaws.com",
                       "/examplebucket/\u65e5\u672c\u8a9e/\u30ed\u30b0.json.gz");
    auto r = sign(req, creds, params("eu-west-3"));
    CHECK(r.debug.canonical_request ==
          "GET\n/examplebucket/%E6%97%A5%E6%9C%AC%E8%AA%9E/"
          "%E3%83%AD%E3%82%B0.json.gz\n\nhost:s3.eu-west-3.amazonaws.com\nx-amz-content-sha256:"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:"
          "20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-"
          "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/eu-west-3/s3/"
          "aws4_request\n5d7d5e1629e6e24105bd5cc95467f1e61233e92a05225b1c95c8177adec079cb");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/eu-west-3/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=3f6cf458b9eac7daadffc22993e0a1382aa876fb05f0ad7a10710beab933ba81");
}

TEST_CASE("reference: key containing a literal %2F, a space and '+'") {
    auto req = request("GET", vhost, "/a%2Fb c+d");
    auto r = sign(req, creds, params());
    CHECK(r.debug.canonical_request ==
          "GET\n/"
          "a%252Fb%20c%2Bd\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:"
          "20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-"
          "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
          "aws4_request\n8befac3240c7d7bdb4b6a9ef45cd05793f2e336b5cbc0e2a49b7393a106fa8d0");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=918b139633ac6fed1765567599795bb3dd662cb35b64167aa1c6228f4be470f3");
    CHECK(uri::request_target(req) == "/a%252Fb%20c%2Bd");
}

TEST_CASE("reference: key with \"//\" (HEAD)") {
    auto req = request("HEAD", vhost, "//double//slash");
    auto r = sign(req, creds, params());
    CHECK(r.debug.canonical_request ==
          "HEAD\n//double//"
          "slash\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:"
          "20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-"
          "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
          "aws4_request\ne0eb16a02ef46cda87ad26b583687cf49f30819ff7feb69c226ae521089eb069");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=a4817cb0a947c580f7f22de16f380f8455f08321f0537a9dac655579318896c5");
}

TEST_CASE("reference: key with a trailing '/' (PUT of a folder marker)") {
    auto req = request("PUT", vhost, "/dir/");
    auto r = sign(req, creds, params());
    CHECK(r.debug.canonical_request ==
          "PUT\n/dir/"
          "\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:"
          "20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-"
          "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
          "aws4_request\n1b9821656813e90de203008207f86e0b9906f15600eeea46ed57b4e2eea8847f");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=a45c8c5272bb2c6a89a604fef4ddefd4fee05e155cb4d68fa9609a686736e31d");
}

TEST_CASE("reference: 1024-byte key (the S3 maximum)") {
    const auto key = key_1024();
    REQUIRE(key.size() == 1024);
    auto req = request("GET", vhost, "/" + key);
    auto r = sign(req, creds, params());
    // 85 x "a%20b%2Bc%252F%E6%97%A5/" + "tail"
    std::string uri = "/";
    for (int i = 0; i < 85; ++i) uri += "a%20b%2Bc%252F%E6%97%A5/";
    uri += "tail";
    CHECK(uri::canonical_path(req.path) == uri);
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
          "aws4_request\n9cf3066f2e3c7f935a7760a3a19a7586a480d6b10752649925d8496579e3a047");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=492827980e79895bc770e4eeaf20c7e92cee35b343970e792b2e431530b599bd");
}

TEST_CASE("reference: ListObjectsV2 with unicode prefix, '/' delimiter, token, empty value") {
    auto req = request("GET", vhost, "/");
    req.query = {{"list-type", "2"},
                 {"prefix", "\u65e5\u672c\u8a9e/\u30ed\u30b0"},
                 {"delimiter", "/"},
                 {"continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="},
                 {"start-after", ""}};
    auto r = sign(req, creds, params());
    CHECK(r.debug.canonical_request ==
          "GET\n/"
          "\ncontinuation-token=1ueGcxLPRx1Tr%2FXYExHnhbYLgveDs2J%2Fwm36Hy4vbOwM%3D&delimiter=%2F&list-type="
          "2&prefix=%E6%97%A5%E6%9C%AC%E8%AA%9E%2F%E3%83%AD%E3%82%B0&start-after=\nhost:examplebucket.s3."
          "amazonaws.com\nx-amz-content-sha256:"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:"
          "20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-"
          "date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
          "aws4_request\nf0de665730534026f2369831a810c7bd75237e7d4f3daca46ac02af9607ba388");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=683170d5dc6b4f9dd5a62044ccb3e987ecf401e45d6825d2cb8bfbf26ffa377a");
}

TEST_CASE("reference: UploadPartCopy with session token, leap day, ap-northeast-1") {
    auto req =
        request("PUT", "s3.ap-northeast-1.amazonaws.com", "/dstbucket/out/\u65e5\u672c\u8a9e part.bin");
    req.query = {{"uploadId", "VXBsb2FkIElE+/="}, {"partNumber", "3"}};
    req.headers = {{"x-amz-copy-source", "/srcbucket/src%2Fkey%20with%20space"},
                   {"x-amz-copy-source-range", "bytes=0-5242879"}};
    const credentials temp{creds.access_key_id, creds.secret_access_key, token};
    auto r = sign(req, temp, params("ap-northeast-1", utc(2024, 2, 29, 23, 59, 59)));
    // The debug copy redacts the token, so compare the real canonical request.
    const std::string signed_list =
        "host;x-amz-content-sha256;x-amz-copy-source;x-amz-copy-source-range;x-amz-date;"
        "x-amz-security-token";
    CHECK(signer::canonical_request(req, signed_list, signer::payload_hash(req)) ==
          "PUT\n/dstbucket/out/"
          "%E6%97%A5%E6%9C%AC%E8%AA%9E%20part.bin\npartNumber=3&uploadId=VXBsb2FkIElE%2B%2F%3D\nhost:s3.ap-"
          "northeast-1.amazonaws.com\nx-amz-content-sha256:"
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-copy-source:/srcbucket/"
          "src%2Fkey%20with%20space\nx-amz-copy-source-range:bytes=0-5242879\nx-amz-date:20240229T235959Z\nx-"
          "amz-security-token:FQoGZXIvYXdzE//token+/"
          "==\n\nhost;x-amz-content-sha256;x-amz-copy-source;x-amz-copy-source-range;x-amz-date;x-amz-"
          "security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20240229T235959Z\n20240229/ap-northeast-1/s3/"
          "aws4_request\n9b4e0f1a80ee274169bc8915f65581c627a775fa191435fdf91b3c8860338606");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20240229/ap-northeast-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-copy-source-range;x-amz-date;x-"
          "amz-security-token, Signature=69136287e2d3008285a8abe40184322be6807b2cbf658d41cd45cb2c7fa4b9a3");
    CHECK(
        uri::request_target(req) ==
        "/dstbucket/out/%E6%97%A5%E6%9C%AC%E8%AA%9E%20part.bin?partNumber=3&uploadId=VXBsb2FkIElE%2B%2F%3D");
}

TEST_CASE("reference: unsigned payload") {
    auto req = request("PUT", vhost, "/upload.bin");
    req.body = "hello";
    req.unsigned_payload = true;
    auto r = sign(req, creds, params());
    CHECK(r.debug.canonical_request ==
          "PUT\n/"
          "upload.bin\n\nhost:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-"
          "date:20130524T000000Z\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD");
    CHECK(r.debug.string_to_sign ==
          "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/"
          "aws4_request\n75e31652d9c721fa7b6db9e7266b2356ab540605d8769b65150a145014f6364b");
    CHECK(r.authorization ==
          "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
          "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
          "Signature=6418424636f0b1ea9ccd95f135bbe3191b0c7bb1a05d297fc95763caa2a48417");
    CHECK(header_or_absent(req, "x-amz-content-sha256") == "UNSIGNED-PAYLOAD");
}

TEST_CASE("reference: presigned URL with session token, unicode key and a query") {
    auto req = request("GET", vhost, "/\u65e5\u672c\u8a9e key.txt");
    req.query = {{"versionId", "3/L4kqtJl40Nr8X8gdRQBpUMLUo"}};
    const credentials temp{creds.access_key_id, creds.secret_access_key, token};
    CHECK(presign_url(req, "https", temp, params(), std::chrono::seconds(3600)) ==
          "https://examplebucket.s3.amazonaws.com/"
          "%E6%97%A5%E6%9C%AC%E8%AA%9E%20key.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
          "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-"
          "Expires=3600&X-Amz-Security-Token=FQoGZXIvYXdzE%2F%2Ftoken%2B%2F%3D%3D&X-Amz-SignedHeaders=host&"
          "versionId=3%2FL4kqtJl40Nr8X8gdRQBpUMLUo&X-Amz-Signature="
          "31ae80e2514db9106ad79fd9b3b361e7239e4a2bb0b770ee6578ddc1208042a4");
}
