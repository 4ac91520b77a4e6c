#include <doctest/doctest.h>

#include "s3_test_util.hpp"
#include "s3merge/s3/ops.hpp"

using namespace s3merge;
using namespace s3merge::s3;
using s3test::response;

TEST_CASE("classify_error: the table") {
    struct row {
        unsigned status;
        std::string_view code;
        errc expected;
    };
    const row rows[] = {
        // Throttling (botocore's _THROTTLED_ERROR_CODES; aws-c-s3: 503 is SlowDown).
        {503, "SlowDown", errc::throttled},
        {503, "", errc::throttled},
        {503, "ServiceUnavailable", errc::throttled},
        {429, "", errc::throttled},
        {429, "TooManyRequestsException", errc::throttled},
        {400, "Throttling", errc::throttled},
        {400, "ThrottlingException", errc::throttled},
        {503, "RequestLimitExceeded", errc::throttled},
        {400, "RequestThrottled", errc::throttled},
        {400, "PriorRequestNotComplete", errc::throttled},
        {200, "SlowDown", errc::throttled},  // CopyObject's 200 + <Error>
        {503, "slowdown", errc::throttled},  // aws-c-s3 compares ignoring case
        // Server errors.
        {500, "InternalError", errc::server_error},
        {500, "", errc::server_error},
        {502, "", errc::server_error},
        {504, "", errc::server_error},
        {500, "ServiceUnavailable", errc::server_error},
        {200, "InternalError", errc::server_error},
        {500, "SomethingNew", errc::server_error},
        {507, "", errc::server_error},
        {501, "NotImplemented", errc::s3_error},
        {400, "RequestTimeout", errc::timeout},
        // Credentials and permissions.
        {403, "AccessDenied", errc::access_denied},
        {403, "AllAccessDisabled", errc::access_denied},
        {403, "AccountProblem", errc::access_denied},
        {403, "", errc::access_denied},
        {403, "SignatureDoesNotMatch", errc::signature_mismatch},
        {403, "InvalidAccessKeyId", errc::invalid_access_key},
        {403, "RequestTimeTooSkewed", errc::request_time_skewed},
        {400, "ExpiredToken", errc::expired_token},
        {400, "TokenRefreshRequired", errc::expired_token},
        // Resources.
        {404, "NoSuchBucket", errc::no_such_bucket},
        {404, "NoSuchKey", errc::no_such_key},
        {404, "", errc::not_found},
        {404, "NoSuchUpload", errc::not_found},
        {409, "BucketNotEmpty", errc::bucket_not_empty},
        {409, "BucketAlreadyExists", errc::bucket_already_exists},
        {409, "BucketAlreadyOwnedByYou", errc::bucket_already_exists},
        {403, "InvalidObjectState", errc::invalid_object_state},
        // Region.
        {301, "PermanentRedirect", errc::wrong_region},
        {301, "", errc::wrong_region},
        {307, "TemporaryRedirect", errc::wrong_region},
        {400, "AuthorizationHeaderMalformed", errc::wrong_region},
        {400, "IllegalLocationConstraintException", errc::wrong_region},
        // Preconditions.
        {412, "PreconditionFailed", errc::precondition_failed},
        {412, "", errc::precondition_failed},
        // Other client errors, other codes.
        {400, "InvalidArgument", errc::invalid_request},
        {400, "MalformedXML", errc::invalid_request},
        {405, "MethodNotAllowed", errc::invalid_request},
        {400, "", errc::invalid_request},
        {200, "SomethingNew", errc::s3_error},
        {304, "", errc::s3_error},
    };
    for (const row& r : rows) {
        INFO(r.status << " " << r.code);
        CHECK(classify_error(r.status, r.code) == r.expected);
    }
    CHECK(is_throttle(classify_error(503, "SlowDown")));
    CHECK(is_retryable(classify_error(500, "InternalError")));
    CHECK_FALSE(is_retryable(classify_error(403, "AccessDenied")));
}

TEST_CASE("check_response: 2xx is success") {
    diagnostics diag;
    for (unsigned s : {200u, 204u, 206u}) CHECK_FALSE(check_response(response(s, ""), diag));
    CHECK(diag.http_status == 0);
}

TEST_CASE("check_response: the AWS documentation's NoSuchKey error") {
    // From the Amazon S3 API reference, "REST error responses".
    auto resp = response(404,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<Error>\n"
                         "  <Code>NoSuchKey</Code>\n"
                         "  <Message>The resource you requested does not exist</Message>\n"
                         "  <Resource>/mybucket/myfoto.jpg</Resource> \n"
                         "  <RequestId>4442587FB7D0A2F9</RequestId>\n"
                         "</Error>",
                         {{"x-amz-request-id", "HEADER-ID"}, {"x-amz-id-2", "host-id-from-header"}});
    diagnostics diag;
    diag.operation = "HeadObject";
    diag.bucket = "mybucket";
    diag.key = "myfoto.jpg";
    CHECK(check_response(resp, diag) == errc::no_such_key);
    CHECK(diag.http_status == 404);
    CHECK(diag.s3_code == "NoSuchKey");
    CHECK(diag.message == "The resource you requested does not exist");
    CHECK(diag.request_id == "4442587FB7D0A2F9");  // the document wins over the header
    CHECK(diag.host_id == "host-id-from-header");  // absent from the document
    CHECK(diag.operation == "HeadObject");
    CHECK(diag.bucket == "mybucket");
    CHECK(diag.key == "myfoto.jpg");
}

TEST_CASE("check_response: RGW error bodies with an empty or missing Message") {
    auto resp = response(404,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code>"
                         "<Message></Message><BucketName>x</BucketName>"
                         "<RequestId>tx000001f3b1b5a8e0ae1f5-0065a1b2c3-1234-default</RequestId>"
                         "<HostId>1234-default-default</HostId></Error>");
    diagnostics diag;
    CHECK(check_response(resp, diag) == errc::no_such_bucket);
    CHECK(diag.s3_code == "NoSuchBucket");
    CHECK(diag.message.empty());
    CHECK(diag.request_id == "tx000001f3b1b5a8e0ae1f5-0065a1b2c3-1234-default");
    CHECK(diag.host_id == "1234-default-default");

    resp = response(409,
                    "<Error><Code>BucketNotEmpty</Code><BucketName>x</BucketName>"
                    "<RequestId>tx1</RequestId><HostId>h</HostId></Error>");
    diag.clear();
    CHECK(check_response(resp, diag) == errc::bucket_not_empty);
    CHECK(diag.message.empty());
    CHECK(diag.request_id == "tx1");

    resp = response(403, "<Error><Code>SignatureDoesNotMatch</Code><Message/></Error>");
    diag.clear();
    CHECK(check_response(resp, diag) == errc::signature_mismatch);
}

TEST_CASE("check_response: HEAD errors have no body") {
    auto resp = response(404, "", {{"x-amz-request-id", "RID"}, {"x-amz-id-2", "HID"}});
    diagnostics diag;
    CHECK(check_response(resp, diag) == errc::not_found);
    CHECK(diag.http_status == 404);
    CHECK(diag.s3_code.empty());
    CHECK(diag.request_id == "RID");
    CHECK(diag.host_id == "HID");

    diag.clear();
    CHECK(check_response(response(403, ""), diag) == errc::access_denied);
    diag.clear();
    CHECK(check_response(response(503, ""), diag) == errc::throttled);

    diag.clear();
    resp = response(301, "", {{"x-amz-bucket-region", "eu-central-1"}});
    CHECK(check_response(resp, diag) == errc::wrong_region);
    CHECK(diag.detail.find("eu-central-1") != std::string::npos);
}

TEST_CASE("check_response: region hints in wrong-region errors") {
    auto resp = response(
        400,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AuthorizationHeaderMalformed</Code>"
        "<Message>The authorization header is malformed; the region 'us-east-1' is wrong; expecting "
        "'eu-west-1'</Message><Region>eu-west-1</Region><RequestId>R</RequestId><HostId>H</HostId></Error>",
        {{"x-amz-bucket-region", "eu-west-1"}});
    diagnostics diag;
    CHECK(check_response(resp, diag) == errc::wrong_region);
    CHECK(diag.detail == "the bucket's region is eu-west-1");  // once, not twice

    resp = response(301,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>"
                    "<Message>The bucket you are attempting to access must be addressed using the "
                    "specified endpoint. Please send all future requests to this endpoint.</Message>"
                    "<Endpoint>my-bucket.s3.eu-west-2.amazonaws.com</Endpoint><Bucket>my-bucket</Bucket>"
                    "<RequestId>R</RequestId><HostId>H</HostId></Error>",
                    {{"x-amz-bucket-region", "eu-west-2"}});
    diag.clear();
    CHECK(check_response(resp, diag) == errc::wrong_region);
    CHECK(diag.detail.find("eu-west-2") != std::string::npos);
    CHECK(diag.detail.find("my-bucket.s3.eu-west-2.amazonaws.com") != std::string::npos);
}

TEST_CASE("check_response: non-XML and foreign bodies fall back to the status") {
    diagnostics diag;
    auto resp = response(502, "<html><body><h1>502 Bad Gateway</h1>\r\n</body></html>");
    CHECK(check_response(resp, diag) == errc::server_error);
    CHECK(diag.s3_code.empty());
    CHECK(diag.detail.find("502 Bad Gateway") != std::string::npos);
    CHECK(diag.detail.find('\r') == std::string::npos);

    diag.clear();
    CHECK(check_response(response(503, "Service Unavailable"), diag) == errc::throttled);
    diag.clear();
    CHECK(check_response(response(400, std::string("\0\xff\xfe<", 4)), diag) == errc::invalid_request);
    diag.clear();
    CHECK(check_response(response(400,
                                  "<html>Bad request: Authorization: AWS4-HMAC-SHA256 Credential=AKIA/"
                                  "x, Signature=abc; X-Amz-Security-Token: IQoJb3JpZ2luX2VjE</html>"),
                         diag) == errc::invalid_request);
    CHECK(diag.detail.find("IQoJb3JpZ2luX2VjE") == std::string::npos);
    CHECK(diag.detail.find("Signature=abc") == std::string::npos);
    CHECK(diag.detail.find("withheld") != std::string::npos);
    diag.clear();
    std::string long_body(10000, 'x');
    CHECK(check_response(response(500, long_body), diag) == errc::server_error);
    CHECK(diag.detail.size() < 200);
}

TEST_CASE("check_response: every truncation of an error document is handled") {
    const std::string doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch</Code>"
        "<Message>The request signature we calculated does not match the signature you provided. "
        "Check your key and signing method.</Message><AWSAccessKeyId>AKIAIOSFODNN7EXAMPLE</AWSAccessKeyId>"
        "<StringToSign>AWS4-HMAC-SHA256\n20150830T123600Z</StringToSign><RequestId>R</RequestId>"
        "<HostId>H</HostId></Error>";
    s3test::for_each_truncation(doc, [](std::string body, std::size_t n) {
        diagnostics diag;
        auto ec = check_response(response(403, body, {{"x-amz-request-id", "RID"}}), diag);
        INFO("prefix length " << n);
        CHECK(ec == errc::access_denied);  // status-only: 403 without a code
        CHECK(diag.s3_code.empty());
        CHECK(diag.request_id == "RID");
    });
    diagnostics diag;
    CHECK(check_response(response(403, doc), diag) == errc::signature_mismatch);
}
