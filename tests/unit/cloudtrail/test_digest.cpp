// CloudTrail digest validation, pure: the digest format, the signing
// string, RSA signatures (checked against the openssl command line's own
// signature of the same bytes), public keys, chains, gzip hashing.
#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

#include "s3merge/cloudtrail/digest.hpp"
#include "s3merge/crypto.hpp"
#include "s3merge/gen/cloudtrail.hpp"

using namespace s3merge;
using namespace s3merge::cloudtrail;

namespace {

// A 2048-bit RSA key made for these tests with `openssl genrsa 2048`.
const std::string test_key_pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDYd9pazZvBYGHH\n"
    "/0sbB3GeO8mB4wkm3jN0R2JEG4wI3UtihizFLmoKPnOzBld3eF4qsSh6YvvXExfa\n"
    "xh3bia/cKL40tgQFoF4jgKdOBlsA2XYakOsAg4e1u0wlXABCjFR85IlDlvmY8N6b\n"
    "ubsFuONAs/2ok2Nd/CBW9XWytdJWqreYkqDX3NtIYMPFh3v3LYxOHaMXk8OV3qae\n"
    "gkFw04xvCP3caEmrOJ++ecGy/O4xEErg2cHtWUosJTtY2PtfkXczZymzN7yxU+8P\n"
    "Ygc5+B6Nmi4tUQbKCh8zaBLcSv4oW1xAl2pvDaWURiDtLtyamsrSLtq+cqFsQSDU\n"
    "+w5rJ8HFAgMBAAECggEAA+fhtjq4gTw6d2/ZTJMNT0QX5jKRAzUGK6ZwFPeERtKr\n"
    "Xgs6upIUUrv+vW+zW1H+LPoGV3L6xU4wY3+ooUHyPOA1UmEoYGuc1zomiqdds/24\n"
    "flE4FEnLRJGtFY176bd7fMdo3KHYPhS2h4vJ3pgP7aZxwL1sERGQCdGi/ob+VRb1\n"
    "+SzfR9EOtSJ2AV/CuRKj4hnXB8+gI7TtFqfy9ITUO+P7ZzsNlO0FnjVyxGDTy2UG\n"
    "qGGOxp+qT2od20QB2xSYYahVIXep8xgfk1sbuaFDqjZHdV9yM9LQVOVhiWFNGDU3\n"
    "I59ZaU26vcZXtgnakVzRapgWFII/xVaVn3LxJG8dwQKBgQD2LEHNEfyWVK75abqP\n"
    "D8AoHceFwB+NgDRmtxX8P4YFFWIuU7iNtwD5brVj6mbNqL2NiTAcEkXVoXQao488\n"
    "5g4VlhHKWCjRfsD66Pb5yI8iLQ/d3y0jRZHDUv3pHQ1Dmg3+VvI5uM9Dw9VZwzK1\n"
    "wt/thz6L+p4Oqb9mn0Ec2sDE5QKBgQDhHAf83YIy8Q9kbWMKYf2VY2E8RF529bfu\n"
    "z34bTwI+WGoFgJPY9+AR239PpBZcPF+3u9nkKm64ZO4ekZi8nZHJQkC+VH/x2laf\n"
    "1N6kEZ2HejTfDD1PYS2+jQUTm8WU/ikjR2Nerto+2Z+LAWEDZlBKbEcVKG1a4udF\n"
    "FM5GIWUbYQKBgH/7klojN8aQUEerCCrIbYZttQV8VOsj9BpSpUN3Yx3ReDHNpO1I\n"
    "b2E+hV9kxf219JZY9IIjndrrDYmr7xQiJsBiPO2N1+rSk1HfPEewVXnXI6CeHsFv\n"
    "sdBynT9Ms1CqDwxj95q60kbQ0WLRcNO+dNzwqzvrF7FX3wJjWV6+++lhAoGAZK3D\n"
    "yM1NEPmNd84QkLE42BqFf43Ybf4B0JYOgao5h6bFbEaQWWarWXFBJF5v/bqm2Kb0\n"
    "kb6EnIXPle5qUFlsvYWbLUTfoEyVl5B+LwUN3mzCvstblGgTLHknvxhZKwTtYzDn\n"
    "eY5cX+W3HFV2jS2yVUbOF+Fn31FCPDxM8UK4VKECgYAcsWnKTutz0CKG6PCybDnd\n"
    "T5wwN4KxorjlX8/9KCpZ23IlaDOkClLVKvEr+TMfbF4CWSU942iPCgC9mXTPkRTg\n"
    "8NDVYvaHrzq/gTpz3f+J2/1sRI4rWTSK/QdTHjMvs9HvhQucinJrbJVFUuWTq7av\n"
    "kKR77irz1T4uZ+lRaucwMw==\n"
    "-----END PRIVATE KEY-----\n";
// `openssl rsa -RSAPublicKey_out -outform DER | base64` of it.
const std::string test_public_b64 =
    "MIIBCgKCAQEA2HfaWs2bwWBhx/"
    "9LGwdxnjvJgeMJJt4zdEdiRBuMCN1LYoYsxS5qCj5zswZXd3heKrEoemL71xMX2sYd24mv3Ci+"
    "NLYEBaBeI4CnTgZbANl2GpDrAIOHtbtMJVwAQoxUfOSJQ5b5mPDem7m7BbjjQLP9qJNjXfwgVvV1srXSVqq3mJKg19zbSGDDxYd79y2M"
    "Th2jF5PDld6mnoJBcNOMbwj93GhJqzifvnnBsvzuMRBK4NnB7VlKLCU7WNj7X5F3M2cpsze8sVPvD2IHOfgejZouLVEGygofM2gS3Er+"
    "KFtcQJdqbw2llEYg7S7cmprK0i7avnKhbEEg1PsOayfBxQIDAQAB";
// `openssl dgst -sha256 -sign` of "message to sign\n2015-08-17T15:01:31Z", hex.
const std::string openssl_signature_hex =
    "57d75dda50e0dcdabfa8068e420c00eb8c84c3e1b27dc244f00a27b1e79e3aeb5cc6a015d8572dedec895b2662db3e91c310542a"
    "dc8a4f19242a3c1809ccd29aee0b5fd5fe3cbd701e961468fa2fc655de5a02dd642f40f4372d87fe2e8442ce82a527c66b3f433f"
    "774c85bfcae69033c3e6e02951d8f139d85f8aefdb104d54e3375e7f442d182c5b06bacc2d185532365e25d3f215b6a63ba54fd0"
    "37eb1bffd5dd3bcbd5b487c95ca4111030c57573d385651fe29bae98dd20d5c6b449e979e31a52fc2866e6169746458398c4e52f"
    "1371f513817f36b07013b9ce78620b50f4a3594aad0032e6cdc8b6be23557c2b8e9ea63c6a01f1c1a0b9ef0f07d88836";

// The shape of the digest file in CloudTrail's documentation.
std::string digest_json(const std::string& prev_sig = "\"4435ef1d9c2e2e7364f0d1a3d4d6f6b3a4c2f1e0\"") {
    return R"({
  "awsAccountId": "111122223333",
  "digestStartTime": "2015-08-17T14:01:31Z",
  "digestEndTime": "2015-08-17T15:01:31Z",
  "digestS3Bucket": "example-bucket",
  "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
  "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
  "digestSignatureAlgorithm": "SHA256withRSA",
  "newestEventTime": "2015-08-17T14:52:27Z",
  "oldestEventTime": "2015-08-17T14:42:27Z",
  "previousDigestS3Bucket": "example-bucket",
  "previousDigestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T140131Z.json.gz",
  "previousDigestHashValue": "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d",
  "previousDigestHashAlgorithm": "SHA-256",
  "previousDigestSignature": )" +
           prev_sig + R"(,
  "logFiles": [
    {
      "s3Bucket": "example-bucket",
      "s3Object": "AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/17/111122223333_CloudTrail_us-east-2_20150817T1445Z_9nYN7gp2eWAJHIfT.json.gz",
      "hashValue": "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6",
      "hashAlgorithm": "SHA-256",
      "newestEventTime": "2015-08-17T14:52:27Z",
      "oldestEventTime": "2015-08-17T14:42:27Z"
    }
  ]
})";
}

}  // namespace

TEST_CASE("digest: the documented file is read field by field") {
    digest_file d;
    diagnostics diag;
    REQUIRE_FALSE(parse_digest(digest_json(), d, diag));
    CHECK(d.account == "111122223333");
    CHECK(d.end_time == "2015-08-17T15:01:31Z");
    CHECK(d.bucket == "example-bucket");
    CHECK(d.key.ends_with("_us-east-2_20150817T150131Z.json.gz"));
    CHECK(d.fingerprint == "31e8b5433410dfb61a9dc45cc65b22ff");
    CHECK(d.previous_key.ends_with("_20150817T140131Z.json.gz"));
    CHECK(d.previous_hash_hex == "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d");
    REQUIRE(d.log_files.size() == 1);
    CHECK(d.log_files[0].hash_hex == "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6");
    CHECK(d.log_files[0].key.ends_with("_9nYN7gp2eWAJHIfT.json.gz"));
    // The first digest of a chain: previous fields null.
    REQUIRE_FALSE(parse_digest(digest_json("null"), d, diag));
    CHECK(d.previous_signature.empty());
    CHECK(digest_signing_string(d, "ab12").ends_with("\nab12\nnull"));
    // Malformed.
    CHECK(parse_digest("[]", d, diag) == errc::malformed_response);
    CHECK(parse_digest("{\"digestEndTime\":\"x\"}", d, diag) == errc::malformed_response);
    CHECK(diag.detail.find("digestS3Bucket") != std::string::npos);
    std::string no_hash = digest_json();
    no_hash.replace(no_hash.find("\"hashValue\""), 11, "\"other\"");
    CHECK(parse_digest(no_hash, d, diag) == errc::malformed_response);
    CHECK(d.log_files.empty());
}

TEST_CASE("digest: the signing string is CloudTrail's") {
    digest_file d;
    diagnostics diag;
    REQUIRE_FALSE(parse_digest(digest_json(), d, diag));
    CHECK(digest_signing_string(d, "c0ffee") ==
          "2015-08-17T15:01:31Z\nexample-bucket/AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/"
          "111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json."
          "gz\nc0ffee\n"
          "4435ef1d9c2e2e7364f0d1a3d4d6f6b3a4c2f1e0");
}

TEST_CASE("RSA SHA-256: the same signature as the openssl command line, verified; anything changed fails") {
    const std::string message = "message to sign\n2015-08-17T15:01:31Z";
    std::string signature, der, expected_der, expected_sig;
    REQUIRE(crypto::rsa_sha256_sign(test_key_pem, message, signature, der));
    REQUIRE(crypto::base64_decode(test_public_b64, expected_der));
    REQUIRE(crypto::unhex(openssl_signature_hex, expected_sig));
    CHECK(der == expected_der);        // PKCS#1 DER, as ListPublicKeys gives keys
    CHECK(signature == expected_sig);  // PKCS#1 v1.5 is deterministic
    CHECK(crypto::rsa_sha256_verify(der, message, signature));
    CHECK_FALSE(crypto::rsa_sha256_verify(der, message + " ", signature));
    std::string flipped = signature;
    flipped[10] = static_cast<char>(flipped[10] ^ 1);
    CHECK_FALSE(crypto::rsa_sha256_verify(der, message, flipped));
    CHECK_FALSE(crypto::rsa_sha256_verify("not a key", message, signature));
    CHECK_FALSE(crypto::rsa_sha256_sign("not a key", message, signature, der));
}

TEST_CASE("verify_digest_signature: by fingerprint, with every failure named") {
    digest_file d;
    diagnostics diag;
    REQUIRE_FALSE(parse_digest(digest_json(), d, diag));
    std::string der, raw;
    REQUIRE(crypto::base64_decode(test_public_b64, der));
    const std::string sha = crypto::sha256_hex("the digest file");
    REQUIRE(crypto::rsa_sha256_sign(test_key_pem, digest_signing_string(d, sha), raw, der));
    const std::string sig = crypto::hex(raw);
    std::vector<public_key> keys{{"31e8b5433410dfb61a9dc45cc65b22ff", der, {}, {}}};
    CHECK_FALSE(verify_digest_signature(d, sha, sig, keys, diag));
    // Another file's hash, a changed end time, another key, no key, bad hex, another algorithm.
    CHECK(verify_digest_signature(d, crypto::sha256_hex("another"), sig, keys, diag) ==
          errc::integrity_error);
    CHECK(diag.detail.find("does not match") != std::string::npos);
    auto later = d;
    later.end_time = "2015-08-17T16:01:31Z";
    CHECK(verify_digest_signature(later, sha, sig, keys, diag) == errc::integrity_error);
    CHECK(verify_digest_signature(d, sha, sig, {{"other", der, {}, {}}}, diag) == errc::config_error);
    CHECK(diag.detail.find("--public-keys") != std::string::npos);
    CHECK(verify_digest_signature(d, sha, "zz", keys, diag) == errc::integrity_error);
    CHECK(verify_digest_signature(d, sha, "", keys, diag) == errc::integrity_error);
    auto md5 = d;
    md5.signature_algorithm = "MD5withRSA";
    CHECK(verify_digest_signature(md5, sha, sig, keys, diag) == errc::integrity_error);
}

TEST_CASE("public keys: ListPublicKeys (epoch seconds) and the AWS CLI's output (ISO 8601)") {
    std::vector<public_key> keys;
    diagnostics diag;
    REQUIRE_FALSE(parse_public_keys(
        R"({"PublicKeyList":[{"Value":")" + test_public_b64 +
            R"(","ValidityStartTime":1439769600,"ValidityEndTime":1442448000,"Fingerprint":"aa11"},
            {"Value":")" +
            test_public_b64 +
            R"(","ValidityStartTime":"2015-09-17T00:00:00Z","ValidityEndTime":"2015-10-17T00:00:00+00:00","Fingerprint":"bb22"}]})",
        keys, diag));
    REQUIRE(keys.size() == 2);
    CHECK(keys[0].fingerprint == "aa11");
    CHECK(std::chrono::duration_cast<std::chrono::seconds>(keys[0].valid_from.time_since_epoch()).count() ==
          1439769600);
    CHECK(keys[1].fingerprint == "bb22");
    CHECK(keys[0].der == keys[1].der);
    CHECK(parse_public_keys("{}", keys, diag) == errc::malformed_response);
    CHECK(parse_public_keys(R"({"PublicKeyList":[{"Value":"!!","Fingerprint":"x"}]})", keys, diag) ==
          errc::malformed_response);
    CHECK(keys.empty());
}

TEST_CASE("walk_chain: links, gaps, hashes and signatures") {
    auto entry = [](int hour, int prev_hour) {
        chain_entry e;
        e.bucket = "b";
        e.key = "d" + std::to_string(hour);
        e.end_time = "2024-01-01T" + std::string(hour < 10 ? "0" : "") + std::to_string(hour) + ":00:00Z";
        e.sha256_hex = "h" + std::to_string(hour);
        e.signature_hex = "s" + std::to_string(hour);
        if (prev_hour >= 0) {
            e.previous_bucket = "b";
            e.previous_key = "d" + std::to_string(prev_hour);
            e.previous_hash_hex = "h" + std::to_string(prev_hour);
            e.previous_signature = "s" + std::to_string(prev_hour);
        }
        return e;
    };
    // Whole (in any order); the oldest may name one from before the range.
    CHECK(walk_chain({entry(3, 2), entry(1, 0), entry(2, 1)}).empty());
    CHECK(walk_chain({entry(1, -1), entry(2, 1)}).empty());
    // A digest removed from the middle.
    auto gap = walk_chain({entry(1, 0), entry(3, 2), entry(4, 3)});
    REQUIRE(gap.size() == 1);
    CHECK(gap[0].key == "d3");
    CHECK(gap[0].reason == "its previous digest s3://b/d2 is missing");
    // A previous digest whose content or signature changed.
    auto changed = entry(2, 1);
    changed.sha256_hex = "other";
    auto hash = walk_chain({entry(1, 0), changed, entry(3, 2)});
    REQUIRE(hash.size() == 1);
    CHECK(hash[0].key == "d3");
    CHECK(hash[0].reason.find("hash") != std::string::npos);
    auto resigned = entry(2, 1);
    resigned.signature_hex = "other";
    auto sig = walk_chain({entry(1, 0), resigned, entry(3, 2)});
    REQUIRE(sig.size() == 1);
    CHECK(sig[0].reason.find("signature") != std::string::npos);
}

TEST_CASE("gunzip_sha256: the uncompressed content's hash, in pieces of any size; bad input named") {
    std::string text;
    for (int i = 0; i < 20000; ++i) text += "{\"eventID\":\"" + std::to_string(i * 7919) + "\"},";
    const std::string gz = gen::gzip(text);
    const std::string want = crypto::sha256_hex(text);
    for (std::size_t piece : {std::size_t(1), std::size_t(7), std::size_t(4096), gz.size()}) {
        gunzip_sha256 h;
        diagnostics diag;
        for (std::size_t i = 0; i < gz.size(); i += piece)
            REQUIRE(h.feed(std::string_view(gz).substr(i, piece), diag));
        std::string got;
        REQUIRE(h.finish(got, diag));
        CHECK(got == want);
        CHECK(h.uncompressed_bytes() == text.size());
    }
    {  // two members: one content
        gunzip_sha256 h;
        diagnostics diag;
        REQUIRE(h.feed(gen::gzip("abc") + gen::gzip("def"), diag));
        std::string got;
        REQUIRE(h.finish(got, diag));
        CHECK(got == crypto::sha256_hex("abcdef"));
    }
    {  // empty content
        gunzip_sha256 h;
        diagnostics diag;
        REQUIRE(h.feed(gen::gzip(""), diag));
        std::string got;
        REQUIRE(h.finish(got, diag));
        CHECK(got == crypto::sha256_hex(""));
    }
    {  // truncated
        gunzip_sha256 h;
        diagnostics diag;
        REQUIRE(h.feed(std::string_view(gz).substr(0, gz.size() / 2), diag));
        std::string got;
        CHECK_FALSE(h.finish(got, diag));
        CHECK(diag.detail == "the gzip file is truncated");
    }
    {  // not gzip
        gunzip_sha256 h;
        diagnostics diag;
        CHECK_FALSE(h.feed("{\"Records\":[]}", diag));
        CHECK(diag.detail.find("not a gzip file") != std::string::npos);
        std::string got;
        CHECK_FALSE(h.finish(got, diag));
    }
}

TEST_CASE(
    "generated digests: every one parses, is signed, chains, and names each file with its content's hash") {
    gen::cloudtrail_series s;
    s.account = "111122223333";
    s.region = "eu-west-1";
    s.prefix = "legacy/";
    s.files_per_day = 48;  // two files an hour
    gen::digest_options o;
    o.bucket = "old-logs";
    o.private_key_pem = test_key_pem;
    std::vector<gen::generated_digest> digests;
    std::string der, fingerprint;
    REQUIRE(gen::cloudtrail_digests(s, 7, o, digests, der, fingerprint));
    REQUIRE(digests.size() == 4);  // hours 00, 01, 02 (two files each) and 03 (one)
    std::string expected_der;
    REQUIRE(crypto::base64_decode(test_public_b64, expected_der));
    CHECK(der == expected_der);
    std::vector<public_key> keys{{fingerprint, der, {}, {}}};
    std::vector<chain_entry> chain;
    std::uint64_t index = 0;
    for (const auto& g : digests) {
        CHECK(
            g.key.starts_with("legacy/AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/01/01/"
                              "111122223333_CloudTrail-Digest_eu-west-1_s3merge-test_eu-west-1_20240101T0"));
        std::string json;
        REQUIRE(gen::gunzip(g.body, json));
        digest_file d;
        diagnostics diag;
        REQUIRE_FALSE(parse_digest(json, d, diag));
        CHECK(d.bucket == "old-logs");
        CHECK(d.key == g.key);
        const std::string sha = crypto::sha256_hex(json);
        CHECK_FALSE(verify_digest_signature(d, sha, g.signature_hex, keys, diag));
        for (const auto& f : d.log_files) {
            auto obj = gen::cloudtrail_object(s, index++);
            CHECK(f.key == obj.key);
            gunzip_sha256 h;
            REQUIRE(h.feed(obj.body, diag));
            std::string got;
            REQUIRE(h.finish(got, diag));
            CHECK(f.hash_hex == got);
        }
        chain.push_back({d.bucket, d.key, d.end_time, sha, g.signature_hex, d.previous_bucket, d.previous_key,
                         d.previous_hash_hex, d.previous_signature});
    }
    CHECK(index == 7);
    CHECK(chain.front().previous_key.empty());
    CHECK(walk_chain(chain).empty());
    chain.erase(chain.begin() + 1);
    CHECK(walk_chain(chain).size() == 1);
    CHECK_FALSE(
        gen::cloudtrail_digests(s, 7, gen::digest_options{"b", "t", "not a key"}, digests, der, fingerprint));
}
