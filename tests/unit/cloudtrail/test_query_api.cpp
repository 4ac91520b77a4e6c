// STS GetCallerIdentity / EC2 DescribeRegions builders and parsers, on the
// response examples of the AWS API references, both error shapes, and
// malformed documents.
#include <doctest/doctest.h>

#include <map>
#include <ostream>  // doctest prints std::error_code with operator<<

#include "../s3/s3_test_util.hpp"
#include "s3merge/cloudtrail/query_api.hpp"

using namespace s3merge;
using namespace s3merge::cloudtrail;
using s3test::response;

namespace {

// AWS STS API Reference, GetCallerIdentity, "Example 1 - Called by an IAM user".
const std::string sts_example_iam_user =
    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
  <Arn>arn:aws:iam::123456789012:user/Alice</Arn>
    <UserId>AKIAI44QH8DHBEXAMPLE</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>)";

// The same reference, "Example 2 - Called by a user federated with AssumeRole".
const std::string sts_example_assumed_role =
    R"(<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
  <Arn>arn:aws:sts::123456789012:assumed-role/my-role-name/my-role-session-name</Arn>
    <UserId>AKIAI44QH8DHBEXAMPLE:my-role-session-name</UserId>
    <Account>123456789012</Account>
  </GetCallerIdentityResult>
  <ResponseMetadata>
    <RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>
  </ResponseMetadata>
</GetCallerIdentityResponse>)";

// Amazon EC2 API Reference, DescribeRegions, Example 3 sample response
// (each region nests its own <geographySet><item> list).
const std::string ec2_example_regions =
    R"(<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
   <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
   <regionInfo>
      <item>
         <regionName>us-east-1</regionName>
         <regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint>
         <optInStatus>opt-in-not-required</optInStatus>
         <geographySet>
            <item>
               <name>United States of America</name>
            </item>
         </geographySet>
      </item>
      <item>
         <regionName>eu-west-1</regionName>
         <regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint>
         <optInStatus>opt-in-not-required</optInStatus>
         <geographySet>
            <item>
               <name>Ireland</name>
            </item>
         </geographySet>
      </item>
   </regionInfo>
</DescribeRegionsResponse>)";

// The STS error shape (AWS common errors, as STS sends them).
const std::string sts_invalid_token = R"(<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error>
    <Type>Sender</Type>
    <Code>InvalidClientTokenId</Code>
    <Message>The security token included in the request is invalid.</Message>
  </Error>
  <RequestId>4fc0d3ee-efef-11e9-9282-3b7bffe54a9b</RequestId>
</ErrorResponse>)";

// The EC2 error shape (EC2 API Reference, "Error codes": Response/Errors/Error, RequestID).
std::string ec2_error(const std::string& code, const std::string& message) {
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + code +
           "</Code><Message>" + message +
           "</Message></Error></Errors><RequestID>ee9f0e1a-5a4c-4b6e-9d3f-0123456789ab</RequestID></"
           "Response>";
}

std::string sts_error(const std::string& code, const std::string& message) {
    return "<ErrorResponse "
           "xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>" +
           code + "</Code><Message>" + message +
           "</Message></Error><RequestId>r-1</RequestId></ErrorResponse>";
}

s3::target sts_target() {
    s3::target t;
    diagnostics diag;
    REQUIRE_FALSE(resolve_query_target("sts", "", "eu-west-3", t, diag));
    return t;
}

}  // namespace

TEST_CASE("cloudtrail query api: builders send GET / with Action and Version, no body") {
    s3::target t = sts_target();
    http_request req = build_get_caller_identity(t);
    CHECK(req.method == "GET");
    CHECK(req.path == "/");
    CHECK(req.host == "sts.eu-west-3.amazonaws.com");
    CHECK(req.body.empty());
    REQUIRE(req.query.size() == 2);
    CHECK(req.query[0].name == "Action");
    CHECK(req.query[0].value == "GetCallerIdentity");
    CHECK(req.query[1].name == "Version");
    CHECK(req.query[1].value == "2011-06-15");

    diagnostics diag;
    REQUIRE_FALSE(resolve_query_target("ec2", "http://127.0.0.1:9999", "ap-southeast-4", t, diag));
    req = build_describe_regions(t, false);
    CHECK(req.method == "GET");
    CHECK(req.path == "/");
    CHECK(req.host == "127.0.0.1:9999");
    CHECK(req.body.empty());
    REQUIRE(req.query.size() == 2);
    CHECK(req.query[0].value == "DescribeRegions");
    CHECK(req.query[1].value == "2016-11-15");
    req = build_describe_regions(t, true);
    REQUIRE(req.query.size() == 3);
    CHECK(req.query[2].name == "AllRegions");
    CHECK(req.query[2].value == "true");
}

TEST_CASE("cloudtrail query api: resolve_query_target") {
    s3::target t;
    diagnostics diag;
    REQUIRE_FALSE(resolve_query_target("sts", "", "cn-north-1", t, diag));
    CHECK(t.scheme == "https");
    CHECK(t.host == "sts.cn-north-1.amazonaws.com.cn");
    CHECK(t.port == 443);
    CHECK(t.region == "cn-north-1");
    CHECK(t.bucket.empty());

    REQUIRE_FALSE(resolve_query_target("sts", "", "", t, diag));
    CHECK(t.host == "sts.us-east-1.amazonaws.com");
    CHECK(t.region == "us-east-1");

    REQUIRE_FALSE(resolve_query_target("ec2", "http://localhost:4566", "eu-central-2", t, diag));
    CHECK(t.scheme == "http");
    CHECK(t.host == "localhost");
    CHECK(t.port == 4566);
    CHECK(t.host_header == "localhost:4566");
    CHECK(t.region == "eu-central-2");

    CHECK(resolve_query_target("sts", "ftp://x", "us-east-1", t, diag) == errc::invalid_url);
    CHECK(diag.detail.find("STS endpoint URL 'ftp://x' is not valid") == 0);
    diag.clear();
    CHECK(resolve_query_target("sts", "", "Mars-1", t, diag) == errc::invalid_argument);
    CHECK(diag.detail.find("region 'Mars-1'") != std::string::npos);
}

TEST_CASE("cloudtrail query api: GetCallerIdentity parses the STS reference examples") {
    caller_identity id;
    diagnostics diag;
    REQUIRE_FALSE(parse_get_caller_identity(response(200, sts_example_iam_user), id, diag));
    CHECK(id.account == "123456789012");
    CHECK(id.arn == "arn:aws:iam::123456789012:user/Alice");
    CHECK(id.user_id == "AKIAI44QH8DHBEXAMPLE");

    REQUIRE_FALSE(parse_get_caller_identity(response(200, sts_example_assumed_role), id, diag));
    CHECK(id.account == "123456789012");
    CHECK(id.arn == "arn:aws:sts::123456789012:assumed-role/my-role-name/my-role-session-name");
    CHECK(id.user_id == "AKIAI44QH8DHBEXAMPLE:my-role-session-name");
}

TEST_CASE("cloudtrail query api: DescribeRegions parses the EC2 reference example") {
    std::vector<region_info> regions;
    diagnostics diag;
    REQUIRE_FALSE(parse_describe_regions(response(200, ec2_example_regions), regions, diag));
    // The nested <geographySet><item> elements are not regions.
    REQUIRE(regions.size() == 2);
    CHECK(regions[0].name == "us-east-1");
    CHECK(regions[0].endpoint == "ec2.us-east-1.amazonaws.com");
    CHECK(regions[0].opt_in_status == "opt-in-not-required");
    CHECK(regions[1].name == "eu-west-1");
    CHECK(regions[1].endpoint == "ec2.eu-west-1.amazonaws.com");

    // AllRegions=true lists regions not opted in; optInStatus may be absent.
    const std::string all = R"(<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>r</requestId><regionInfo>
    <item><regionName>me-south-1</regionName><regionEndpoint>ec2.me-south-1.amazonaws.com</regionEndpoint>
      <optInStatus>not-opted-in</optInStatus></item>
    <item><regionName>ap-east-1</regionName><regionEndpoint>ec2.ap-east-1.amazonaws.com</regionEndpoint>
      <optInStatus>opted-in</optInStatus></item>
    <item><regionName>us-west-2</regionName><regionEndpoint>ec2.us-west-2.amazonaws.com</regionEndpoint></item>
  </regionInfo></DescribeRegionsResponse>)";
    REQUIRE_FALSE(parse_describe_regions(response(200, all), regions, diag));
    REQUIRE(regions.size() == 3);
    CHECK(regions[0].opt_in_status == "not-opted-in");
    CHECK(regions[1].opt_in_status == "opted-in");
    CHECK(regions[2].name == "us-west-2");
    CHECK(regions[2].opt_in_status.empty());

    // An empty list is a valid answer.
    REQUIRE_FALSE(parse_describe_regions(
        response(200,
                 "<DescribeRegionsResponse><requestId>r</requestId><regionInfo/></DescribeRegionsResponse>"),
        regions, diag));
    CHECK(regions.empty());
}

TEST_CASE("cloudtrail query api: STS error shape") {
    caller_identity id;
    diagnostics diag;
    CHECK(parse_get_caller_identity(response(403, sts_invalid_token), id, diag) == errc::invalid_access_key);
    CHECK(diag.http_status == 403);
    CHECK(diag.s3_code == "InvalidClientTokenId");
    CHECK(diag.message == "The security token included in the request is invalid.");
    CHECK(diag.request_id == "4fc0d3ee-efef-11e9-9282-3b7bffe54a9b");
    CHECK(id.account.empty());

    // STS throttles with 400 "Throttling": retryable, and a throttle.
    diag.clear();
    auto ec = parse_get_caller_identity(response(400, sts_error("Throttling", "Rate exceeded")), id, diag);
    CHECK(ec == errc::throttled);
    CHECK(is_retryable(ec));
    CHECK(is_throttle(ec));
    CHECK(diag.message == "Rate exceeded");

    diag.clear();
    CHECK(parse_get_caller_identity(response(403, sts_error("SignatureDoesNotMatch", "x")), id, diag) ==
          errc::signature_mismatch);
    diag.clear();
    CHECK(parse_get_caller_identity(response(400, sts_error("ExpiredToken", "expired")), id, diag) ==
          errc::expired_token);
    diag.clear();
    CHECK(parse_get_caller_identity(response(403, sts_error("RegionDisabledException", "off")), id, diag) ==
          errc::invalid_request);
    CHECK(diag.detail.find("STS is not activated in this region") != std::string::npos);

    // The request id may only be in the header.
    diag.clear();
    std::string no_id =
        "<ErrorResponse><Error><Code>AccessDenied</Code><Message>no</Message></Error></ErrorResponse>";
    CHECK(parse_get_caller_identity(response(403, no_id, {{"x-amzn-RequestId", "hdr-id"}}), id, diag) ==
          errc::access_denied);
    CHECK(diag.request_id == "hdr-id");
}

TEST_CASE("cloudtrail query api: EC2 error shape") {
    std::vector<region_info> regions;
    diagnostics diag;
    CHECK(parse_describe_regions(response(401, ec2_error("AuthFailure",
                                                         "AWS was not able to validate the provided access "
                                                         "credentials")),
                                 regions, diag) == errc::invalid_access_key);
    CHECK(diag.http_status == 401);
    CHECK(diag.s3_code == "AuthFailure");
    CHECK(diag.message == "AWS was not able to validate the provided access credentials");
    CHECK(diag.request_id == "ee9f0e1a-5a4c-4b6e-9d3f-0123456789ab");

    const std::map<std::string, errc> expected = {
        {"UnauthorizedOperation", errc::access_denied},
        {"RequestLimitExceeded", errc::throttled},
        {"SignatureDoesNotMatch", errc::signature_mismatch},
        {"RequestExpired", errc::request_time_skewed},
        {"OptInRequired", errc::access_denied},
        {"InvalidParameterValue", errc::invalid_request},
    };
    for (const auto& [code, e] : expected) {
        CAPTURE(code);
        diag.clear();
        unsigned status = code == "RequestLimitExceeded" ? 503 : 400;
        CHECK(parse_describe_regions(response(status, ec2_error(code, "m")), regions, diag) == e);
        CHECK(diag.s3_code == code);
    }
}

TEST_CASE("cloudtrail query api: foreign and empty error bodies") {
    caller_identity id;
    diagnostics diag;
    CHECK(parse_get_caller_identity(response(503, ""), id, diag) == errc::throttled);
    CHECK(diag.http_status == 503);
    diag.clear();
    CHECK(parse_get_caller_identity(response(502, "<html>Bad Gateway</html>"), id, diag) ==
          errc::server_error);
    CHECK(diag.detail.find("Bad Gateway") != std::string::npos);
    diag.clear();
    CHECK(parse_get_caller_identity(response(403, "<Error><Code>AccessDenied</Code></Error>"), id, diag) ==
          errc::access_denied);
    CHECK(diag.s3_code == "AccessDenied");
}

TEST_CASE("cloudtrail query api: malformed 200 answers") {
    caller_identity id;
    diagnostics diag;
    auto no_account =
        R"(<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/Alice</Arn>
      </GetCallerIdentityResult></GetCallerIdentityResponse>)";
    CHECK(parse_get_caller_identity(response(200, no_account), id, diag) == errc::malformed_response);
    CHECK(diag.detail == "GetCallerIdentity response has no <Account>");
    CHECK(id.arn.empty());

    diag.clear();
    auto short_account = R"(<GetCallerIdentityResponse><GetCallerIdentityResult><Account>12345</Account>
      </GetCallerIdentityResult></GetCallerIdentityResponse>)";
    CHECK(parse_get_caller_identity(response(200, short_account), id, diag) == errc::malformed_response);
    CHECK(diag.detail ==
          "GetCallerIdentity returned account '12345', which is not a 12-digit AWS account id");

    diag.clear();
    CHECK(parse_get_caller_identity(response(200, "<GetCallerIdentityResponse/>"), id, diag) ==
          errc::malformed_response);
    CHECK(diag.detail == "GetCallerIdentity response has no <GetCallerIdentityResult>");
    diag.clear();
    CHECK(parse_get_caller_identity(response(200, ""), id, diag) == errc::malformed_response);
    CHECK(diag.detail == "GetCallerIdentity response has an empty body");
    diag.clear();
    CHECK(parse_get_caller_identity(response(200, "<GetCallerIdentityResponse>"), id, diag) ==
          errc::malformed_response);
    CHECK(diag.detail.find("not well-formed XML") != std::string::npos);
    diag.clear();
    CHECK(parse_get_caller_identity(response(200, ec2_example_regions), id, diag) ==
          errc::malformed_response);
    CHECK(diag.detail ==
          "GetCallerIdentity response has root element <DescribeRegionsResponse>, expected "
          "<GetCallerIdentityResponse>");
    // An error document with a 200 status is still an error.
    diag.clear();
    CHECK(parse_get_caller_identity(response(200, sts_invalid_token), id, diag) == errc::invalid_access_key);

    std::vector<region_info> regions;
    diag.clear();
    CHECK(parse_describe_regions(response(200,
                                          "<DescribeRegionsResponse><requestId>r</requestId>"
                                          "</DescribeRegionsResponse>"),
                                 regions, diag) == errc::malformed_response);
    CHECK(diag.detail == "DescribeRegions response has no <regionInfo>");
    diag.clear();
    CHECK(parse_describe_regions(response(200,
                                          "<DescribeRegionsResponse><regionInfo><item><regionName>us-east-1"
                                          "</regionName></item><item><regionEndpoint>x</regionEndpoint>"
                                          "</item></regionInfo></DescribeRegionsResponse>"),
                                 regions, diag) == errc::malformed_response);
    CHECK(diag.detail == "DescribeRegions response item 2 has no <regionName>");
    CHECK(regions.empty());
    diag.clear();
    CHECK(parse_describe_regions(response(200,
                                          "<DescribeRegionsResponse><regionInfo><item><regionName>us east/1"
                                          "</regionName></item></regionInfo></DescribeRegionsResponse>"),
                                 regions, diag) == errc::malformed_response);
    CHECK(diag.detail.find("region name 'us east/1'") != std::string::npos);
}

TEST_CASE("cloudtrail query api: service_endpoint_from_env follows the AWS CLI") {
    std::map<std::string, std::string> env;
    auto getenv_fn = [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    CHECK(service_endpoint_from_env("sts", getenv_fn).empty());
    env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:7480";
    CHECK(service_endpoint_from_env("sts", getenv_fn) == "http://127.0.0.1:7480");
    env["AWS_ENDPOINT_URL_STS"] = "http://127.0.0.1:9999";
    CHECK(service_endpoint_from_env("sts", getenv_fn) == "http://127.0.0.1:9999");
    CHECK(service_endpoint_from_env("ec2", getenv_fn) == "http://127.0.0.1:7480");
    env["AWS_ENDPOINT_URL_EC2"] = "";  // empty counts as unset
    CHECK(service_endpoint_from_env("ec2", getenv_fn) == "http://127.0.0.1:7480");
    env["AWS_ENDPOINT_URL_EC2"] = "http://ec2.local:1";
    CHECK(service_endpoint_from_env("ec2", getenv_fn) == "http://ec2.local:1");
    env["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "True";
    CHECK(service_endpoint_from_env("sts", getenv_fn).empty());
    CHECK(service_endpoint_from_env("sts", {}).empty());
}
