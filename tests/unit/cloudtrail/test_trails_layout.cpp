// CloudTrail DescribeTrails (JSON 1.1) and the key layouts / discovery plan.
#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

#include "s3merge/cloudtrail/layout.hpp"
#include "s3merge/cloudtrail/trails.hpp"

using namespace s3merge;
using namespace s3merge::cloudtrail;

namespace {

http_response response(unsigned status, std::string body,
                       std::vector<std::pair<std::string, std::string>> h = {}) {
    http_response r;
    r.status = status;
    r.body = std::move(body);
    for (auto& [k, v] : h) r.headers.push_back({k, v});
    return r;
}

// The shape of the AWS CLI's describe-trails example (two trails), plus an
// all-region organization trail as a member account sees it (a shadow).
const std::string describe_example = R"({
    "trailList": [
        {
            "IncludeGlobalServiceEvents": true,
            "Name": "Trail1",
            "TrailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail1",
            "LogFileValidationEnabled": false,
            "IsMultiRegionTrail": false,
            "S3BucketName": "example-bucket",
            "SnsTopicName": "my-topic",
            "HomeRegion": "us-east-1"
        },
        {
            "IncludeGlobalServiceEvents": true,
            "Name": "Trail2",
            "S3KeyPrefix": "my-prefix",
            "TrailARN": "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail2",
            "LogFileValidationEnabled": false,
            "IsMultiRegionTrail": false,
            "S3BucketName": "example-bucket2",
            "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/4c5ae5ac-3c13-421e-8335-c7868ef6a769",
            "HomeRegion": "us-east-1"
        },
        {
            "Name": "org-trail",
            "S3BucketName": "org-logs",
            "S3KeyPrefix": "central/",
            "TrailARN": "arn:aws:cloudtrail:eu-west-1:111111111111:trail/org-trail",
            "IsMultiRegionTrail": true,
            "IsOrganizationTrail": true,
            "HomeRegion": "eu-west-1"
        }
    ]
})";

}  // namespace

TEST_CASE("DescribeTrails: the request is JSON 1.1 with shadow trails") {
    s3::target t;
    t.host_header = "cloudtrail.eu-west-1.amazonaws.com";
    auto req = build_describe_trails(t);
    CHECK(req.method == "POST");
    CHECK(req.path == "/");
    CHECK(req.body == "{\"includeShadowTrails\":true}");
    REQUIRE(req.find_header("X-Amz-Target"));
    CHECK(*req.find_header("X-Amz-Target") ==
          "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails");
    REQUIRE(req.find_header("Content-Type"));
    CHECK(*req.find_header("Content-Type") == "application/x-amz-json-1.1");
}

TEST_CASE("DescribeTrails: the AWS example is read field by field") {
    std::vector<trail> trails;
    diagnostics diag;
    REQUIRE_FALSE(parse_describe_trails(response(200, describe_example), trails, diag));
    REQUIRE(trails.size() == 3);
    CHECK(trails[0] == trail{"Trail1", "arn:aws:cloudtrail:us-east-1:123456789012:trail/Trail1", "us-east-1",
                             "example-bucket", "", false, false});
    CHECK(trails[1].key_prefix == "my-prefix");
    CHECK(trails[1].bucket == "example-bucket2");
    CHECK(trails[2].key_prefix == "central");  // the trailing '/' dropped
    CHECK(trails[2].multi_region);
    CHECK(trails[2].organization);
    CHECK(trails[2].home_region == "eu-west-1");
    // Each region repeats the all-region trails: kept once.
    auto twice = trails;
    twice.insert(twice.end(), trails.begin(), trails.end());
    CHECK(unique_trails(twice) == trails);
    REQUIRE_FALSE(parse_describe_trails(response(200, R"({"trailList":[]})"), trails, diag));
    CHECK(trails.empty());
}

TEST_CASE("DescribeTrails: malformed answers and JSON errors") {
    std::vector<trail> trails;
    diagnostics diag;
    CHECK(parse_describe_trails(response(200, "<html>"), trails, diag) == errc::malformed_response);
    CHECK(parse_describe_trails(response(200, "{}"), trails, diag) == errc::malformed_response);
    CHECK(diag.detail.find("trailList") != std::string::npos);
    CHECK(parse_describe_trails(response(200, R"({"trailList":[{"S3BucketName":"b"}]})"), trails, diag) ==
          errc::malformed_response);
    diag = {};
    CHECK(parse_describe_trails(
              response(
                  400,
                  R"({"__type":"com.amazonaws.cloudtrail.v20131101#AccessDeniedException","message":"no"})",
                  {{"x-amzn-RequestId", "req-1"}}),
              trails, diag) == errc::access_denied);
    CHECK(diag.s3_code == "AccessDeniedException");
    CHECK(diag.message == "no");
    CHECK(diag.request_id == "req-1");
    CHECK(diag.http_status == 400);
    diag = {};
    CHECK(parse_describe_trails(response(400, R"({"__type":"UnrecognizedClientException","message":"bad"})"),
                                trails, diag) == errc::invalid_access_key);
    diag = {};
    CHECK(parse_describe_trails(response(400, "{}", {{"x-amzn-ErrorType", "ThrottlingException:http://x"}}),
                                trails, diag) == errc::throttled);
    CHECK(diag.s3_code == "ThrottlingException");
    diag = {};
    CHECK(parse_describe_trails(response(400, R"({"__type":"ExpiredTokenException"})"), trails, diag) ==
          errc::expired_token);
    diag = {};
    CHECK(parse_describe_trails(response(500, ""), trails, diag) == errc::server_error);
}

TEST_CASE("layout: every prefix, with and without a key prefix, organization, digests and insights") {
    const std::string a = "123456789012";
    CHECK(log_prefix("", "", a, log_kind::logs, "us-east-1") == "AWSLogs/123456789012/CloudTrail/us-east-1/");
    CHECK(log_prefix("my-prefix", "", a, log_kind::logs, "eu-west-1") ==
          "my-prefix/AWSLogs/123456789012/CloudTrail/eu-west-1/");
    CHECK(log_prefix("/a/b/", "", a, log_kind::logs, "") == "a/b/AWSLogs/123456789012/CloudTrail/");
    CHECK(log_prefix("", "o-abcdefghij", a, log_kind::logs, "us-east-2") ==
          "AWSLogs/o-abcdefghij/123456789012/CloudTrail/us-east-2/");
    CHECK(log_prefix("central", "o-abcdefghij", a, log_kind::digests, "us-east-2") ==
          "central/AWSLogs/o-abcdefghij/123456789012/CloudTrail-Digest/us-east-2/");
    CHECK(log_prefix("", "", a, log_kind::insights, "ap-south-1") ==
          "AWSLogs/123456789012/CloudTrail-Insight/ap-south-1/");
    CHECK(sample_key("AWSLogs/123456789012/CloudTrail/us-east-1/", a, "us-east-1", log_kind::logs) ==
          "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/01/"
          "123456789012_CloudTrail_us-east-1_20240101T0005Z_0123456789abcdef.json.gz");

    source_row row{"eu-west-1", {"old-eu", "legacy", ""}, found_by::trail, "old"};
    destination dest{{"all-logs", "central", "o-abcdefghij"}, "org-trail", true};
    auto m = map_row(row, dest, a, true, true);
    REQUIRE(m.size() == 3);
    CHECK(m[0].kind == log_kind::logs);
    CHECK(m[0].src_prefix == "legacy/AWSLogs/123456789012/CloudTrail/eu-west-1/");
    CHECK(m[0].dest_prefix == "central/AWSLogs/o-abcdefghij/123456789012/CloudTrail/eu-west-1/");
    CHECK(m[1].src_prefix == "legacy/AWSLogs/123456789012/CloudTrail-Digest/eu-west-1/");
    CHECK(m[1].dest_prefix == "central/AWSLogs/o-abcdefghij/123456789012/CloudTrail-Digest/eu-west-1/");
    CHECK(m[2].dest_prefix == "central/AWSLogs/o-abcdefghij/123456789012/CloudTrail-Insight/eu-west-1/");
    CHECK(map_row(row, dest, a, false, false).size() == 1);
    // An account trail to an account trail without prefixes: the same keys.
    auto same = map_row({"us-east-1", {"b1", "", ""}, found_by::content, ""}, {{"b2", "", ""}, "t", false}, a,
                        false, false);
    CHECK(same[0].src_prefix == same[0].dest_prefix);
}

TEST_CASE("layout: regions and organization ids from delimiter listings") {
    const std::string p = "AWSLogs/123456789012/CloudTrail/";
    CHECK(regions_under(p, {p + "us-east-1/", p + "eu-west-1/", p + "not a region/", p + "us-east-1/",
                            "AWSLogs/999999999999/CloudTrail/us-west-2/", p + "a/b/", p + "ap-south-1"}) ==
          std::vector<std::string>{"eu-west-1", "us-east-1"});
    CHECK(org_ids_under("AWSLogs/", {"AWSLogs/o-abcdefghij/", "AWSLogs/123456789012/", "AWSLogs/o-x/",
                                     "AWSLogs/o-ABCDEFGHIJ/"}) == std::vector<std::string>{"o-abcdefghij"});
}

namespace {

trail make_trail(std::string name, std::string region, std::string bucket, std::string prefix, bool multi,
                 bool org = false) {
    return {
        name, "arn:aws:cloudtrail:" + region + ":123456789012:trail/" + name, region, bucket, prefix, multi,
        org};
}

discovery_result plan_ok(const discovery_inputs& in) {
    discovery_result out;
    diagnostics diag;
    auto ec = plan_discovery(in, out, diag);
    INFO(diag.detail);
    REQUIRE_FALSE(ec);
    return out;
}

}  // namespace

TEST_CASE("plan_discovery: a real setup: arbitrary names, a shared bucket, a prefix, a deleted trail") {
    discovery_inputs in;
    in.account = "123456789012";
    in.trails = {make_trail("all", "us-east-1", "central-logs", "", true),
                 make_trail("east", "us-east-1", "team-a-trail", "", false),
                 make_trail("west", "us-west-2", "shared-old-logs", "", false),
                 make_trail("eu", "eu-west-1", "shared-old-logs", "", false),
                 make_trail("apac", "ap-south-1", "apac-logs", "ct", false)};
    // Content: the shared bucket also holds a region whose trail is gone;
    // the deleted trail's own bucket; the destination's own logs.
    in.contents = {{"shared-old-logs", "", "", {"eu-west-1", "us-west-1", "us-west-2"}},
                   {"deleted-trail-bucket", "", "", {"ca-central-1"}},
                   {"central-logs", "", "", {"us-east-1", "eu-west-1"}}};
    auto out = plan_ok(in);
    CHECK(out.dest.where == log_location{"central-logs", "", ""});
    CHECK(out.dest.trail == "all");
    std::vector<std::string> got;
    for (const auto& r : out.rows)
        got.push_back(r.region + " " + r.where.bucket + "/" + r.where.key_prefix + " " + to_string(r.by) +
                      " " + r.trail);
    CHECK(got == std::vector<std::string>{
                     "ap-south-1 apac-logs/ct trail apac", "ca-central-1 deleted-trail-bucket/ content ",
                     "eu-west-1 shared-old-logs/ trail eu", "us-east-1 team-a-trail/ trail east",
                     "us-west-1 shared-old-logs/ content ", "us-west-2 shared-old-logs/ trail west"});
}

TEST_CASE(
    "plan_discovery: the destination: one all-region trail, several, none, --dest-bucket, organization") {
    discovery_inputs in;
    in.account = "123456789012";
    discovery_result out;
    diagnostics diag;
    // None.
    in.trails = {make_trail("east", "us-east-1", "b-east", "", false)};
    CHECK(plan_discovery(in, out, diag) == errc::not_found);
    CHECK(diag.detail.find("no all-region trail") != std::string::npos);
    CHECK(diag.detail.find("--dest-bucket") != std::string::npos);
    // None, but --dest-bucket: the default layout there.
    in.dest_bucket = "my-dest";
    auto o1 = plan_ok(in);
    CHECK(o1.dest.where == log_location{"my-dest", "", ""});
    CHECK(o1.rows.size() == 1);
    // Several writing to different places: choose with --dest-bucket.
    in.dest_bucket.clear();
    in.trails.push_back(make_trail("all1", "us-east-1", "d1", "", true));
    in.trails.push_back(make_trail("all2", "eu-west-1", "d2", "x", true));
    diag = {};
    CHECK(plan_discovery(in, out, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("all1 -> s3://d1") != std::string::npos);
    CHECK(diag.detail.find("all2 -> s3://d2/x") != std::string::npos);
    in.dest_bucket = "d2";
    auto o2 = plan_ok(in);
    CHECK(o2.dest.where == log_location{"d2", "x", ""});
    CHECK(o2.dest.trail == "all2");
    // An organization trail needs its organization id.
    in.dest_bucket.clear();
    in.trails = {make_trail("org", "us-east-1", "org-logs", "", true, true),
                 make_trail("east", "us-east-1", "b-east", "", false)};
    diag = {};
    CHECK(plan_discovery(in, out, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("--org-id") != std::string::npos);
    in.org_id = "o-abcdefghij";
    auto o3 = plan_ok(in);
    CHECK(o3.dest.where == log_location{"org-logs", "", "o-abcdefghij"});
    CHECK(o3.dest.organization);
    auto m = map_row(o3.rows.at(0), o3.dest, in.account, false, false);
    CHECK(m[0].dest_prefix == "AWSLogs/o-abcdefghij/123456789012/CloudTrail/us-east-1/");
    in.org_id = "org-1";
    diag = {};
    CHECK(plan_discovery(in, out, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("--org-id 'org-1'") != std::string::npos);
    // --dest-prefix overrides the trail's key prefix.
    in.org_id = "o-abcdefghij";
    in.dest_prefix = "new/";
    CHECK(plan_ok(in).dest.where.key_prefix == "new");
}

TEST_CASE(
    "plan_discovery: never the destination's own logs, each place once, bad names left out with a note") {
    discovery_inputs in;
    in.account = "123456789012";
    in.trails = {make_trail("all", "us-east-1", "dest", "", true),
                 make_trail("same", "eu-west-1", "dest", "", false),  // writes where the destination is
                 make_trail("other", "eu-west-1", "dest", "old", false)};
    in.contents = {{"dest", "", "", {"eu-west-1", "us-east-1"}},
                   {"dest", "old", "", {"eu-west-1"}},  // the same as trail "other": once
                   {"Bad_Bucket", "", "", {"us-east-1"}}};
    auto out = plan_ok(in);
    REQUIRE(out.rows.size() == 1);
    CHECK(out.rows[0].where == log_location{"dest", "old", ""});
    CHECK(out.rows[0].by == found_by::trail);
    bool noted_same = false, noted_bad = false;
    for (const auto& n : out.notes) {
        noted_same |= n.find("trail same") != std::string::npos;
        noted_bad |= n.find("Bad_Bucket") != std::string::npos;
    }
    CHECK(noted_same);
    CHECK(noted_bad);
}

TEST_CASE("DescribeTrails: a failed parse leaves no trails behind") {
    std::vector<trail> trails;
    diagnostics diag;
    CHECK(parse_describe_trails(
              response(200, R"({"trailList":[{"Name":"ok","S3BucketName":"b"},{"S3BucketName":"c"}]})"),
              trails, diag) == errc::malformed_response);
    CHECK(trails.empty());
}
