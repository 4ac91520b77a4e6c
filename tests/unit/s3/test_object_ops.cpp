#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <random>
#include "s3_test_util.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/sigv4.hpp"

using namespace s3merge;
using namespace s3merge::s3;
using s3test::response;

namespace {
std::string header(const http_request& req, std::string_view name) {
    const std::string* v = req.find_header(name);
    return v ? *v : "<absent>";
}
}  // namespace

// ---- HeadObject ---------------------------------------------------------------

TEST_CASE("build_head_object") {
    head_object_params p;
    p.key = "photos/2006/a b+c.jpg";
    http_request req = build_head_object(s3test::aws_target("bkt"), p);
    CHECK(req.method == "HEAD");
    CHECK(req.host == "bkt.s3.eu-west-1.amazonaws.com");
    CHECK(req.path == "/photos/2006/a b+c.jpg");  // raw: the signer encodes
    CHECK(req.query.empty());

    p.version_id = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
    req = build_head_object(s3test::aws_target("bkt", true), p);
    CHECK(req.path == "/bkt/photos/2006/a b+c.jpg");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "versionId");
    CHECK(req.query[0].value == p.version_id);

    // Checksums and one part's size, on request.
    head_object_params q;
    q.key = "k";
    q.checksum_mode = true;
    q.part_number = 1;
    req = build_head_object(s3test::aws_target("bkt"), q);
    CHECK(*req.find_header("x-amz-checksum-mode") == "ENABLED");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "partNumber");
    CHECK(req.query[0].value == "1");
}

TEST_CASE("parse_head_object: checksums, their type and the parts count") {
    auto resp = response(200, "",
                         {{"Content-Length", "8388608"},
                          {"ETag", "\"d41d8cd98f00b204e9800998ecf8427e-3\""},
                          {"x-amz-checksum-crc64nvme", "AAAAAAAAAAA="},
                          {"x-amz-checksum-sha256", "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=-3"},
                          {"x-amz-checksum-type", "COMPOSITE"},
                          {"x-amz-mp-parts-count", "3"}});
    head_object_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_head_object(resp, out, diag));
    CHECK(out.checksums.crc64nvme == "AAAAAAAAAAA=");
    CHECK(out.checksums.sha256 == "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg=-3");
    CHECK(out.checksums.type == "COMPOSITE");
    CHECK(out.checksums.crc32.empty());
    CHECK(out.parts_count == 3);
}

TEST_CASE("parse_head_object: headers of the AWS HeadObject example") {
    auto resp = response(200, "",
                         {{"x-amz-id-2", "ef8yU9AS1ed4OpIszj7UDNEHGran"},
                          {"x-amz-request-id", "318BC8BC143432E5"},
                          {"x-amz-version-id", "3HL4kqtJlcpXroDTDmjVBH40Nr8X8gdRQBpUMLUo"},
                          {"Date", "Wed, 28 Oct 2009 22:32:00 GMT"},
                          {"Last-Modified", "Sun, 1 Jan 2006 12:00:00 GMT"},
                          {"ETag", "\"fba9dede5f27731c9771645a39863328\""},
                          {"Content-Length", "434234"},
                          {"Content-Type", "text/plain"},
                          {"X-Amz-Meta-Author", "Jane"},
                          {"x-amz-meta-empty", ""},
                          {"Connection", "close"},
                          {"Server", "AmazonS3"}});
    head_object_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_head_object(resp, out, diag));
    CHECK(out.size == 434234);
    CHECK(out.etag == "fba9dede5f27731c9771645a39863328");
    CHECK(out.last_modified == "Sun, 1 Jan 2006 12:00:00 GMT");
    CHECK(out.content_type == "text/plain");
    CHECK(out.storage_class == "STANDARD");
    CHECK(out.version_id == "3HL4kqtJlcpXroDTDmjVBH40Nr8X8gdRQBpUMLUo");
    REQUIRE(out.metadata.size() == 2);
    CHECK(out.metadata[0].name == "author");
    CHECK(out.metadata[0].value == "Jane");
    CHECK(out.metadata[1].name == "empty");
    CHECK(out.metadata[1].value == "");

    resp.headers.push_back({"x-amz-storage-class", "GLACIER"});
    REQUIRE_FALSE(parse_head_object(resp, out, diag));
    CHECK(out.storage_class == "GLACIER");
}

TEST_CASE("parse_head_object: errors") {
    head_object_result out;
    diagnostics diag;
    CHECK(parse_head_object(response(404, "", {{"x-amz-request-id", "R"}}), out, diag) == errc::not_found);
    CHECK(diag.request_id == "R");
    diag.clear();
    CHECK(parse_head_object(response(403, ""), out, diag) == errc::access_denied);
    diag.clear();
    CHECK(parse_head_object(response(200, "", {{"ETag", "\"x\""}}), out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("Content-Length") != std::string::npos);
    diag.clear();
    CHECK(parse_head_object(response(200, "", {{"Content-Length", "12x"}}), out, diag) ==
          errc::malformed_response);
}

// ---- CopyObject ---------------------------------------------------------------

TEST_CASE("build_copy_object: x-amz-copy-source encoding of awkward keys") {
    struct row {
        std::string bucket, key, version, expected;
    };
    const row rows[] = {
        {"src", "plain.txt", "", "/src/plain.txt"},
        {"src", "a+b", "", "/src/a%2Bb"},
        {"src", "100%", "", "/src/100%25"},
        {"src", "a b", "", "/src/a%20b"},
        {"src", "日本語/ログ.json.gz", "", "/src/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%AD%E3%82%B0.json.gz"},
        {"src", "what?", "", "/src/what%3F"},
        {"src", "#hash", "", "/src/%23hash"},
        {"src", "a&b=c", "", "/src/a%26b%3Dc"},
        {"src", "lit%2Fslash", "", "/src/lit%252Fslash"},
        {"src", "a//b/", "", "/src/a//b/"},
        {"src", "/lead", "", "/src//lead"},
        {"src", "~._-", "", "/src/~._-"},
        {"src", "tab\tnl\n", "", "/src/tab%09nl%0A"},
        {"my.dotted.bucket", "k", "", "/my.dotted.bucket/k"},
        {"Legacy_Bucket", "k", "", "/Legacy_Bucket/k"},
        {"src", "k", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo",
         "/src/k?versionId=3%2FL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY%2BMTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"},
        {"src", "a?b", "null", "/src/a%3Fb?versionId=null"},
    };
    for (const row& r : rows) {
        copy_object_params p;
        p.source_bucket = r.bucket;
        p.source_key = r.key;
        p.source_version_id = r.version;
        p.key = "dst/" + r.key;
        http_request req = build_copy_object(s3test::aws_target("dst-bucket"), p);
        INFO("key " << r.key);
        CHECK(header(req, "x-amz-copy-source") == r.expected);
        CHECK(req.method == "PUT");
        CHECK(req.path == "/dst/" + r.key);  // destination stays raw
        CHECK(req.body.empty());
        // Decoding the header gives back exactly bucket/key (no double encoding).
        std::string decoded = uri::decode(r.expected.substr(0, r.expected.find("?versionId=")));
        CHECK(decoded == "/" + r.bucket + "/" + r.key);
    }
}

TEST_CASE("build_copy_object: directives and options") {
    copy_object_params p;
    p.source_bucket = "src";
    p.source_key = "k";
    p.key = "k";
    http_request req = build_copy_object(s3test::aws_target("dst"), p);
    CHECK(header(req, "x-amz-metadata-directive") == "COPY");
    CHECK(header(req, "x-amz-tagging-directive") == "<absent>");
    CHECK(header(req, "x-amz-storage-class") == "<absent>");
    CHECK(header(req, "x-amz-server-side-encryption") == "<absent>");
    CHECK(header(req, "Content-Type") == "<absent>");

    p.replace_metadata = true;
    p.metadata = {{"author", "Jane"}, {"x-amz-meta-already", "1"}};
    p.content_type = "application/json";
    p.replace_tagging = true;
    p.tagging = "k1=v1&k2=v%202";
    p.storage_class = "STANDARD_IA";
    p.sse = "aws:kms";
    p.sse_kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    req = build_copy_object(s3test::aws_target("dst"), p);
    CHECK(header(req, "x-amz-metadata-directive") == "REPLACE");
    CHECK(header(req, "x-amz-meta-author") == "Jane");
    CHECK(header(req, "x-amz-meta-already") == "1");
    CHECK(header(req, "Content-Type") == "application/json");
    CHECK(header(req, "x-amz-tagging-directive") == "REPLACE");
    CHECK(header(req, "x-amz-tagging") == "k1=v1&k2=v%202");
    CHECK(header(req, "x-amz-storage-class") == "STANDARD_IA");
    CHECK(header(req, "x-amz-server-side-encryption") == "aws:kms");
    CHECK(header(req, "x-amz-server-side-encryption-aws-kms-key-id") == p.sse_kms_key_id);
    CHECK_FALSE(req.unsigned_payload);

    // Metadata and Content-Type are only sent with REPLACE.
    p.replace_metadata = false;
    req = build_copy_object(s3test::aws_target("dst"), p);
    CHECK(header(req, "x-amz-meta-author") == "<absent>");
    CHECK(header(req, "Content-Type") == "<absent>");
}

TEST_CASE("parse_copy_object: the AWS documentation's example") {
    auto resp = response(200,
                         "<CopyObjectResult>\n"
                         "   <LastModified>2009-10-28T22:32:00</LastModified>\n"
                         "   <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n"
                         "</CopyObjectResult>",
                         {{"x-amz-version-id", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893"}});
    copy_object_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_copy_object(resp, out, diag));
    CHECK(out.etag == "9b2cf535f27731c974343645a3985328");
    CHECK(out.last_modified == "2009-10-28T22:32:00");
    CHECK(out.version_id == "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893");

    // Namespaced, with &quot; and leading whitespace S3 sends while copying.
    resp = response(200,
                    "                                     \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<LastModified>2024-01-01T00:00:00.000Z</LastModified>"
                    "<ETag>&quot;abc-2&quot;</ETag></CopyObjectResult>");
    REQUIRE_FALSE(parse_copy_object(resp, out, diag));
    CHECK(out.etag == "abc-2");
    CHECK(out.version_id.empty());
}

TEST_CASE("parse_copy_object: a 200 with an <Error> body is an error") {
    copy_object_result out;
    diagnostics diag;
    diag.operation = "CopyObject";
    auto resp = response(200,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
                         "<Message>We encountered an internal error. Please try again.</Message>"
                         "<RequestId>656c76696e6727732072657175657374</RequestId>"
                         "<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>",
                         {{"x-amz-request-id", "header-id"}});
    CHECK(parse_copy_object(resp, out, diag) == errc::server_error);
    CHECK(is_retryable(parse_copy_object(resp, out, diag)));
    CHECK(diag.http_status == 200);
    CHECK(diag.s3_code == "InternalError");
    CHECK(diag.message == "We encountered an internal error. Please try again.");
    CHECK(diag.request_id == "656c76696e6727732072657175657374");
    CHECK(diag.host_id == "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==");
    CHECK(diag.operation == "CopyObject");
    CHECK(out.etag.empty());

    diag.clear();
    CHECK(parse_copy_object(response(200, "<Error><Code>SlowDown</Code></Error>"), out, diag) ==
          errc::throttled);
    diag.clear();
    CHECK(parse_copy_object(response(200, "<Error><Message>what</Message></Error>"), out, diag) ==
          errc::s3_error);
    diag.clear();
    CHECK(parse_copy_object(response(200, ""), out, diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse_copy_object(response(200, "<CopyObjectResult/>"), out, diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse_copy_object(response(404, "<Error><Code>NoSuchKey</Code></Error>"), out, diag) ==
          errc::no_such_key);
    diag.clear();
    CHECK(parse_copy_object(response(403,
                                     "<Error><Code>InvalidObjectState</Code><Message>The "
                                     "operation is not valid for the object's storage class"
                                     "</Message></Error>"),
                            out, diag) == errc::invalid_object_state);
}

TEST_CASE("parse_copy_object: every truncation is malformed") {
    const std::string doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LastModified>2009-10-28T22:32:00"
        "</LastModified><ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag></CopyObjectResult>";
    const std::string error_doc =
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
    for (const std::string& d : {doc, error_doc}) {
        s3test::for_each_truncation(d, [](std::string body, std::size_t n) {
            copy_object_result out;
            diagnostics diag;
            INFO("prefix length " << n);
            CHECK(parse_copy_object(response(200, body), out, diag) == errc::malformed_response);
        });
    }
}

// ---- PutObject ----------------------------------------------------------------

TEST_CASE("build_put_object") {
    put_object_params p;
    p.key = "reports/日本語 report.json";
    p.body = "{\"ok\": true}\n";
    p.content_type = "application/json";
    p.content_encoding = "gzip";
    p.metadata = {{"source", "s3merge"}};
    p.storage_class = "STANDARD_IA";
    p.tagging = "a=b";
    http_request req = build_put_object(s3test::aws_target("bkt", true), p);
    CHECK(req.method == "PUT");
    CHECK(req.path == "/bkt/reports/日本語 report.json");
    CHECK(req.body == "{\"ok\": true}\n");
    CHECK(header(req, "Content-Type") == "application/json");
    CHECK(header(req, "Content-Encoding") == "gzip");
    CHECK(header(req, "x-amz-meta-source") == "s3merge");
    CHECK(header(req, "x-amz-storage-class") == "STANDARD_IA");
    CHECK(header(req, "x-amz-tagging") == "a=b");
    CHECK(header(req, "Content-MD5") == s3test::independent_md5_base64(req.body));
    CHECK_FALSE(req.unsigned_payload);

    put_object_params empty;
    empty.key = "zero";
    req = build_put_object(s3test::aws_target("bkt"), empty);
    CHECK(header(req, "Content-MD5") == "1B2M2Y8AsgTpgAmY7PhCfg==");  // MD5 of ""
    CHECK(header(req, "Content-Type") == "<absent>");
    CHECK(header(req, "x-amz-tagging") == "<absent>");
}

TEST_CASE("parse_put_object") {
    put_object_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_put_object(
        response(200, "", {{"ETag", "\"1b2cf535f27731c974343645a3985328\""}, {"x-amz-version-id", "v1"}}),
        out, diag));
    CHECK(out.etag == "1b2cf535f27731c974343645a3985328");
    CHECK(out.version_id == "v1");
    CHECK(parse_put_object(response(400, "<Error><Code>BadDigest</Code></Error>"), out, diag) ==
          errc::invalid_request);
    CHECK(diag.s3_code == "BadDigest");
}

TEST_CASE("GetObject: GET of the key; body, ETag and metadata as stored; errors classified") {
    http_request req = build_get_object(s3test::aws_target("bkt"), {"a b/c.json.gz"});
    CHECK(req.method == "GET");
    CHECK(req.path == "/a b/c.json.gz");  // encoded when signed and sent
    get_object_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_get_object(s3test::response(200, std::string("\x1f\x8b\x08\x00", 4),
                                                    {{"ETag", "\"abc\""},
                                                     {"X-Amz-Meta-Signature", "00ff"},
                                                     {"x-amz-meta-signature-algorithm", "SHA256withRSA"}}),
                                   out, diag));
    CHECK(out.body == std::string("\x1f\x8b\x08\x00", 4));
    CHECK(out.etag == "abc");
    REQUIRE(out.metadata.size() == 2);
    CHECK(out.metadata[0].name == "signature");
    CHECK(out.metadata[0].value == "00ff");
    CHECK(out.metadata[1].name == "signature-algorithm");
    CHECK(
        parse_get_object(s3test::response(404, "<Error><Code>NoSuchKey</Code><Message>no</Message></Error>"),
                         out, diag) == errc::no_such_key);
    CHECK(out.body.empty());
}

namespace {

// The scan and the document parser on one body: when the scan takes it,
// the parser reads it without error to the same result; when it declines,
// nothing is half-read. parse_copy_object gives the parser's answer either
// way (error or result).
bool copy_scan_agrees(const std::string& body) {
    copy_object_result scanned, parsed, combined;
    diagnostics d1, d2;
    const bool took = scan_copy_object(body, scanned);
    const auto resp = response(200, body, {{"x-amz-version-id", "v1"}});
    const auto doc_ec = parse_copy_object_document(resp, parsed, d1);
    const auto ec = parse_copy_object(resp, combined, d2);
    CAPTURE(body);
    CHECK(ec == doc_ec);
    CHECK(combined == parsed);
    if (took) {
        REQUIRE_FALSE(doc_ec);
        scanned.version_id = "v1";
        CHECK(scanned == parsed);
    } else {
        CHECK(scanned == copy_object_result{});
    }
    return took;
}

}  // namespace

TEST_CASE("scan_copy_object: takes what S3, RGW and the load target send, reading it as the parser does") {
    // The AWS documentation's example; S3's whitespace-first answer (a long
    // copy) with the namespace; RGW's; the load target's; checksums.
    CHECK(
        copy_scan_agrees("<CopyObjectResult>\n   <LastModified>2009-10-28T22:32:00</LastModified>\n"
                         "   <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n</CopyObjectResult>"));
    CHECK(
        copy_scan_agrees("                                     \n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                         "<LastModified>2024-01-01T00:00:00.000Z</LastModified>"
                         "<ETag>&quot;abc-2&quot;</ETag></CopyObjectResult>"));
    CHECK(copy_scan_agrees(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CopyObjectResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LastModified>2026-12-05T08:24:37.266Z"
        "</LastModified><ETag>&quot;9bb632fff2be57171d6885074fd2bf5d&quot;</ETag>"
        "</CopyObjectResult>\n"));
    CHECK(
        copy_scan_agrees("<CopyObjectResult><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>"
                         "&quot;0123456789abcdef0123456789abcdef&quot;</ETag></CopyObjectResult>"));
    CHECK(copy_scan_agrees(
        "<CopyObjectResult><ETag>&#34;e&#x2D;1&#34;</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32>"
        "<ChecksumType>FULL_OBJECT</ChecksumType><LastModified/></CopyObjectResult>"));
    copy_object_result out;
    REQUIRE(scan_copy_object("<CopyObjectResult><ETag>&quot;e&#x2D;1&quot;</ETag></CopyObjectResult>", out));
    CHECK(out.etag == "e-1");
    CHECK(out.last_modified.empty());
}

TEST_CASE("parse_copy_object: a result reused from one copy to the next keeps nothing of the last answer") {
    // The copy worker keeps one result for its copies (its buffers are
    // reused): an answer that is an error, that the scan declines, or that
    // names no versions must not leave the last answer's ETag, date or
    // versions standing, and an ETag must never confirm a copy it was not
    // the answer to.
    copy_object_result res;
    diagnostics diag;
    const std::string first =
        "<CopyObjectResult><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
        "<ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag></CopyObjectResult>";
    REQUIRE_FALSE(parse_copy_object(
        response(200, first, {{"x-amz-version-id", "v1"}, {"x-amz-copy-source-version-id", "s1"}}), res,
        diag));
    CHECK(res.etag == "0123456789abcdef0123456789abcdef");
    CHECK(res.version_id == "v1");
    CHECK(res.source_version_id == "s1");
    // An error inside a 200: an error, and nothing of the first answer.
    CHECK(parse_copy_object(response(200, "<Error><Code>InternalError</Code><Message>m</Message></Error>"),
                            res, diag));
    CHECK(res == copy_object_result{});
    REQUIRE_FALSE(parse_copy_object(response(200, first, {{"x-amz-version-id", "v1"}}), res, diag));
    // A shorter ETag and no versions: the second answer alone.
    REQUIRE_FALSE(parse_copy_object(
        response(200, "<CopyObjectResult><ETag>&quot;ab&quot;</ETag></CopyObjectResult>"), res, diag));
    CHECK(res.etag == "ab");
    CHECK(res.last_modified.empty());
    CHECK(res.version_id.empty());
    CHECK(res.source_version_id.empty());
    // Declined by the scan (a comment), read by the parser: still its own.
    REQUIRE_FALSE(parse_copy_object(response(200, first), res, diag));
    REQUIRE_FALSE(parse_copy_object(
        response(200, "<CopyObjectResult><!-- c --><ETag>\"cd\"</ETag></CopyObjectResult>"), res, diag));
    CHECK(res.etag == "cd");
    CHECK(res.last_modified.empty());
    // No ETag at all: an error, not the last one's.
    CHECK(parse_copy_object(
        response(200, "<CopyObjectResult><LastModified>x</LastModified></CopyObjectResult>"), res, diag));
    CHECK(res.etag.empty());
}

TEST_CASE("scan_copy_object: declines what it cannot read as the parser does, and the parser judges it") {
    for (const char* body : {
             // Errors inside a 200, and results without an ETag: the parser's
             // error, never a success.
             "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>",
             "<?xml version=\"1.0\"?>\n<Error><Code>InternalError</Code></Error>",
             "<CopyObjectResult><LastModified>x</LastModified></CopyObjectResult>",
             "<CopyObjectResult><ETag></ETag></CopyObjectResult>",
             "<CopyObjectResult><ETag>\"\"</ETag></CopyObjectResult>",
             "<CopyObjectResult/>",
             "",
             "   ",
             // Shapes the scan leaves to the parser (read by it, or refused).
             "<CopyObjectResult><ETag>\"a\"</ETag><ETag>\"b\"</ETag></CopyObjectResult>",
             "<CopyObjectResult><!-- c --><ETag>\"a\"</ETag></CopyObjectResult>",
             "<CopyObjectResult><ETag><![CDATA[\"a\"]]></ETag></CopyObjectResult>",
             "<s3:CopyObjectResult "
             "xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:ETag>\"a\"</s3:ETag>"
             "</s3:CopyObjectResult>",
             "<CopyObjectResult><ETag a=\"1\">\"a\"</ETag></CopyObjectResult>",
             "<CopyObjectResult>\r\n<ETag>\"a\"</ETag></CopyObjectResult>",
             "<CopyObjectResult><ETag>\"a&nbsp;\"</ETag></CopyObjectResult>",
             "<CopyObjectResult><ETag>\"a\"</ETag></CopyObjectResult>trailing",
             "<CopyObjectResult><ETag>\"a\"</ETag></CopyObjectResult><CopyObjectResult/>",
             "<CopyObjectResult><ETag>\"a\"</ETag>",
             "<CopyObjectResult><ETag>\"a\"</Etag></CopyObjectResult>",
             "<CopyObjectResultX><ETag>\"a\"</ETag></CopyObjectResultX>",
             "<CopyObjectResult><ETag>\"a\"</ETag></CopyObjectResultX>",
         }) {
        CHECK_FALSE(copy_scan_agrees(body));
    }
    // A NUL inside: the parser's to read.
    static const char with_nul[] = "<CopyObjectResult><ETag>\"a\0\"</ETag></CopyObjectResult>";
    CHECK_FALSE(copy_scan_agrees(std::string(with_nul, sizeof with_nul - 1)));
}

TEST_CASE("scan_copy_object: random results and damaged ones agree with the document parser") {
    // Property: for bodies built from S3's shape with random ETags,
    // escapes, extra elements and whitespace, then cut or with one byte
    // changed, the scan never reads anything the parser reads otherwise.
    std::mt19937 rng(20261205);
    const std::string pieces[] = {"&quot;", "&#34;", "&amp;", "&lt;", "&gt;", "&apos;", "&#x41;", "a",
                                  "0",      "-",     "\"",    "'",    " ",    "\n",     "\t"};
    int took = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string etag;
        for (int n = static_cast<int>(rng() % 12); n > 0; --n) etag += pieces[rng() % std::size(pieces)];
        std::string body = rng() % 2 ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : "";
        body += rng() % 2 ? "<CopyObjectResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                          : "<CopyObjectResult>";
        if (rng() % 2) body += "<LastModified>2024-01-01T00:00:00.000Z</LastModified>";
        if (rng() % 4 == 0) body += "<ChecksumCRC32>q1w2e3==</ChecksumCRC32>";
        if (rng() % 8) body += "<ETag>" + etag + "</ETag>";
        if (rng() % 4 == 0) body += "<Unknown><Nested>x</Nested></Unknown>";
        body += "</CopyObjectResult>";
        if (rng() % 3 == 0) body += "\n";
        switch (rng() % 4) {
            case 0:  // cut anywhere
                body.resize(rng() % (body.size() + 1));
                break;
            case 1:  // one byte changed to one that matters in XML
                if (!body.empty()) body[rng() % body.size()] = "<>&/\"'= ;#x"[rng() % 11];
                break;
            default:
                break;
        }
        took += copy_scan_agrees(body) ? 1 : 0;
    }
    CHECK(took > 500);  // the scan takes the plain ones
}
