#include <doctest/doctest.h>

#include <pugixml.hpp>

#include "s3_test_util.hpp"
#include "s3merge/s3/ops.hpp"

using namespace s3merge;
using namespace s3merge::s3;
using s3test::response;

TEST_CASE("HeadBucket") {
    http_request req = build_head_bucket(s3test::aws_target("bkt"));
    CHECK(req.method == "HEAD");
    CHECK(req.path == "/");
    CHECK(req.host == "bkt.s3.eu-west-1.amazonaws.com");
    req = build_head_bucket(s3test::aws_target("bkt", true));
    CHECK(req.path == "/bkt");
    CHECK(req.host == "s3.eu-west-1.amazonaws.com");

    head_bucket_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_head_bucket(response(200, "", {{"x-amz-bucket-region", "eu-west-1"}}), out, diag));
    CHECK(out.region == "eu-west-1");

    REQUIRE_FALSE(parse_head_bucket(response(200, ""), out, diag));  // RGW: no header
    CHECK(out.region.empty());

    // The region comes back with the error.
    CHECK(parse_head_bucket(response(301, "", {{"x-amz-bucket-region", "ap-south-1"}}), out, diag) ==
          errc::wrong_region);
    CHECK(out.region == "ap-south-1");
    diag.clear();
    CHECK(parse_head_bucket(response(403, "", {{"X-Amz-Bucket-Region", "us-west-2"}}), out, diag) ==
          errc::access_denied);
    CHECK(out.region == "us-west-2");
    diag.clear();
    CHECK(parse_head_bucket(response(400, "", {{"x-amz-bucket-region", "eu-central-1"}}), out, diag) ==
          errc::invalid_request);
    CHECK(out.region == "eu-central-1");
    diag.clear();
    CHECK(parse_head_bucket(response(404, ""), out, diag) == errc::not_found);
    CHECK(out.region.empty());
}

TEST_CASE("CreateBucket") {
    http_request req = build_create_bucket(s3test::aws_target("new-bucket"), {});
    CHECK(req.method == "PUT");
    CHECK(req.path == "/");
    CHECK(req.body.empty());
    CHECK(req.find_header("Content-Type") == nullptr);

    create_bucket_params p;
    p.location_constraint = "eu-west-1";
    req = build_create_bucket(s3test::aws_target("new-bucket", true), p);
    CHECK(req.path == "/new-bucket");
    CHECK(req.body ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CreateBucketConfiguration "
          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1"
          "</LocationConstraint></CreateBucketConfiguration>");
    CHECK(*req.find_header("Content-Type") == "application/xml");
    CHECK_FALSE(req.unsigned_payload);

    // Whatever the value, it is escaped.
    p.location_constraint = "<x&y>";
    req = build_create_bucket(s3test::aws_target("b"), p);
    pugi::xml_document doc;
    REQUIRE(doc.load_string(req.body.c_str()));
    CHECK(std::string(doc.child("CreateBucketConfiguration").child("LocationConstraint").text().get()) ==
          "<x&y>");

    diagnostics diag;
    CHECK_FALSE(parse_create_bucket(response(200, "", {{"Location", "/new-bucket"}}), diag));
    CHECK(parse_create_bucket(response(409,
                                       "<Error><Code>BucketAlreadyOwnedByYou</Code><Message>Your "
                                       "previous request to create the named bucket succeeded and "
                                       "you already own it.</Message></Error>"),
                              diag) == errc::bucket_already_exists);
    diag.clear();
    CHECK(parse_create_bucket(response(409, "<Error><Code>BucketAlreadyExists</Code></Error>"), diag) ==
          errc::bucket_already_exists);
    diag.clear();
    CHECK(parse_create_bucket(response(400,
                                       "<Error><Code>IllegalLocationConstraintException</Code>"
                                       "<Message>The unspecified location constraint is "
                                       "incompatible for the region specific endpoint this "
                                       "request was sent to.</Message></Error>"),
                              diag) == errc::wrong_region);
    diag.clear();
    CHECK(parse_create_bucket(response(400, "<Error><Code>InvalidBucketName</Code></Error>"), diag) ==
          errc::invalid_request);
}

TEST_CASE("DeleteBucket") {
    http_request req = build_delete_bucket(s3test::aws_target("old"));
    CHECK(req.method == "DELETE");
    CHECK(req.path == "/");
    CHECK(req.body.empty());
    req = build_delete_bucket(s3test::aws_target("old", true));
    CHECK(req.path == "/old");

    diagnostics diag;
    CHECK_FALSE(parse_delete_bucket(response(204, ""), diag));
    // A success that is not S3's: a web server's page, a proxy's answer.
    CHECK(parse_delete_bucket(response(200, "<html>hello</html>"), diag) == errc::malformed_response);
    CHECK(diag.detail.find("not S3's 204") != std::string::npos);
    diag.clear();
    CHECK(parse_delete_bucket(response(409,
                                       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                                       "BucketNotEmpty</Code><Message>The bucket you tried to "
                                       "delete is not empty</Message><BucketName>old</BucketName>"
                                       "<RequestId>R</RequestId><HostId>H</HostId></Error>"),
                              diag) == errc::bucket_not_empty);
    CHECK(diag.message == "The bucket you tried to delete is not empty");
    diag.clear();
    CHECK(parse_delete_bucket(response(404, "<Error><Code>NoSuchBucket</Code></Error>"), diag) ==
          errc::no_such_bucket);
}

TEST_CASE("ListBuckets: GET / on the service, the names, pages, malformed answers") {
    http_request req = build_list_buckets(s3test::aws_target(""), "");
    CHECK(req.method == "GET");
    CHECK(req.path == "/");
    CHECK(req.query.empty());
    req = build_list_buckets(s3test::aws_target(""), "tok/1=");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "continuation-token");
    CHECK(req.query[0].value == "tok/1=");
    // The shape of the S3 API reference's example.
    const std::string doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
        "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets>"
        "<Bucket><CreationDate>2019-12-11T23:32:47+00:00</CreationDate><Name>amzn-s3-demo-bucket</Name>"
        "<BucketRegion>us-east-1</BucketRegion></Bucket>"
        "<Bucket><CreationDate>2019-11-10T23:32:13+00:00</CreationDate><Name>cloudtrail-eu-west-1-x</Name>"
        "</Bucket></Buckets><Owner><DisplayName>owner</DisplayName><ID>abc</ID></Owner>"
        "<ContinuationToken>next-page</ContinuationToken></ListAllMyBucketsResult>";
    list_buckets_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_list_buckets(response(200, doc), out, diag));
    CHECK(out.names == std::vector<std::string>{"amzn-s3-demo-bucket", "cloudtrail-eu-west-1-x"});
    CHECK(out.continuation_token == "next-page");
    REQUIRE_FALSE(parse_list_buckets(
        response(200, "<ListAllMyBucketsResult><Owner><ID>a</ID></Owner><Buckets/></ListAllMyBucketsResult>"),
        out, diag));
    CHECK(out.names.empty());
    CHECK(out.continuation_token.empty());
    CHECK(
        parse_list_buckets(response(200,
                                    "<ListAllMyBucketsResult><Buckets><Bucket><CreationDate>x</CreationDate>"
                                    "</Bucket></Buckets></ListAllMyBucketsResult>"),
                           out, diag) == errc::malformed_response);
    CHECK(out.names.empty());
    CHECK(parse_list_buckets(response(200, "<ListBucketResult/>"), out, diag) == errc::malformed_response);
    CHECK(parse_list_buckets(response(403, "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"),
                             out, diag) == errc::access_denied);
}
