// Names for `s3merge cloudtrail`: account ids, region names and lists, the
// bucket/prefix templates with {region} and {account}, and S3 bucket naming
// rules. Pure; every error is errc::invalid_argument with a one-line
// diag.detail that names the offending value and says how to fix it.
#pragma once

#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"

namespace s3merge::cloudtrail {

constexpr std::string_view default_source_template = "cloudtrail-{region}-{account}";
constexpr std::string_view default_dest_template = "cloudtrail-all-region-{account}";
constexpr std::string_view default_prefix_template = "AWSLogs/{account}/CloudTrail/";
constexpr std::string_view digest_prefix_template = "AWSLogs/{account}/CloudTrail-Digest/";

// Exactly 12 ASCII digits.
std::error_code validate_account_id(std::string_view account, diagnostics& diag);

// An AWS region name: a two-letter area, one or more lower-case words and a
// number, '-'-separated: us-east-1, eu-central-2, us-gov-west-1, cn-north-1,
// ap-southeast-4, il-central-1, us-isob-east-1.
std::error_code validate_region_name(std::string_view region, diagnostics& diag);

// "a, b,c" -> {"a","b","c"}: items trimmed, duplicates dropped (first
// occurrence kept), each validated. An empty list or an empty item is an
// error. "all" is not special here (the caller expands it first).
std::error_code parse_region_list(std::string_view text, std::vector<std::string>& out, diagnostics& diag);

// Replaces {region} and {account}. An unknown placeholder or an unbalanced
// brace is an error whose detail names the option, the template and the
// known placeholders, e.g. "--source-bucket-template 'cloudtrail-{regoin}':
// unknown placeholder {regoin} (known: {region}, {account})".
std::error_code expand_template(std::string_view option, std::string_view tmpl, std::string_view region,
                                std::string_view account, std::string& out, diagnostics& diag);

// Checks a template once, up front: syntax as above, not empty, and with
// require_region it must contain {region} (otherwise every region would map
// to the same bucket).
std::error_code check_template(std::string_view option, std::string_view tmpl, bool require_region,
                               diagnostics& diag);

// Amazon S3 general purpose bucket naming rules: 3-63 characters of
// lower-case letters, digits, '.' and '-'; starts and ends with a letter or
// digit; no ".."; not an IPv4 address; none of the reserved prefixes
// (xn--, sthree-, amzn-s3-demo-) or suffixes (-s3alias, --ol-s3, .mrap,
// --x-s3, --table-s3). On error diag.bucket is the name and diag.detail
// says which rule failed and what to change.
std::error_code validate_bucket_name(std::string_view name, diagnostics& diag);

}  // namespace s3merge::cloudtrail
