#include "s3merge/error.hpp"

#include <iterator>

namespace s3merge {

namespace {

class category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "s3merge"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
            case errc::invalid_argument:
                return "invalid argument";
            case errc::invalid_url:
                return "invalid URL";
            case errc::no_credentials:
                return "no credentials found";
            case errc::config_error:
                return "configuration error";
            case errc::resolve_failed:
                return "host name resolution failed";
            case errc::connect_failed:
                return "connection failed";
            case errc::timeout:
                return "timed out";
            case errc::connection_closed:
                return "connection closed by peer";
            case errc::tls_error:
                return "TLS error";
            case errc::tls_verify_failed:
                return "TLS certificate verification failed";
            case errc::body_too_large:
                return "response body too large";
            case errc::protocol_error:
                return "HTTP protocol error";
            case errc::cancelled:
                return "cancelled";
            case errc::malformed_response:
                return "malformed response";
            case errc::throttled:
                return "throttled by the server";
            case errc::server_error:
                return "server error";
            case errc::access_denied:
                return "access denied";
            case errc::signature_mismatch:
                return "signature does not match";
            case errc::invalid_access_key:
                return "invalid access key id";
            case errc::request_time_skewed:
                return "request time too skewed";
            case errc::expired_token:
                return "expired token";
            case errc::no_such_bucket:
                return "no such bucket";
            case errc::no_such_key:
                return "no such key";
            case errc::not_found:
                return "not found";
            case errc::bucket_not_empty:
                return "bucket not empty";
            case errc::bucket_already_exists:
                return "bucket already exists";
            case errc::invalid_object_state:
                return "invalid object state";
            case errc::wrong_region:
                return "wrong region for bucket";
            case errc::precondition_failed:
                return "precondition failed";
            case errc::invalid_request:
                return "invalid request";
            case errc::s3_error:
                return "S3 error";
            case errc::job_locked:
                return "another run of the same job is running";
            case errc::integrity_error:
                return "integrity check failed";
        }
        return "unknown s3merge error";
    }
};

}  // namespace

const std::error_category& s3merge_category() noexcept {
    static const category_impl instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), s3merge_category()};
}

bool is_throttle(std::error_code ec) noexcept {
    return ec == errc::throttled;
}

bool is_retryable(std::error_code ec) noexcept {
    if (ec.category() != s3merge_category()) return false;
    switch (static_cast<errc>(ec.value())) {
        case errc::throttled:
        case errc::server_error:
        case errc::timeout:
        case errc::connection_closed:
        case errc::connect_failed:
        case errc::resolve_failed:
        case errc::protocol_error:
        case errc::request_time_skewed:  // re-signed with a fresh clock on retry
            return true;
        default:
            return false;
    }
}

std::string diagnostics::to_string() const {
    std::string out = operation.empty() ? std::string("request") : operation;
    if (!bucket.empty()) {
        out += " s3://";
        out += bucket;
        if (!key.empty()) {
            out += '/';
            out += key;
        }
    }
    if (!region.empty()) out += " (" + region + ")";
    out += ':';
    if (http_status != 0) out += " HTTP " + std::to_string(http_status);
    if (!s3_code.empty()) out += " " + s3_code;
    if (!message.empty()) out += ": " + message;
    if (!detail.empty()) out += (http_status || !s3_code.empty() ? "; " : " ") + detail;
    if (!request_id.empty()) out += " [request id " + request_id + "]";
    return out;
}

std::string hint_for(std::error_code ec, const diagnostics& diag) {
    if (ec.category() != s3merge_category()) return {};
    switch (static_cast<errc>(ec.value())) {
        case errc::signature_mismatch:
            return "check the secret access key (AWS_SECRET_ACCESS_KEY or the profile's "
                   "aws_secret_access_key) and that the endpoint does not rewrite the Host header";
        case errc::invalid_access_key:
            return "check the access key id (AWS_ACCESS_KEY_ID, --profile) for this endpoint";
        case errc::no_credentials:
            return "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or pass --profile NAME";
        case errc::request_time_skewed:
            return "the system clock is off; synchronise it (e.g. with NTP)";
        case errc::expired_token:
            return "the session token has expired; refresh the credentials";
        case errc::access_denied:
            return "the credentials lack permission for this operation on " +
                   (diag.bucket.empty() ? std::string("this resource") : "bucket " + diag.bucket);
        case errc::no_such_bucket:
            return "check the bucket name" +
                   (diag.bucket.empty() ? std::string() : " '" + diag.bucket + "'") + " and the account";
        case errc::wrong_region:
            return "the bucket is in another region; pass --region with the bucket's region";
        case errc::tls_verify_failed:
            return "the server certificate was not trusted or does not match the host name; "
                   "pass --ca-bundle FILE (or set AWS_CA_BUNDLE) with the CA that signed it, and "
                   "use the host name the certificate was issued for";
        case errc::resolve_failed:
        case errc::connect_failed:
            return "check --endpoint-url and that the server is reachable";
        case errc::throttled:
            return "the server is throttling; lower --concurrency or retry later";
        default:
            return {};
    }
}

const char* error_name(std::error_code ec) noexcept {
    static const char* const names[] = {
        "invalid_argument",
        "invalid_url",
        "no_credentials",
        "config_error",
        "resolve_failed",
        "connect_failed",
        "timeout",
        "connection_closed",
        "tls_error",
        "tls_verify_failed",
        "body_too_large",
        "protocol_error",
        "cancelled",
        "malformed_response",
        "throttled",
        "server_error",
        "access_denied",
        "signature_mismatch",
        "invalid_access_key",
        "request_time_skewed",
        "expired_token",
        "no_such_bucket",
        "no_such_key",
        "not_found",
        "bucket_not_empty",
        "bucket_already_exists",
        "invalid_object_state",
        "wrong_region",
        "precondition_failed",
        "invalid_request",
        "s3_error",
        "integrity_error",
        "job_locked",
    };
    if (ec.category() != s3merge_category()) return "error";
    const auto v = static_cast<std::size_t>(ec.value());
    return v >= 1 && v <= std::size(names) ? names[v - 1] : "error";
}

}  // namespace s3merge
