// Account ids, region names and lists, {region}/{account} templates and the
// S3 bucket naming rules.
#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>
#include <vector>

#include "s3merge/cloudtrail/naming.hpp"

using namespace s3merge;
using namespace s3merge::cloudtrail;

TEST_CASE("cloudtrail naming: account ids are exactly 12 digits") {
    diagnostics diag;
    CHECK_FALSE(validate_account_id("123456789012", diag));
    CHECK_FALSE(validate_account_id("000000000000", diag));
    for (const char* bad : {"", "12345678901", "1234567890123", "12345678901a", " 23456789012", "１２"}) {
        CAPTURE(bad);
        diag.clear();
        CHECK(validate_account_id(bad, diag) == errc::invalid_argument);
        CHECK(diag.detail.find("expected exactly 12 digits") != std::string::npos);
    }
    diag.clear();
    CHECK(validate_account_id("12345", diag) == errc::invalid_argument);
    CHECK(diag.detail ==
          "account id '12345' is not an AWS account id: expected exactly 12 digits, e.g. 123456789012");
}

TEST_CASE("cloudtrail naming: region names") {
    diagnostics diag;
    for (const char* good :
         {"us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "ap-southeast-4", "il-central-1",
          "us-isob-east-1", "mx-central-1", "ca-west-1", "ap-northeast-3"}) {
        CAPTURE(good);
        CHECK_FALSE(validate_region_name(good, diag));
    }
    for (const char* bad : {"", "us-east", "US-EAST-1", "useast1", "us-east-", "-east-1", "us--east-1",
                            "usa-east-1", "us-east-1a", "us-east-100", "us_east_1", "all", "us-east-1 "}) {
        CAPTURE(bad);
        diag.clear();
        CHECK(validate_region_name(bad, diag) == errc::invalid_argument);
        CHECK(diag.detail.find("is not a valid AWS region name") != std::string::npos);
    }
    diag.clear();
    CHECK(validate_region_name("eu-west", diag) == errc::invalid_argument);
    CHECK(diag.detail ==
          "region 'eu-west' is not a valid AWS region name (expected e.g. us-east-1, "
          "eu-central-2, us-gov-west-1)");
}

TEST_CASE("cloudtrail naming: region lists are trimmed, de-duplicated and validated") {
    std::vector<std::string> out;
    diagnostics diag;
    REQUIRE_FALSE(parse_region_list(" eu-west-1 ,us-east-1,\teu-west-1, ap-south-1", out, diag));
    CHECK(out == std::vector<std::string>{"eu-west-1", "us-east-1", "ap-south-1"});
    REQUIRE_FALSE(parse_region_list("us-gov-west-1", out, diag));
    CHECK(out == std::vector<std::string>{"us-gov-west-1"});

    CHECK(parse_region_list("us-east-1,,eu-west-1", out, diag) == errc::invalid_argument);
    CHECK(diag.detail ==
          "region list 'us-east-1,,eu-west-1' has an empty item (item 2); separate regions "
          "with single commas");
    CHECK(out.empty());
    CHECK(parse_region_list("us-east-1,", out, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("(item 2)") != std::string::npos);
    CHECK(parse_region_list("  ", out, diag) == errc::invalid_argument);
    CHECK(diag.detail == "the region list is empty; pass e.g. us-east-1,eu-west-1");
    CHECK(parse_region_list("us-east-1,all", out, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("region 'all'") == 0);
    CHECK(out.empty());
}

TEST_CASE("cloudtrail naming: templates expand {region} and {account}") {
    std::string out;
    diagnostics diag;
    REQUIRE_FALSE(expand_template("--source-bucket-template", default_source_template, "eu-west-1",
                                  "123456789012", out, diag));
    CHECK(out == "cloudtrail-eu-west-1-123456789012");
    REQUIRE_FALSE(
        expand_template("--dest-bucket", default_dest_template, "eu-west-1", "123456789012", out, diag));
    CHECK(out == "cloudtrail-all-region-123456789012");
    REQUIRE_FALSE(expand_template("--prefix", default_prefix_template, "", "123456789012", out, diag));
    CHECK(out == "AWSLogs/123456789012/CloudTrail/");
    REQUIRE_FALSE(expand_template("--prefix", digest_prefix_template, "", "123456789012", out, diag));
    CHECK(out == "AWSLogs/123456789012/CloudTrail-Digest/");
    REQUIRE_FALSE(expand_template("-t", "{account}{region}{account}", "r", "a", out, diag));
    CHECK(out == "ara");
    REQUIRE_FALSE(expand_template("-t", "plain", "r", "a", out, diag));
    CHECK(out == "plain");

    CHECK(expand_template("--source-bucket-template", "cloudtrail-{regoin}-{account}", "eu-west-1",
                          "123456789012", out, diag) == errc::invalid_argument);
    CHECK(diag.detail ==
          "--source-bucket-template 'cloudtrail-{regoin}-{account}': unknown placeholder "
          "{regoin} (known: {region}, {account})");
    CHECK(out.empty());
    CHECK(expand_template("-t", "ct-{region", "r", "a", out, diag) == errc::invalid_argument);
    CHECK(diag.detail == "-t 'ct-{region': '{' at position 4 is not closed (known: {region}, {account})");
    CHECK(expand_template("-t", "ct-{re{gion}", "r", "a", out, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("'{' at position 4 is not closed") != std::string::npos);
    CHECK(expand_template("-t", "ct-region}", "r", "a", out, diag) == errc::invalid_argument);
    CHECK(diag.detail ==
          "-t 'ct-region}': '}' at position 10 has no matching '{' (known: {region}, {account})");
    CHECK(expand_template("-t", "ct-{}", "r", "a", out, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("unknown placeholder {}") != std::string::npos);
}

TEST_CASE("cloudtrail naming: check_template") {
    diagnostics diag;
    CHECK_FALSE(check_template("--source-bucket-template", default_source_template, true, diag));
    CHECK_FALSE(check_template("--dest-bucket", default_dest_template, false, diag));
    CHECK(check_template("--source-bucket-template", "cloudtrail-{account}", true, diag) ==
          errc::invalid_argument);
    CHECK(diag.detail ==
          "--source-bucket-template 'cloudtrail-{account}' must contain {region}: without it "
          "every region maps to the same bucket");
    CHECK(check_template("--source-bucket-template", "ct-{Region}", true, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("unknown placeholder {Region}") != std::string::npos);
    CHECK(check_template("--dest-bucket", "", false, diag) == errc::invalid_argument);
    CHECK(diag.detail == "--dest-bucket '': the template is empty");
}

TEST_CASE("cloudtrail naming: S3 bucket naming rules") {
    diagnostics diag;
    const std::vector<std::string> good_names = {
        "cloudtrail-us-east-1-123456789012", "abc", "a.b-c", "my.logs.2024", "123", std::string(63, 'a')};
    for (const std::string& good : good_names) {
        CAPTURE(good);
        CHECK_FALSE(validate_bucket_name(good, diag));
    }
    struct row {
        std::string name;
        std::string detail_part;
    };
    const std::vector<row> rows = {
        {"ab", "must be 3 to 63 characters long (it has 2)"},
        {std::string(64, 'a'), "(it has 64)"},
        {"Cloudtrail-logs", "found 'C' at position 1"},
        {"my_bucket", "found '_' at position 3"},
        {"-logs", "must start and end with a lower-case letter or a digit"},
        {"logs.", "must start and end"},
        {"my..logs", "two adjacent periods"},
        {"192.168.5.4", "formatted as an IP address"},
        {"xn--bucket", "reserved prefix 'xn--'"},
        {"sthree-logs", "reserved prefix 'sthree-'"},
        {"amzn-s3-demo-bucket", "reserved prefix 'amzn-s3-demo-'"},
        {"logs-s3alias", "reserved suffix '-s3alias'"},
        {"logs--ol-s3", "reserved suffix '--ol-s3'"},
        {"logs.mrap", "reserved suffix '.mrap'"},
        {"logs--x-s3", "reserved suffix '--x-s3'"},
        {"logs--table-s3", "reserved suffix '--table-s3'"},
    };
    for (const row& r : rows) {
        CAPTURE(r.name);
        diag.clear();
        CHECK(validate_bucket_name(r.name, diag) == errc::invalid_argument);
        CHECK(diag.bucket == r.name);
        CHECK(diag.detail.find(r.detail_part) != std::string::npos);
    }
    diag.clear();
    CHECK(validate_bucket_name("Cloudtrail-x", diag) == errc::invalid_argument);
    CHECK(diag.detail ==
          "bucket name 'Cloudtrail-x' is not valid: it may contain only lower-case letters, "
          "digits, '.' and '-' (found 'C' at position 1); use lower case and replace other "
          "characters with '-'");
    // 1.2.3 is not an IP address; 256.1.1.1 is not one either.
    CHECK_FALSE(validate_bucket_name("1.2.3", diag));
    CHECK_FALSE(validate_bucket_name("256.1.1.1", diag));
}
