// AWS Signature Version 4, sans-io (URI encoding: uri.hpp; hashes: crypto.hpp). The clock and the credentials
// are parameters; nothing here reads the environment or the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>

#include "s3merge/credentials.hpp"
#include "s3merge/crypto.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/uri.hpp"

namespace s3merge {

namespace sigv4 {

// Header values are trimmed and inner runs of spaces collapsed.
std::string canonical_header_value(std::string_view v);

// The payload hash of a request signed without its body, and of an empty body.
inline constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";
inline constexpr std::string_view empty_payload_sha256 =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct signing_params {
    std::string region;          // e.g. "us-east-1"
    std::string service = "s3";  // "s3", "sts", "ec2", "service" (test suite)
    std::chrono::system_clock::time_point now;
    // S3 requires x-amz-content-sha256; the generic test suite does not.
    bool add_content_sha256_header = true;
};

// Intermediate products, for --debug and tests. The signature itself and the
// signing key are deliberately absent from debug output.
struct signing_debug {
    std::string canonical_request;
    std::string string_to_sign;
};

// Signs requests in place. Adds (when absent) Host, X-Amz-Date,
// X-Amz-Content-SHA256 (if requested), X-Amz-Security-Token (if a session
// token is present), then Authorization. Every header present on the request
// is signed. Caches the derived signing key per (date, region, service,
// access key) so a busy client does four HMACs per day per scope, not per
// request. Not thread-safe; use one signer per thread or strand.
class signer {
public:
    void sign(http_request& req, const credentials& creds, const signing_params& params,
              signing_debug* debug = nullptr);

    // Pure pieces, exposed for tests.
    static std::string amz_date(std::chrono::system_clock::time_point t);  // 20150830T123600Z
    static std::string payload_hash(const http_request& req);              // hex sha256 or UNSIGNED-PAYLOAD
    static std::string canonical_request(const http_request& req, std::string_view signed_headers,
                                         std::string_view payload_hash);
    static std::string signed_headers(const http_request& req);

    // For a writer that builds the canonical request itself (http::
    // write_signed_request): appends the Authorization value for
    // `canonical_request`, signed at `amz_date` ("20150830T123600Z") with
    // the cached signing key; `signed_headers` is its ';'-separated list.
    void authorization_into(std::string& out, std::string_view canonical_request, std::string_view amz_date,
                            std::string_view signed_headers, const credentials& creds,
                            const signing_params& params);
    static void amz_date_into(std::chrono::system_clock::time_point t, char (&out)[16]);

    std::size_t cache_size() const { return cache_.size(); }

private:
    // The signing key for the scope, made ready for HMAC.
    const crypto::hmac_sha256_key& signing_key(const credentials& creds, std::string_view date8,
                                               const signing_params& params);

    // A derived key and the secret it was derived from (a secret rotated
    // under the same access key id derives again); the secret is cleansed
    // when the entry goes.
    struct key_entry {
        std::string secret;
        crypto::hmac_sha256_key key;
        key_entry() = default;
        key_entry(const key_entry&) = delete;
        key_entry& operator=(const key_entry&) = delete;
        ~key_entry();
    };
    using key_t = std::tuple<std::string, std::string, std::string, std::string>;
    std::map<key_t, key_entry> cache_;  // bounded: cleared when it exceeds 64 entries
};

// Presigned URL (query-string auth), used for tests and tools.
std::string presign_url(const http_request& req, std::string_view scheme, const credentials& creds,
                        const signing_params& params, std::chrono::seconds expires);

}  // namespace sigv4

}  // namespace s3merge
