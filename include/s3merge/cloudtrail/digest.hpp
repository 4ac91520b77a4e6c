// CloudTrail log file integrity validation, pure: digest files (the JSON
// CloudTrail writes per region and hour: the log files it delivered with
// the SHA-256 of their uncompressed content, chained to the previous digest
// by its hash and signature), the documented signing string, the signature
// check against CloudTrail's public keys (ListPublicKeys, or the JSON that
// `aws cloudtrail list-public-keys` prints), the chain of a region's
// digests, and SHA-256 of a gzip file's uncompressed content, fed in
// pieces (nothing held whole).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/time.hpp"

namespace s3merge::cloudtrail {

struct digest_log_file {
    std::string bucket, key;     // where CloudTrail delivered it
    std::string hash_hex;        // SHA-256 of its uncompressed content
    std::string hash_algorithm;  // "SHA-256"
};

struct digest_file {
    std::string account;
    std::string start_time, end_time;           // as written ("2015-08-17T15:01:31Z")
    std::string bucket, key;                    // digestS3Bucket / digestS3Object: where it was delivered
    std::string fingerprint;                    // digestPublicKeyFingerprint
    std::string signature_algorithm;            // "SHA256withRSA"
    std::string previous_bucket, previous_key;  // empty for the first digest of a chain
    std::string previous_hash_hex;
    std::string previous_signature;  // hex; empty when null (the first of a chain)
    std::vector<digest_log_file> log_files;
};

// The uncompressed digest JSON. Missing digestEndTime, digestS3Bucket,
// digestS3Object, digestPublicKeyFingerprint or a log file without
// s3Bucket/s3Object/hashValue is malformed_response naming the field.
std::error_code parse_digest(std::string_view json, digest_file& out, diagnostics& diag);

// "<digestEndTime>\n<digestS3Bucket>/<digestS3Object>\n<hex SHA-256 of the
// uncompressed digest>\n<previousDigestSignature, or null>", as CloudTrail
// signs it (and as `aws cloudtrail validate-logs` rebuilds it).
std::string digest_signing_string(const digest_file& d, std::string_view digest_sha256_hex);

struct public_key {
    std::string fingerprint;  // hex
    std::string der;          // the key (PKCS#1 RSAPublicKey DER)
    sys_time valid_from{}, valid_to{};
};

// ListPublicKeys' answer, or `aws cloudtrail list-public-keys` output:
// {"PublicKeyList":[{"Value": base64 DER, "ValidityStartTime": ISO 8601 or
// epoch seconds, "ValidityEndTime": ..., "Fingerprint": hex}]}.
std::error_code parse_public_keys(std::string_view json, std::vector<public_key>& out, diagnostics& diag,
                                  std::string* next_token = nullptr);

// The signature (hex, from x-amz-meta-signature) over the signing string,
// with the key whose fingerprint the digest names. Errors, each with a
// one-line detail: no key with that fingerprint (config_error: give
// --public-keys or allow cloudtrail:ListPublicKeys), an algorithm other than
// SHA256withRSA, a signature that is not hex, a signature that does not
// match (integrity_error).
std::error_code verify_digest_signature(const digest_file& d, std::string_view digest_sha256_hex,
                                        std::string_view signature_hex, const std::vector<public_key>& keys,
                                        diagnostics& diag);

// One digest of a region's chain as read: where it is, when it ends, its
// own hash and signature, and what it says of the previous one.
struct chain_entry {
    std::string bucket, key;  // as named inside the digest (digestS3Bucket/Object)
    std::string end_time;
    std::string sha256_hex, signature_hex;
    std::string previous_bucket, previous_key, previous_hash_hex, previous_signature;
};

struct chain_break {
    std::string key;     // the digest whose link is broken
    std::string reason;  // "previous digest ... is missing", "hash of the previous digest differs", ...
};

// Walks a region's digests (any order; sorted by end time here): each one's
// previous digest must be present (unless it is the first of a chain) with
// the hash and signature it names. Returns every broken link.
std::vector<chain_break> walk_chain(std::vector<chain_entry> entries);

// SHA-256 of the uncompressed content of a gzip file (one or more members),
// fed in pieces of any size. finish() fails on a truncated or corrupt file.
class gunzip_sha256 {
public:
    gunzip_sha256();
    ~gunzip_sha256();
    gunzip_sha256(const gunzip_sha256&) = delete;
    gunzip_sha256& operator=(const gunzip_sha256&) = delete;
    // false once the data is not gzip (diag.detail says why).
    bool feed(std::string_view compressed, diagnostics& diag);
    bool finish(std::string& sha256_hex, diagnostics& diag);
    std::uint64_t uncompressed_bytes() const;

private:
    struct state;
    std::unique_ptr<state> s_;
};

}  // namespace s3merge::cloudtrail
