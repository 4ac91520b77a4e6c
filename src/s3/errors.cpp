// The one place that turns an S3 answer into an errc: check_response reads
// the <Error> document, classify_error maps (status, code) with one table.
#include <array>

#include "s3/xml_util.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::s3 {

namespace {

struct code_rule {
    std::string_view code;
    errc error;
};

// Error codes, compared ASCII case-insensitively (aws-c-s3 compares "SlowDown"
// and "InternalError" ignoring case). The throttling codes are botocore's
// retries/standard.py _THROTTLED_ERROR_CODES, the union of what AWS services
// send; S3 itself sends SlowDown (503).
constexpr std::array code_table = {
    // Throttling: retry, and lower the request rate.
    code_rule{"SlowDown", errc::throttled},
    code_rule{"Throttling", errc::throttled},
    code_rule{"ThrottlingException", errc::throttled},
    code_rule{"ThrottledException", errc::throttled},
    code_rule{"RequestThrottledException", errc::throttled},
    code_rule{"TooManyRequestsException", errc::throttled},
    code_rule{"ProvisionedThroughputExceededException", errc::throttled},
    code_rule{"TransactionInProgressException", errc::throttled},
    code_rule{"RequestLimitExceeded", errc::throttled},
    code_rule{"BandwidthLimitExceeded", errc::throttled},
    code_rule{"LimitExceededException", errc::throttled},
    code_rule{"RequestThrottled", errc::throttled},
    code_rule{"PriorRequestNotComplete", errc::throttled},
    code_rule{"EC2ThrottledException", errc::throttled},
    // Server side: retry.
    code_rule{"InternalError", errc::server_error},
    code_rule{"InternalErrors", errc::server_error},      // aws-c-s3 accepts both spellings
    code_rule{"ServiceUnavailable", errc::server_error},  // 503 ServiceUnavailable: throttled, below
    // botocore's _TRANSIENT_ERROR_CODES: S3 gave up waiting for our request.
    code_rule{"RequestTimeout", errc::timeout},
    code_rule{"RequestTimeoutException", errc::timeout},
    // Credentials and permissions.
    code_rule{"AccessDenied", errc::access_denied},
    code_rule{"AllAccessDisabled", errc::access_denied},
    code_rule{"AccountProblem", errc::access_denied},
    code_rule{"SignatureDoesNotMatch", errc::signature_mismatch},
    code_rule{"InvalidAccessKeyId", errc::invalid_access_key},
    code_rule{"RequestTimeTooSkewed", errc::request_time_skewed},
    code_rule{"ExpiredToken", errc::expired_token},
    code_rule{"ExpiredTokenException", errc::expired_token},
    code_rule{"TokenRefreshRequired", errc::expired_token},
    code_rule{"InvalidToken", errc::expired_token},  // a session token the server no longer knows
    // Resources.
    code_rule{"NoSuchBucket", errc::no_such_bucket},
    code_rule{"NoSuchKey", errc::no_such_key},
    code_rule{"NoSuchVersion", errc::no_such_key},
    code_rule{"NotFound", errc::not_found},
    code_rule{"BucketNotEmpty", errc::bucket_not_empty},
    code_rule{"BucketAlreadyExists", errc::bucket_already_exists},
    code_rule{"BucketAlreadyOwnedByYou", errc::bucket_already_exists},
    code_rule{"InvalidObjectState", errc::invalid_object_state},
    // The bucket lives in another region (or behind another endpoint).
    code_rule{"PermanentRedirect", errc::wrong_region},
    code_rule{"TemporaryRedirect", errc::wrong_region},
    code_rule{"AuthorizationHeaderMalformed", errc::wrong_region},
    code_rule{"IllegalLocationConstraintException", errc::wrong_region},
    // Conditional requests.
    code_rule{"PreconditionFailed", errc::precondition_failed},
};

void append_detail(diagnostics& diag, const std::string& text) {
    if (text.empty()) return;
    if (!diag.detail.empty()) diag.detail += "; ";
    diag.detail += text;
}

bool icontains(std::string_view haystack, std::string_view needle) {
    for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i)
        if (iequals(haystack.substr(i, needle.size()), needle)) return true;
    return false;
}

// A short, printable ASCII excerpt of a body that is not an S3 error document
// (e.g. a proxy's HTML page), for the user to recognise who answered. A body
// that may echo our request's credentials is withheld: diagnostics never
// carry a session token or a signature.
std::string excerpt(std::string_view body) {
    if (icontains(body, "security-token") || icontains(body, "authorization") ||
        icontains(body, "signature="))
        return "(withheld: it may echo request credentials)";
    constexpr std::size_t max_len = 120;
    std::string out;
    for (char c : body.substr(0, max_len)) {
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 || u >= 0x7f) ? (u >= 0x80 ? '?' : ' ') : c;
    }
    if (body.size() > max_len) out += "...";
    return out;
}

void fill_from_headers(const http_response& resp, diagnostics& diag) {
    if (diag.request_id.empty())
        if (const std::string* v = resp.find_header("x-amz-request-id")) diag.request_id = *v;
    if (diag.host_id.empty())
        if (const std::string* v = resp.find_header("x-amz-id-2")) diag.host_id = *v;
}

std::string header_region(const http_response& resp) {
    const std::string* r = resp.find_header("x-amz-bucket-region");
    return r ? *r : std::string();
}

}  // namespace

std::error_code classify_error(unsigned http_status, std::string_view s3_code) {
    if (!s3_code.empty()) {
        // S3 documents 503 ServiceUnavailable as "reduce your request rate",
        // and aws-c-s3 treats every 503 as SlowDown: a throttle, not a fault.
        if (http_status == 503 && iequals(s3_code, "ServiceUnavailable"))
            return make_error_code(errc::throttled);
        for (const code_rule& rule : code_table)
            if (iequals(rule.code, s3_code)) return make_error_code(rule.error);
    }
    switch (http_status) {
        case 301:
        case 307:
            return make_error_code(errc::wrong_region);
        case 403:
            // HEAD answers carry no body; a bare 403 is a permission problem
            // (or a signature one, which S3 only tells apart in the body).
            if (s3_code.empty()) return make_error_code(errc::access_denied);
            break;
        case 404:
            return make_error_code(errc::not_found);
        case 412:
            return make_error_code(errc::precondition_failed);
        case 429:
            return make_error_code(errc::throttled);
        case 503:
            return make_error_code(errc::throttled);
        case 501:
            return make_error_code(errc::s3_error);  // NotImplemented: retrying won't help
        default:
            break;
    }
    if (http_status >= 500 && http_status < 600) return make_error_code(errc::server_error);
    if (http_status >= 400 && http_status < 500) return make_error_code(errc::invalid_request);
    return make_error_code(errc::s3_error);
}

namespace detail {

std::error_code error_from_document(const pugi::xml_node& error, const http_response& resp,
                                    diagnostics& diag) {
    diag.http_status = resp.status;
    diag.s3_code = child_text(error, "Code");
    diag.message = child_text(error, "Message");
    diag.request_id = child_text(error, "RequestId");
    diag.host_id = child_text(error, "HostId");
    fill_from_headers(resp, diag);
    std::error_code ec = classify_error(resp.status, diag.s3_code);
    // Where S3 says the bucket really is: AuthorizationHeaderMalformed and
    // IllegalLocationConstraintException carry <Region>, PermanentRedirect
    // carries <Endpoint>, and HEAD-style answers only the header.
    std::string region = child_text(error, "Region");
    if (region.empty() && ec == errc::wrong_region) region = header_region(resp);
    if (!region.empty()) append_detail(diag, "the bucket's region is " + region);
    if (std::string endpoint = child_text(error, "Endpoint"); !endpoint.empty())
        append_detail(diag, "S3 asks to use endpoint " + endpoint);
    return ec;
}

}  // namespace detail

std::error_code check_response(const http_response& resp, diagnostics& diag) {
    if (resp.status >= 200 && resp.status < 300) return {};
    diag.http_status = resp.status;
    diag.s3_code.clear();
    diag.message.clear();
    diag.request_id.clear();
    diag.host_id.clear();
    if (!resp.body.empty()) {
        pugi::xml_document doc;
        std::string why;
        if (detail::load_xml(resp.body, doc, why) && detail::local_name(doc.document_element()) == "Error")
            return detail::error_from_document(doc.document_element(), resp, diag);
        append_detail(diag, "response body: " + excerpt(resp.body));
    }
    fill_from_headers(resp, diag);
    std::error_code ec = classify_error(resp.status, {});
    if (ec == errc::wrong_region)
        if (std::string region = header_region(resp); !region.empty())
            append_detail(diag, "the bucket's region is " + region);
    return ec;
}

}  // namespace s3merge::s3
