// CloudTrail DescribeTrails over its JSON 1.1 API, sans-io: the builder
// returns an unsigned POST (sign it for "cloudtrail"), the parser fills the
// trails or returns an errc with diagnostics. The JSON error shape is
// understood: {"__type": "...#CodeName", "message": "..."} (also the
// x-amzn-ErrorType header).
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3merge::cloudtrail {

constexpr std::string_view describe_trails_target =
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails";

struct trail {
    std::string name;
    std::string arn;          // arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME
    std::string home_region;  // where it was created
    std::string bucket;       // S3BucketName
    std::string key_prefix;   // S3KeyPrefix, without a trailing '/' ("" when none)
    bool multi_region = false;
    bool organization = false;
    bool operator==(const trail&) const = default;
};

// POST / with X-Amz-Target DescribeTrails, Content-Type
// application/x-amz-json-1.1, body {"includeShadowTrails":true} (trails of
// other regions that log this one: all-region and organization trails).
http_request build_describe_trails(const s3::target& t);

// Trails in document order. A 200 that is not a JSON object with a
// "trailList" array, or a trail without Name or S3BucketName, is
// malformed_response naming what was missing. An empty list is not an error.
std::error_code parse_describe_trails(const http_response& r, std::vector<trail>& out, diagnostics& diag);

// Error answers of a JSON API: diag.http_status / s3_code (the part of
// __type after '#') / message / request_id; the code classified
// (AccessDeniedException -> access_denied, UnrecognizedClientException ->
// invalid_access_key, ThrottlingException -> throttled, ...).
std::error_code check_json_response(const http_response& r, diagnostics& diag);

// ListPublicKeys: POST / with its X-Amz-Target and {} (or {"NextToken":..}).
constexpr std::string_view list_public_keys_target =
    "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys";
http_request build_list_public_keys(const s3::target& t, std::string_view next_token);

// Trails seen from several regions (each region's answer repeats the
// all-region ones), each once, by ARN, in first-seen order.
std::vector<trail> unique_trails(const std::vector<trail>& all);

}  // namespace s3merge::cloudtrail
