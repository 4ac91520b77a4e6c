// STS GetCallerIdentity and EC2 DescribeRegions over the AWS Query API,
// sans-io: builders return unsigned GET requests with the parameters in the
// query string (sign them for "sts" / "ec2"), parsers fill a result or return
// an errc with diagnostics. Both error shapes are understood:
//   STS: <ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>
//   EC2: <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <pugixml.hpp>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3merge::cloudtrail {

constexpr std::string_view sts_api_version = "2011-06-15";
constexpr std::string_view ec2_api_version = "2016-11-15";

struct caller_identity {
    std::string account;  // 12 digits (checked by the parser)
    std::string arn;
    std::string user_id;
};

struct region_info {
    std::string name;           // "eu-west-1"
    std::string endpoint;       // "ec2.eu-west-1.amazonaws.com"
    std::string opt_in_status;  // "opt-in-not-required" | "opted-in" | "not-opted-in" | "" (absent)
};

// GET /?Action=GetCallerIdentity&Version=2011-06-15
http_request build_get_caller_identity(const s3::target& t);
// GET /?Action=DescribeRegions&Version=2016-11-15[&AllRegions=true]
http_request build_describe_regions(const s3::target& t, bool all_regions);

// A 200 without <Account>, or with an account that is not 12 digits, is
// malformed_response with diag.detail saying what was missing.
std::error_code parse_get_caller_identity(const http_response& r, caller_identity& out, diagnostics& diag);
// Regions in document order. A 200 without <regionInfo>, or an item without a
// usable <regionName>, is malformed_response. An empty <regionInfo/> is an
// empty list, not an error.
std::error_code parse_describe_regions(const http_response& r, std::vector<region_info>& out,
                                       diagnostics& diag);

// {} for 2xx. Otherwise reads either error shape (or an S3-style <Error>),
// fills diag.http_status / s3_code / message / request_id (falling back to
// the x-amzn-RequestId header) and returns classify_query_error(...).
std::error_code check_query_response(const http_response& r, diagnostics& diag);

// Loads a 2xx body that must be a `<expected_root>` document; an error
// document (either shape, or S3's) is classified, anything else is
// malformed_response.
std::error_code load_query_result(const http_response& r, std::string_view operation,
                                  std::string_view expected_root, pugi::xml_document& doc, diagnostics& diag);

// s3::classify_error plus the STS/EC2 codes it does not know:
// InvalidClientTokenId, AuthFailure, MissingAuthenticationToken ->
// invalid_access_key; UnauthorizedOperation, OptInRequired -> access_denied;
// IncompleteSignature -> signature_mismatch; RequestExpired ->
// request_time_skewed; InternalFailure -> server_error.
std::error_code classify_query_error(unsigned http_status, std::string_view code);

// Target for a Query API service ("sts", "ec2"): endpoint_url when given
// (e.g. "http://127.0.0.1:9999"), else https://<service>.<region>.<suffix>.
// The signing region is `region` ("us-east-1" when empty). Errors:
// invalid_url / invalid_argument with diag.detail.
std::error_code resolve_query_target(std::string_view service, std::string_view endpoint_url,
                                     std::string_view region, s3::target& out, diagnostics& diag);

// The endpoint URL for a Query API service from the environment, as the AWS
// CLI resolves it: AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_STS),
// else AWS_ENDPOINT_URL, else "" (the AWS default); "" as well when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is "true". Empty variables count as
// unset. `getenv_fn` is std::getenv or a test stand-in.
std::string service_endpoint_from_env(std::string_view service,
                                      const std::function<const char*(const char*)>& getenv_fn);

}  // namespace s3merge::cloudtrail
