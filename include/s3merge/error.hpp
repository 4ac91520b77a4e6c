// The one error model of s3merge: an error_code with a project enum and
// category, plus a diagnostics value carrying what the server said and on
// which bucket/key. Callers branch on the code, never on message text.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace s3merge {

enum class errc {
    // 0 is success.
    // Client-side / configuration.
    invalid_argument = 1,
    invalid_url,
    no_credentials,
    config_error,
    // Transport.
    resolve_failed,
    connect_failed,
    timeout,
    connection_closed,  // peer closed or reset the connection
    tls_error,          // handshake failure other than verification
    tls_verify_failed,  // certificate chain or host name rejected
    body_too_large,
    protocol_error,  // malformed HTTP
    cancelled,
    // Response content.
    malformed_response,  // unparsable XML/JSON where a document was expected
    // S3 / AWS classified errors.
    throttled,     // SlowDown, 503, 429, RequestLimitExceeded, Throttling*
    server_error,  // 500/502/503/504, InternalError, ServiceUnavailable
    access_denied,
    signature_mismatch,
    invalid_access_key,
    request_time_skewed,
    expired_token,
    no_such_bucket,
    no_such_key,
    not_found,  // 404 without a body (HEAD)
    bucket_not_empty,
    bucket_already_exists,
    invalid_object_state,  // e.g. GLACIER object without a restore
    wrong_region,          // PermanentRedirect, AuthorizationHeaderMalformed (region)
    precondition_failed,
    invalid_request,  // other 4xx the client must fix
    s3_error,         // any other S3 error code
    integrity_error,  // content that does not match its signed hash (CloudTrail digests)
    job_locked,       // another run of the same job holds its lock
};

const std::error_category& s3merge_category() noexcept;
std::error_code make_error_code(errc e) noexcept;
// The enumerator's name ("timeout", "connection_closed"), a static string;
// "error" for codes of other categories. For telemetry and JSON logs.
const char* error_name(std::error_code ec) noexcept;

// What went wrong, for humans and reports. Never holds secrets, session
// tokens or signatures.
struct diagnostics {
    std::string operation;  // e.g. "ListObjectsV2"
    std::string bucket;
    std::string key;
    std::string region;
    unsigned http_status = 0;
    std::string s3_code;         // <Code>, may be empty
    std::string message;         // <Message>, may be empty
    std::string request_id;      // <RequestId> or x-amz-request-id
    std::string host_id;         // <HostId> or x-amz-id-2
    std::string detail;          // transport-level detail, e.g. "connect 127.0.0.1:7480: refused"
    unsigned attempts = 0;       // requests sent for this operation, retries included
    unsigned throttles = 0;      // throttling answers among them
    std::uint64_t paced_us = 0;  // time its requests waited for the request cap (not S3's latency)
    std::string throttle_code;   // the code of the last throttling answer ("SlowDown", "503")

    // As diagnostics{} (on every request: each string keeps its buffer).
    void clear() {
        for (std::string* s : {&operation, &bucket, &key, &region, &s3_code, &message, &request_id, &host_id,
                               &detail, &throttle_code})
            s->clear();
        http_status = attempts = throttles = 0;
        paced_us = 0;
    }
    // One line: "ListObjectsV2 s3://bucket/key (us-east-1): HTTP 403 SignatureDoesNotMatch: <message>
    // [request id ...]"
    std::string to_string() const;
};

// The one place that decides whether an error is worth retrying
// (throttling, 5xx, resets, timeouts).
bool is_retryable(std::error_code ec) noexcept;
// Throttling errors are retryable *and* should reduce the request rate.
bool is_throttle(std::error_code ec) noexcept;

// A short hint telling the user what to do next for a given error, or "".
std::string hint_for(std::error_code ec, const diagnostics& diag);

}  // namespace s3merge

template <>
struct std::is_error_code_enum<s3merge::errc> : std::true_type {};
