// After a CloudTrail consolidation: the Athena table over the merged bucket,
// the list of things a user must still change by hand, and the S3 request
// cost of the run. Pure text and arithmetic.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"

namespace s3merge::cloudtrail {

struct athena_params {
    std::string table = "cloudtrail_logs";  // "name" or "database.name"
    std::string bucket;                     // the consolidated bucket
    std::string account;
    std::vector<std::string> regions;       // projection.region.values
    std::string start_date = "2013/11/01";  // yyyy/MM/dd, first day of projection.timestamp.range
    std::string prefix;                     // "AWSLogs/<account>/CloudTrail/" when empty
};

// Checks what athena_ddl() puts into the statement: the table name (letters,
// digits and '_', optionally "database.table"), the bucket name, the account,
// at least one valid region, a yyyy/MM/dd start date, and a prefix without
// quotes, '$' or control characters. errc::invalid_argument with diag.detail.
std::error_code check_athena_params(const athena_params& p, diagnostics& diag);

// CREATE EXTERNAL TABLE for CloudTrail logs with partition projection on
// region (enum) and timestamp (date, yyyy/MM/dd, one day, from start_date to
// NOW), as in the Athena documentation ("Create the table for CloudTrail logs
// in Athena using partition projection", with the region enum of its
// organization-trail variant). Uses the Hive JSON SerDe with the CloudTrail
// input format, which that documentation recommends over
// com.amazon.emr.hive.serde.CloudTrailSerde (it does not read some newer
// fields). Expects parameters that passed check_athena_params.
std::string athena_ddl(const athena_params& p);

// What a user must still change by hand after consolidating, one line per
// item, each naming the buckets concretely (up to three old bucket names,
// then "and N more"): old trails, SNS topics, CloudWatch Logs, S3 event
// consumers, third-party readers, Athena/Glue tables, log file integrity
// validation, and retention/policies/KMS on the new bucket.
// logs_prefix: where the logs are at the destination ("" for
// AWSLogs/<account>/CloudTrail/; an organization or prefixed layout otherwise).
std::vector<std::string> post_migration_hints(std::string_view account, std::string_view dest_bucket,
                                              const std::vector<std::string>& source_buckets,
                                              std::string_view logs_prefix = {});

// "a, b, c and 4 more" (at most `shown` names); "" for an empty list.
std::string bucket_list_text(const std::vector<std::string>& buckets, std::size_t shown = 3);

// Estimated S3 request charges in USD at us-east-1 prices: COPY, PUT and
// LIST requests $0.005 per 1,000; DELETE requests are free.
constexpr double usd_per_1000_copy_put_list = 0.005;
struct request_cost {
    std::uint64_t copy_requests = 0;  // CopyObject, UploadPartCopy, Create/Complete multipart
    std::uint64_t list_requests = 0;  // ListObjectsV2 pages
    double usd() const;
};

}  // namespace s3merge::cloudtrail
