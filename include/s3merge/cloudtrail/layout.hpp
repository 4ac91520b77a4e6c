// Where CloudTrail's logs are and where they go, pure: the key layout
// ([KeyPrefix/]AWSLogs/[o-org/]ACCOUNT/CloudTrail[-Digest|-Insight]/REGION/),
// the source rows found from trails, bucket content, a name template or
// --source, the destination (the all-region trail, or --dest-bucket), and
// each row's source prefix -> destination prefix mapping.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/cloudtrail/trails.hpp"
#include "s3merge/error.hpp"

namespace s3merge::cloudtrail {

enum class log_kind { logs, digests, insights };
// "CloudTrail", "CloudTrail-Digest", "CloudTrail-Insight"
std::string_view kind_dir(log_kind k);

// "[key_prefix/]AWSLogs/[org_id/]account/<kind_dir>/[region/]"
std::string log_prefix(std::string_view key_prefix, std::string_view org_id, std::string_view account,
                       log_kind k, std::string_view region);

// An object key CloudTrail would write under `prefix` (a log_prefix with its
// region) on 2024-01-01, for showing a mapping.
std::string sample_key(std::string_view prefix, std::string_view account, std::string_view region,
                       log_kind k);

enum class found_by { trail, content, name_template, source_option };
const char* to_string(found_by b);

// One trail's (or one layout's) place: bucket, the S3KeyPrefix before
// AWSLogs/ ("" for none), and the organization id of an organization
// trail's layout ("" for an account trail).
struct log_location {
    std::string bucket, key_prefix, org_id;
    bool operator==(const log_location&) const = default;
};

// One region's logs of the account in one place.
struct source_row {
    std::string region;
    log_location where;
    found_by by = found_by::trail;
    std::string trail;  // the trail that writes (or wrote) there, when known
};

struct destination {
    log_location where;
    std::string trail;  // the all-region trail's name; "" with --dest-bucket and no such trail
    bool organization = false;
};

struct region_mapping {
    log_kind kind = log_kind::logs;
    std::string src_prefix, dest_prefix;
};

// logs, then digests and insights when asked: each the row's region's
// prefix at the source and at the destination.
std::vector<region_mapping> map_row(const source_row& row, const destination& dest, std::string_view account,
                                    bool digests, bool insights);

// What one bucket holds for the account under one key prefix: the regions
// under [key_prefix/]AWSLogs/[org_id/]ACCOUNT/CloudTrail/.
struct content_probe {
    std::string bucket, key_prefix, org_id;
    std::vector<std::string> regions;
};

// From a delimiter listing's common prefixes under `parent` (e.g.
// "AWSLogs/123456789012/CloudTrail/"): the region names ("us-east-1" of
// ".../us-east-1/"), valid ones only, sorted.
std::vector<std::string> regions_under(std::string_view parent,
                                       const std::vector<std::string>& common_prefixes);
// From the common prefixes under "[key_prefix/]AWSLogs/": organization ids
// ("o-" and 10 to 32 lower-case letters or digits), sorted.
std::vector<std::string> org_ids_under(std::string_view parent,
                                       const std::vector<std::string>& common_prefixes);

struct discovery_inputs {
    std::string account;
    std::vector<trail> trails;  // each once (unique_trails)
    std::vector<content_probe> contents;
    std::string dest_bucket;                 // --dest-bucket; "" for the all-region trail's
    std::optional<std::string> dest_prefix;  // --dest-prefix: the destination's key prefix
    std::string org_id;                      // --org-id, or found under the destination's AWSLogs/
};

struct discovery_result {
    destination dest;
    std::vector<source_row> rows;    // by region, then bucket and prefix
    std::vector<std::string> notes;  // one line each: what was left out and why
};

// The destination: --dest-bucket (with the all-region trail's prefix and
// layout when a trail writes there), else the one all-region trail; none
// or several different ones is an error saying what to pass. An
// organization trail needs the organization id (org_id). The sources: every
// single-region trail's place and every place found by content, each
// region once per place, leaving out the destination's own logs.
std::error_code plan_discovery(const discovery_inputs& in, discovery_result& out, diagnostics& diag);

}  // namespace s3merge::cloudtrail
