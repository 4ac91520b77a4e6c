// Account and region discovery for `s3merge cloudtrail`: STS
// GetCallerIdentity and EC2 DescribeRegions sent through the S3 client's
// execute() (signed for "sts" / "ec2", retried per its policy). The pure
// halves live in query_api.hpp.
#pragma once

#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "s3merge/client/s3_client.hpp"
#include "s3merge/cloudtrail/digest.hpp"
#include "s3merge/cloudtrail/query_api.hpp"
#include "s3merge/cloudtrail/trails.hpp"
#include "s3merge/error.hpp"

namespace s3merge::cloudtrail {

// The signing region is c.config().region; endpoint_url is the service's
// endpoint ("" = https://sts.<region>.amazonaws.com), e.g. from
// service_endpoint_from_env("sts", ...). diag gets operation
// ("GetCallerIdentity") and region. Throttling answered with a 4xx status
// (STS sends "400 Throttling") is retried here; 5xx and 429 are retried
// inside execute().
boost::asio::awaitable<std::error_code> get_caller_identity(s3::client& c, std::string endpoint_url,
                                                            caller_identity& out, diagnostics& diag);

// As above for EC2 DescribeRegions ("DescribeRegions"); all_regions also
// lists the regions the account has not opted in to.
boost::asio::awaitable<std::error_code> describe_regions(s3::client& c, std::string endpoint_url,
                                                         bool all_regions, std::vector<region_info>& out,
                                                         diagnostics& diag);

// CloudTrail DescribeTrails (with shadow trails) in `region`, signed for
// that region, at endpoint_url ("" = https://cloudtrail.<region>.amazonaws.com).
boost::asio::awaitable<std::error_code> describe_trails(s3::client& c, std::string endpoint_url,
                                                        std::string region, std::vector<trail>& out,
                                                        diagnostics& diag);

// CloudTrail ListPublicKeys in `region` (all pages): the keys that sign its
// digest files.
boost::asio::awaitable<std::error_code> list_public_keys(s3::client& c, std::string endpoint_url,
                                                         std::string region, std::vector<public_key>& out,
                                                         diagnostics& diag);

}  // namespace s3merge::cloudtrail
