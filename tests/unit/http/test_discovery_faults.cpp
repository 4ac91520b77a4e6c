// STS GetCallerIdentity and EC2 DescribeRegions through the S3 client against
// a loopback peer: the request line and signing scope, the parsed answer,
// error documents, and throttling retries (5xx inside execute(), STS's
// "400 Throttling" in the discovery layer).
#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<

#include "fake_peer.hpp"
#include "s3merge/client/s3_client.hpp"
#include "s3merge/cloudtrail/discovery.hpp"

using namespace s3merge;
using namespace s3merge::test;
using namespace std::chrono_literals;

namespace {

// The Query APIs answer text/xml.
std::string xml_reply(int status, const std::string& reason, const std::string& body) {
    return test::reply(status, reason, body, "Content-Type: text/xml\r\n");
}

// AWS STS API Reference, GetCallerIdentity, Example 1.
const std::string sts_example =
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

// Amazon EC2 API Reference, DescribeRegions, Example 3 (geographySet omitted).
const std::string ec2_example = R"(<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
   <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
   <regionInfo>
      <item>
         <regionName>us-east-1</regionName>
         <regionEndpoint>ec2.us-east-1.amazonaws.com</regionEndpoint>
         <optInStatus>opt-in-not-required</optInStatus>
      </item>
      <item>
         <regionName>eu-west-1</regionName>
         <regionEndpoint>ec2.eu-west-1.amazonaws.com</regionEndpoint>
         <optInStatus>opt-in-not-required</optInStatus>
      </item>
   </regionInfo>
</DescribeRegionsResponse>)";

s3::client_config config() {
    s3::client_config cfg;
    cfg.region = "eu-west-3";
    cfg.creds = {"AKIDEXAMPLE", "secret", ""};
    cfg.retry.max_attempts = 4;
    cfg.retry.base = 1ms;
    cfg.retry.throttle_base = 1ms;
    return cfg;
}

struct outcome {
    std::error_code ec;
    diagnostics diag;
    cloudtrail::caller_identity id;
    std::vector<cloudtrail::region_info> regions;
    int throttle_callbacks = 0;
};

// Runs one discovery call against the peer; `what` is "sts" or "ec2".
outcome run(asio::io_context& io, std::uint16_t port, const std::string& what, bool all_regions = false) {
    outcome out;
    auto cfg = config();
    cfg.on_throttle = [&](std::string_view, std::string_view) { ++out.throttle_callbacks; };
    s3::client c(io.get_executor(), cfg);
    REQUIRE_FALSE(c.init(out.diag));
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const std::string endpoint = "http://127.0.0.1:" + std::to_string(port);
            if (what == "sts")
                out.ec = co_await cloudtrail::get_caller_identity(c, endpoint, out.id, out.diag);
            else
                out.ec =
                    co_await cloudtrail::describe_regions(c, endpoint, all_regions, out.regions, out.diag);
            finished = true;
            io.stop();
        },
        asio::detached);
    io.run_for(10s);
    REQUIRE(finished);
    return out;
}

bool has(const std::string& s, const std::string& part) {
    return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("discovery: GetCallerIdentity is a GET signed for sts and parses the STS example") {
    asio::io_context io;
    fake_peer peer(io,
                   [](tcp::socket& s, int, int) { return write_all(s, xml_reply(200, "OK", sts_example)); });
    auto out = run(io, peer.port(), "sts");
    REQUIRE_FALSE(out.ec);
    CHECK(out.id.account == "123456789012");
    CHECK(out.id.arn == "arn:aws:iam::123456789012:user/Alice");
    CHECK(out.id.user_id == "AKIAI44QH8DHBEXAMPLE");
    CHECK(peer.requests == 1);
    CHECK(peer.last_request.starts_with("GET /?Action=GetCallerIdentity&Version=2011-06-15 HTTP/1.1\r\n"));
    CHECK(has(peer.last_request, "/eu-west-3/sts/aws4_request, SignedHeaders="));
    CHECK(has(peer.last_request, "Credential=AKIDEXAMPLE/"));
    CHECK_FALSE(has(peer.last_request, "x-amz-content-sha256"));  // an S3-only header
    CHECK(out.diag.operation == "GetCallerIdentity");
    CHECK(out.diag.region == "eu-west-3");
}

TEST_CASE("discovery: DescribeRegions is a GET signed for ec2, AllRegions when asked") {
    {
        asio::io_context io;
        fake_peer peer(
            io, [](tcp::socket& s, int, int) { return write_all(s, xml_reply(200, "OK", ec2_example)); });
        auto out = run(io, peer.port(), "ec2");
        REQUIRE_FALSE(out.ec);
        REQUIRE(out.regions.size() == 2);
        CHECK(out.regions[0].name == "us-east-1");
        CHECK(out.regions[0].endpoint == "ec2.us-east-1.amazonaws.com");
        CHECK(out.regions[0].opt_in_status == "opt-in-not-required");
        CHECK(out.regions[1].name == "eu-west-1");
        CHECK(peer.last_request.starts_with("GET /?Action=DescribeRegions&Version=2016-11-15 HTTP/1.1\r\n"));
        CHECK(has(peer.last_request, "/eu-west-3/ec2/aws4_request, SignedHeaders="));
        CHECK(out.diag.operation == "DescribeRegions");
    }
    {
        asio::io_context io;
        fake_peer peer(
            io, [](tcp::socket& s, int, int) { return write_all(s, xml_reply(200, "OK", ec2_example)); });
        auto out = run(io, peer.port(), "ec2", true);
        REQUIRE_FALSE(out.ec);
        CHECK(peer.last_request.starts_with(
            "GET /?Action=DescribeRegions&AllRegions=true&Version=2016-11-15 HTTP/1.1\r\n"));
    }
}

TEST_CASE("discovery: 403 InvalidClientTokenId is not retried and says why") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) {
        return write_all(
            s, xml_reply(403, "Forbidden",
                         "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
                         "<Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security "
                         "token included in the request is invalid.</Message></Error>"
                         "<RequestId>4fc0d3ee-efef-11e9-9282-3b7bffe54a9b</RequestId></ErrorResponse>"));
    });
    auto out = run(io, peer.port(), "sts");
    CHECK(out.ec == errc::invalid_access_key);
    CHECK(peer.requests == 1);
    CHECK(out.diag.http_status == 403);
    CHECK(out.diag.s3_code == "InvalidClientTokenId");
    CHECK(out.diag.message == "The security token included in the request is invalid.");
    CHECK(out.diag.request_id == "4fc0d3ee-efef-11e9-9282-3b7bffe54a9b");
    CHECK(out.diag.attempts == 1);
    CHECK(out.diag.to_string() ==
          "GetCallerIdentity (eu-west-3): HTTP 403 InvalidClientTokenId: The security token included in the "
          "request is invalid. [request id 4fc0d3ee-efef-11e9-9282-3b7bffe54a9b]");
}

TEST_CASE("discovery: 503 RequestLimitExceeded is retried, then succeeds") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int i, int) {
        if (i < 2)
            return write_all(
                s,
                xml_reply(503, "Service Unavailable",
                          "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request "
                          "limit exceeded.</Message></Error></Errors><RequestID>r</RequestID></Response>"));
        return write_all(s, xml_reply(200, "OK", ec2_example));
    });
    auto out = run(io, peer.port(), "ec2");
    REQUIRE_FALSE(out.ec);
    CHECK(out.regions.size() == 2);
    CHECK(peer.requests == 3);
    CHECK(out.throttle_callbacks == 2);
    CHECK(out.diag.attempts == 3);
}

TEST_CASE("discovery: STS '400 Throttling' is retried by the discovery layer, within the attempt budget") {
    const std::string throttled = xml_reply(400, "Bad Request",
                                            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
                                            "<Message>Rate exceeded</Message></Error><RequestId>t</RequestId>"
                                            "</ErrorResponse>");
    {
        asio::io_context io;
        fake_peer peer(io, [&](tcp::socket& s, int i, int) {
            return write_all(s, i < 2 ? throttled : xml_reply(200, "OK", sts_example));
        });
        auto out = run(io, peer.port(), "sts");
        REQUIRE_FALSE(out.ec);
        CHECK(out.id.account == "123456789012");
        CHECK(peer.requests == 3);
        CHECK(out.throttle_callbacks == 2);
        CHECK(out.diag.attempts == 3);
    }
    {
        asio::io_context io;
        fake_peer peer(io, [&](tcp::socket& s, int, int) { return write_all(s, throttled); });
        auto out = run(io, peer.port(), "sts");
        CHECK(out.ec == errc::throttled);
        CHECK(peer.requests == 4);  // max_attempts
        CHECK(out.diag.attempts == 4);
        CHECK(out.diag.s3_code == "Throttling");
        CHECK(out.diag.message == "Rate exceeded");
    }
}

TEST_CASE("discovery: a malformed 200 is not retried") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) {
        return write_all(s, xml_reply(200, "OK",
                                      "<GetCallerIdentityResponse><GetCallerIdentityResult>"
                                      "</GetCallerIdentityResult></GetCallerIdentityResponse>"));
    });
    auto out = run(io, peer.port(), "sts");
    CHECK(out.ec == errc::malformed_response);
    CHECK(peer.requests == 1);
    CHECK(out.diag.detail == "GetCallerIdentity response has no <Account>");
}
