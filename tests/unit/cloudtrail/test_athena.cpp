// The Athena DDL over the consolidated bucket, the post-migration hints and
// the request cost estimate.
#include <doctest/doctest.h>

#include <algorithm>
#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>
#include <vector>

#include "s3merge/cloudtrail/athena.hpp"

using namespace s3merge;
using namespace s3merge::cloudtrail;

namespace {

athena_params example_params() {
    athena_params p;
    p.bucket = "cloudtrail-all-region-123456789012";
    p.account = "123456789012";
    p.regions = {"us-east-1", "eu-west-1", "ap-southeast-4"};
    return p;
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("cloudtrail athena: DDL with region and timestamp projection") {
    athena_params p = example_params();
    diagnostics diag;
    REQUIRE_FALSE(check_athena_params(p, diag));
    const std::string ddl = athena_ddl(p);

    CHECK(ddl.starts_with("CREATE EXTERNAL TABLE `cloudtrail_logs` (\n    eventversion STRING,\n"));
    // Columns of the Athena documentation's CloudTrail table.
    for (const char* column : {"    useridentity STRUCT<\n",
                               "    eventtime STRING,\n",
                               "    eventsource STRING,\n",
                               "    eventname STRING,\n",
                               "    awsregion STRING,\n",
                               "    sourceipaddress STRING,\n",
                               "    useragent STRING,\n",
                               "    errorcode STRING,\n",
                               "    errormessage STRING,\n",
                               "    requestparameters STRING,\n",
                               "    responseelements STRING,\n",
                               "    additionaleventdata STRING,\n",
                               "    requestid STRING,\n",
                               "    eventid STRING,\n",
                               "    readonly STRING,\n",
                               "    resources ARRAY<STRUCT<\n",
                               "    eventtype STRING,\n",
                               "    apiversion STRING,\n",
                               "    recipientaccountid STRING,\n",
                               "    serviceeventdetails STRING,\n",
                               "    sharedeventid STRING,\n",
                               "    vpcendpointid STRING,\n",
                               "    vpcendpointaccountid STRING,\n",
                               "    eventcategory STRING,\n",
                               "    tlsdetails STRUCT<\n",
                               "            ec2roledelivery:string,\n",
                               "                attributes: map<string,string>>\n"}) {
        CAPTURE(column);
        CHECK(contains(ddl, column));
    }
    const std::string tail =
        "      clientprovidedhostheader:STRING>\n"
        ")\n"
        "PARTITIONED BY (\n"
        "   `region` string,\n"
        "   `timestamp` string)\n"
        "ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\n"
        "STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\n"
        "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n"
        "LOCATION\n"
        "  's3://cloudtrail-all-region-123456789012/AWSLogs/123456789012/CloudTrail/'\n"
        "TBLPROPERTIES (\n"
        "  'projection.enabled'='true',\n"
        "  'projection.region.type'='enum',\n"
        "  'projection.region.values'='us-east-1,eu-west-1,ap-southeast-4',\n"
        "  'projection.timestamp.format'='yyyy/MM/dd',\n"
        "  'projection.timestamp.interval'='1',\n"
        "  'projection.timestamp.interval.unit'='DAYS',\n"
        "  'projection.timestamp.range'='2013/11/01,NOW',\n"
        "  'projection.timestamp.type'='date',\n"
        "  'storage.location.template'='s3://cloudtrail-all-region-123456789012/AWSLogs/123456789012/"
        "CloudTrail/${region}/${timestamp}')\n";
    CHECK(ddl.ends_with(tail));
    // Balanced angle brackets and parentheses: the nested STRUCTs are closed.
    int angle = 0, paren = 0, lowest = 0;
    for (char c : ddl) {
        angle += c == '<' ? 1 : c == '>' ? -1 : 0;
        paren += c == '(' ? 1 : c == ')' ? -1 : 0;
        lowest = std::min({lowest, angle, paren});
    }
    CHECK(lowest == 0);
    CHECK(angle == 0);
    CHECK(paren == 0);
}

TEST_CASE("cloudtrail athena: table name, prefix and start date") {
    athena_params p = example_params();
    p.table = "security.ct_all";
    p.prefix = "custom/AWSLogs/123456789012/CloudTrail";  // a '/' is added
    p.start_date = "2021/06/30";
    p.regions = {"eu-central-2"};
    diagnostics diag;
    REQUIRE_FALSE(check_athena_params(p, diag));
    const std::string ddl = athena_ddl(p);
    CHECK(ddl.starts_with("CREATE EXTERNAL TABLE `security`.`ct_all` (\n"));
    CHECK(contains(ddl,
                   "  's3://cloudtrail-all-region-123456789012/custom/AWSLogs/123456789012/CloudTrail/'\n"));
    CHECK(contains(ddl, "'projection.region.values'='eu-central-2',\n"));
    CHECK(contains(ddl, "'projection.timestamp.range'='2021/06/30,NOW',\n"));
    CHECK(contains(ddl,
                   "'storage.location.template'='s3://cloudtrail-all-region-123456789012/custom/AWSLogs/"
                   "123456789012/CloudTrail/${region}/${timestamp}')"));

    struct row {
        void (*mutate)(athena_params&);
        std::string detail_part;
    };
    const std::vector<row> rows = {
        {[](athena_params& q) { q.table = "ct-logs"; }, "Athena table name 'ct-logs' is not valid"},
        {[](athena_params& q) { q.table = "a.b.c"; }, "Athena table name 'a.b.c'"},
        {[](athena_params& q) { q.table = "x`; DROP TABLE y"; }, "is not valid"},
        {[](athena_params& q) { q.table = ""; }, "Athena table name ''"},
        {[](athena_params& q) { q.bucket = "Bad_Bucket"; }, "bucket name 'Bad_Bucket'"},
        {[](athena_params& q) { q.account = "1234"; }, "account id '1234'"},
        {[](athena_params& q) { q.regions.clear(); }, "at least one region"},
        {[](athena_params& q) {
             q.regions = {"us-east-1", "moon-1"};
         },
         "region 'moon-1'"},
        {[](athena_params& q) { q.start_date = "2020-01-01"; }, "is not of the form yyyy/MM/dd"},
        {[](athena_params& q) { q.start_date = "2020/13/01"; }, "'2020/13/01'"},
        {[](athena_params& q) { q.prefix = "AWSLogs/'x/"; }, "contains a quote"},
        {[](athena_params& q) { q.prefix = "AWSLogs/${region}/"; }, "'$'"},
        {[](athena_params& q) { q.prefix = "/AWSLogs/"; }, "must not start with '/'"},
    };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        CAPTURE(i);
        athena_params q = example_params();
        rows[i].mutate(q);
        diag.clear();
        CHECK(check_athena_params(q, diag) == errc::invalid_argument);
        CHECK(contains(diag.detail, rows[i].detail_part));
    }
}

TEST_CASE("cloudtrail athena: post-migration hints name the buckets") {
    CHECK(bucket_list_text({}) == "");
    CHECK(bucket_list_text({"a"}) == "a");
    CHECK(bucket_list_text({"a", "b"}) == "a and b");
    CHECK(bucket_list_text({"a", "b", "c"}) == "a, b and c");
    CHECK(bucket_list_text({"a", "b", "c", "d"}) == "a, b, c and 1 more");
    CHECK(bucket_list_text({"a", "b", "c", "d", "e", "f"}, 2) == "a, b and 4 more");

    const std::vector<std::string> old = {
        "cloudtrail-us-east-1-123456789012", "cloudtrail-eu-west-1-123456789012",
        "cloudtrail-ap-south-1-123456789012", "cloudtrail-sa-east-1-123456789012",
        "cloudtrail-me-south-1-123456789012"};
    const auto hints = post_migration_hints("123456789012", "cloudtrail-all-region-123456789012", old);
    REQUIRE(hints.size() == 8);
    const std::string named =
        "the old buckets cloudtrail-us-east-1-123456789012, cloudtrail-eu-west-1-123456789012, "
        "cloudtrail-ap-south-1-123456789012 and 2 more";
    const std::vector<std::string> topics = {"Trails:",
                                             "SNS:",
                                             "CloudWatch Logs:",
                                             "S3 events:",
                                             "Third-party readers (Datadog, Splunk, Sumo Logic, SIEMs)",
                                             "Athena/Glue:",
                                             "Log file integrity validation:",
                                             "Retention on"};
    for (std::size_t i = 0; i < hints.size(); ++i) {
        CAPTURE(hints[i]);
        CHECK(hints[i].starts_with(topics[i]));
        CHECK(hints[i].find('\n') == std::string::npos);
        CHECK(contains(hints[i], "cloudtrail-all-region-123456789012"));
    }
    CHECK(contains(hints[0], "delivering to " + named + " (aws cloudtrail describe-trails"));
    CHECK(contains(hints[0],
                   "aws cloudtrail update-trail --s3-bucket-name cloudtrail-all-region-123456789012"));
    CHECK(contains(hints[3], "triggered by objects in " + named));
    CHECK(contains(hints[4],
                   "pointed at s3://cloudtrail-all-region-123456789012/AWSLogs/123456789012/CloudTrail/"));
    CHECK(contains(hints[5], "(see --athena-ddl)"));
    CHECK(contains(hints[7], "lifecycle rules, replication"));
    CHECK(contains(hints[7], "KMS key policy"));

    const auto one = post_migration_hints("123456789012", "dest-bkt", {"cloudtrail-us-east-1-123456789012"});
    CHECK(contains(one[0], "delivering to the old bucket cloudtrail-us-east-1-123456789012 (aws"));
    // An organization trail's layout: the hints name where the logs really are.
    const auto org = post_migration_hints("123456789012", "org-logs", {"old-bkt"},
                                          "central/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/");
    CHECK(contains(org[4], "s3://org-logs/central/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/"));
    CHECK(contains(org[5],
                   "s3://org-logs/central/AWSLogs/o-a1b2c3d4e5/123456789012/CloudTrail/ (see --athena-ddl)"));
}

TEST_CASE("cloudtrail athena: request cost at us-east-1 prices") {
    CHECK(request_cost{}.usd() == 0.0);
    CHECK(request_cost{1000, 0}.usd() == doctest::Approx(0.005));
    CHECK(request_cost{0, 1000}.usd() == doctest::Approx(0.005));
    // 2.5 million copies and 2,500 list pages: 2,502,500 requests.
    CHECK(request_cost{2'500'000, 2'500}.usd() == doctest::Approx(12.5125));
    CHECK(request_cost{1, 0}.usd() == doctest::Approx(0.000005));
}
