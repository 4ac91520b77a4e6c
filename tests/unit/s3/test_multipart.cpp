#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <limits>

#include <pugixml.hpp>

#include "s3_test_util.hpp"
#include "s3merge/s3/multipart.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/sigv4.hpp"

using namespace s3merge;
using namespace s3merge::s3;
using s3test::response;

namespace {

constexpr std::uint64_t MiB = 1024 * 1024;
constexpr std::uint64_t GiB = 1024 * MiB;
constexpr std::uint64_t TiB = 1024 * GiB;

std::string header(const http_request& req, std::string_view name) {
    const std::string* v = req.find_header(name);
    return v ? *v : "<absent>";
}

std::string find_query(const http_request& req, std::string_view name) {
    for (const query_param& q : req.query)
        if (q.name == name) return q.value;
    return "<absent>";
}

// The awkward keys every builder must carry through unchanged.
const std::vector<std::string> awkward_keys = {
    "a+b",                  // '+' is not a space in a path
    "100%",                 // a lone '%'
    "lit%2Fslash",          // a literal "%2F", not a '/'
    "a b",                  // a space
    "日本語/ログ.json.gz",  // UTF-8
    "what?",                // '?' must not start the query
    "#hash",                // '#' must not start a fragment
    "a?b#c&d=e",            // query metacharacters together
    "dir/sub/",             // slashes kept, a trailing '/'
    "emoji 😀",              // 4-byte UTF-8
};

// Checks a plan against S3's rules: contiguous parts numbered 1..n covering
// [0, size), each part but the last exactly the effective part size within
// [5 MiB, 5 GiB], the last no larger, n <= 10,000.
void check_plan_invariants(std::uint64_t size, std::uint64_t requested) {
    INFO("object size " << size << ", requested part size " << requested);
    const auto parts = plan_parts(size, requested);
    const std::uint64_t part_size = effective_part_size(size, requested);
    REQUIRE_FALSE(parts.empty());
    CHECK(parts.size() <= static_cast<std::size_t>(max_part_count));
    CHECK(part_size >= min_part_size);
    CHECK(part_size <= max_part_size);
    // One check per plan rather than per part: a plan has up to 10,000 parts.
    std::uint64_t next = 0;
    std::string problem;
    for (std::size_t i = 0; i < parts.size() && problem.empty(); ++i) {
        const part_range& p = parts[i];
        const bool last = i + 1 == parts.size();
        if (p.part_number != static_cast<int>(i + 1))
            problem = "part #" + std::to_string(i) + " is numbered " + std::to_string(p.part_number);
        else if (p.first != next || p.last < p.first)
            problem = "part " + std::to_string(p.part_number) + " is not contiguous";
        else if (last ? p.size() > part_size : p.size() != part_size)
            problem = "part " + std::to_string(p.part_number) + " has " + std::to_string(p.size()) + " bytes";
        next = p.last + 1;
    }
    CHECK(problem == "");
    CHECK(next == size);
}

}  // namespace

// ---- plan_parts ---------------------------------------------------------------

TEST_CASE("source_layout_part_size: the source's own layout, or nothing") {
    constexpr std::uint64_t mib = 1ull << 20;
    // 3 parts of 8 MiB, the last shorter: reproduced.
    CHECK(source_layout_part_size(20 * mib, "abc-3", 8 * mib, 3) == 8 * mib);
    CHECK(plan_parts(20 * mib, source_layout_part_size(20 * mib, "abc-3", 8 * mib, 3)).size() == 3);
    // The last part exactly full.
    CHECK(source_layout_part_size(24 * mib, "abc-3", 8 * mib, 3) == 8 * mib);
    // Not multipart, no parts count (a server without ?partNumber), counts
    // that disagree, a layout that is not uniform, parts out of S3's limits.
    CHECK(source_layout_part_size(20 * mib, "abc", 8 * mib, 3) == 0);
    CHECK(source_layout_part_size(20 * mib, "abc-3", 20 * mib, 0) == 0);
    CHECK(source_layout_part_size(20 * mib, "abc-4", 8 * mib, 3) == 0);
    CHECK(source_layout_part_size(20 * mib, "abc-3", 5 * mib, 3) == 0);  // 4 parts of 5 MiB would be needed
    CHECK(source_layout_part_size(6 * mib, "abc-2", 1 * mib, 2) == 0);   // below 5 MiB
    CHECK(source_layout_part_size(20 * mib, "abc-x", 8 * mib, 3) == 0);
    CHECK(source_layout_part_size(20 * mib, "abc-99999999999999999999", 8 * mib, 3) == 0);
}

TEST_CASE("plan_parts: a 0-byte object never goes multipart") {
    CHECK(plan_parts(0, 8 * MiB).empty());
    CHECK(plan_parts(0, 0).empty());
    CHECK(effective_part_size(0, 8 * MiB) == 0);
}

TEST_CASE("plan_parts: small objects are one part, the last part may be tiny") {
    CHECK(plan_parts(1, 8 * MiB) == std::vector<part_range>{{1, 0, 0}});
    CHECK(plan_parts(5 * MiB, 5 * MiB) == std::vector<part_range>{{1, 0, 5 * MiB - 1}});
    CHECK(plan_parts(5 * MiB + 1, 5 * MiB) ==
          std::vector<part_range>{{1, 0, 5 * MiB - 1}, {2, 5 * MiB, 5 * MiB}});
    CHECK(plan_parts(5 * MiB + 1, 5 * MiB)[1].size() == 1);
    CHECK(plan_parts(17 * MiB, 8 * MiB) == std::vector<part_range>{{1, 0, 8 * MiB - 1},
                                                                   {2, 8 * MiB, 16 * MiB - 1},
                                                                   {3, 16 * MiB, 17 * MiB - 1}});
    // A requested size that is not a whole MiB is kept (only grown sizes are rounded).
    CHECK(effective_part_size(20 * MiB, 5 * MiB + 1) == 5 * MiB + 1);
}

TEST_CASE("plan_parts: the requested part size is clamped to 5 MiB..5 GiB") {
    CHECK(effective_part_size(100 * MiB, 0) == 5 * MiB);
    CHECK(effective_part_size(100 * MiB, 1) == 5 * MiB);
    CHECK(effective_part_size(100 * MiB, 5 * MiB - 1) == 5 * MiB);
    CHECK(plan_parts(100 * MiB, 1).size() == 20);
    CHECK(effective_part_size(11 * GiB, 6 * GiB) == 5 * GiB);
    CHECK(effective_part_size(11 * GiB, std::numeric_limits<std::uint64_t>::max()) == 5 * GiB);
    CHECK(plan_parts(11 * GiB, 6 * GiB) == std::vector<part_range>{{1, 0, 5 * GiB - 1},
                                                                   {2, 5 * GiB, 10 * GiB - 1},
                                                                   {3, 10 * GiB, 11 * GiB - 1}});
}

TEST_CASE("plan_parts: at most 10,000 parts; the part size grows, rounded up to a MiB") {
    // Exactly 10,000 parts of 5 MiB.
    auto parts = plan_parts(10000 * 5 * MiB, 5 * MiB);
    REQUIRE(parts.size() == 10000);
    CHECK(parts.back() == part_range{10000, 9999 * 5 * MiB, 10000 * 5 * MiB - 1});

    // One byte more: ceil(size / 10,000) = 5 MiB + 1 byte, rounded up to 6 MiB.
    CHECK(effective_part_size(10000 * 5 * MiB + 1, 5 * MiB) == 6 * MiB);
    parts = plan_parts(10000 * 5 * MiB + 1, 5 * MiB);
    REQUIRE(parts.size() == 8334);
    CHECK(parts.back().size() == 2 * MiB + 1);

    CHECK(plan_parts(10000 * 8 * MiB, 8 * MiB).size() == 10000);
    CHECK(effective_part_size(10000 * 8 * MiB + 1, 8 * MiB) == 9 * MiB);
    parts = plan_parts(10000 * 8 * MiB + 1, 8 * MiB);
    REQUIRE(parts.size() == 8889);
    CHECK(parts.back().size() == 8 * MiB + 1);

    // 1 TiB with 8 MiB parts: 109,951,162.8 bytes per part -> 105 MiB.
    CHECK(effective_part_size(TiB, 8 * MiB) == 105 * MiB);
    parts = plan_parts(TiB, 8 * MiB);
    REQUIRE(parts.size() == 9987);
    CHECK(parts.back().size() == 46 * MiB);

    // 5 TiB (S3's long-standing object limit) -> 525 MiB parts.
    CHECK(effective_part_size(5 * TiB, 5 * MiB) == 525 * MiB);
    CHECK(plan_parts(5 * TiB, 5 * MiB).size() == 9987);
}

TEST_CASE("plan_parts: 10,000 parts of 5 GiB is the ceiling") {
    CHECK(max_multipart_object_size == 10000 * 5 * GiB);
    auto parts = plan_parts(max_multipart_object_size, 5 * MiB);
    REQUIRE(parts.size() == 10000);
    CHECK(parts.front() == part_range{1, 0, 5 * GiB - 1});
    CHECK(parts.back() == part_range{10000, 9999 * 5 * GiB, max_multipart_object_size - 1});
    CHECK(plan_parts(max_multipart_object_size + 1, 5 * GiB).empty());
    CHECK(effective_part_size(max_multipart_object_size + 1, 5 * GiB) == 0);
    CHECK(plan_parts(std::numeric_limits<std::uint64_t>::max(), 5 * GiB).empty());
}

TEST_CASE("plan_parts: invariants across sizes and requests") {
    const std::uint64_t sizes[] = {1,
                                   2,
                                   5 * MiB - 1,
                                   5 * MiB,
                                   5 * MiB + 1,
                                   64 * MiB,
                                   1000 * MiB + 7,
                                   10000 * 5 * MiB - 1,
                                   10000 * 5 * MiB,
                                   10000 * 5 * MiB + 1,
                                   5 * GiB,
                                   5 * GiB + 1,
                                   123456789012,
                                   TiB + 1,
                                   max_multipart_object_size - 1,
                                   max_multipart_object_size};
    const std::uint64_t requests[] = {0, 5 * MiB, 8 * MiB, 16 * MiB + 3, 100 * MiB, 5 * GiB, 6 * GiB};
    for (std::uint64_t size : sizes)
        for (std::uint64_t request : requests) check_plan_invariants(size, request);
}

// ---- CreateMultipartUpload ------------------------------------------------------

TEST_CASE("build_create_multipart_upload") {
    create_multipart_upload_params p;
    p.key = "videos/日本語 clip+1.mp4";
    p.content_type = "video/mp4";
    p.content_encoding = "identity";
    p.content_disposition = "attachment; filename=\"clip.mp4\"";
    p.content_language = "ja";
    p.cache_control = "max-age=3600";
    p.metadata = {{"author", "Jane"}, {"x-amz-meta-already", "1"}};
    p.storage_class = "STANDARD_IA";
    p.tagging = encode_tagging({{"project", "blue"}, {"owner", "a b"}});
    p.sse = "aws:kms";
    p.sse_kms_key_id = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    http_request req = build_create_multipart_upload(s3test::aws_target("example-bucket"), p);
    CHECK(req.method == "POST");
    CHECK(req.host == "example-bucket.s3.eu-west-1.amazonaws.com");
    CHECK(req.path == "/videos/日本語 clip+1.mp4");  // raw: the signer encodes
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "uploads");
    CHECK(req.query[0].value == "");
    CHECK(req.body.empty());
    CHECK(header(req, "Content-Type") == "video/mp4");
    CHECK(header(req, "Content-Encoding") == "identity");
    CHECK(header(req, "Content-Disposition") == "attachment; filename=\"clip.mp4\"");
    CHECK(header(req, "Content-Language") == "ja");
    CHECK(header(req, "Cache-Control") == "max-age=3600");
    CHECK(header(req, "x-amz-meta-author") == "Jane");
    CHECK(header(req, "x-amz-meta-already") == "1");
    CHECK(header(req, "x-amz-storage-class") == "STANDARD_IA");
    CHECK(header(req, "x-amz-tagging") == "project=blue&owner=a%20b");
    CHECK(header(req, "x-amz-server-side-encryption") == "aws:kms");
    CHECK(header(req, "x-amz-server-side-encryption-aws-kms-key-id") == p.sse_kms_key_id);
    CHECK(uri::request_target(req) == "/videos/%E6%97%A5%E6%9C%AC%E8%AA%9E%20clip%2B1.mp4?uploads=");

    create_multipart_upload_params bare;
    bare.key = "k";
    req = build_create_multipart_upload(s3test::aws_target("b", /*path_style=*/true), bare);
    CHECK(req.path == "/b/k");
    CHECK(req.headers.empty());
}

TEST_CASE("build_create_multipart_upload: awkward keys stay raw in the path") {
    for (const std::string& key : awkward_keys) {
        create_multipart_upload_params p;
        p.key = key;
        http_request req = build_create_multipart_upload(s3test::aws_target("b"), p);
        INFO("key " << key);
        CHECK(req.path == "/" + key);
        // The signer's request line decodes back to the key: no double encoding,
        // and '?' / '#' in the key never leak into the query.
        std::string target = uri::request_target(req);
        CHECK(target.substr(target.rfind('?')) == "?uploads=");
        CHECK(uri::decode(target.substr(0, target.rfind('?'))) == "/" + key);
    }
}

TEST_CASE("parse_create_multipart_upload: the AWS documentation's example") {
    const std::string body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
        "  <Bucket>example-bucket</Bucket>\n"
        "  <Key>example-object</Key>\n"
        "  <UploadId>VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\n"
        "</InitiateMultipartUploadResult>";
    create_multipart_upload_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_create_multipart_upload(response(200, body), out, diag));
    CHECK(out.bucket == "example-bucket");
    CHECK(out.key == "example-object");
    CHECK(out.upload_id == "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");

    s3test::for_each_truncation(body, [](std::string prefix, std::size_t n) {
        create_multipart_upload_result out;
        diagnostics diag;
        INFO("prefix length " << n);
        CHECK(parse_create_multipart_upload(response(200, prefix), out, diag) == errc::malformed_response);
        CHECK(out.upload_id.empty());
    });
}

TEST_CASE("parse_create_multipart_upload: errors") {
    create_multipart_upload_result out;
    diagnostics diag;
    CHECK(
        parse_create_multipart_upload(response(200,
                                               "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key>"
                                               "<UploadId></UploadId></InitiateMultipartUploadResult>"),
                                      out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("UploadId") != std::string::npos);
    CHECK(out.bucket.empty());
    diag.clear();
    CHECK(parse_create_multipart_upload(response(200, "<InitiateMultipartUploadResult/>"), out, diag) ==
          errc::malformed_response);
    diag.clear();
    CHECK(parse_create_multipart_upload(response(200, "<Error><Code>InternalError</Code></Error>"), out,
                                        diag) == errc::server_error);
    diag.clear();
    CHECK(parse_create_multipart_upload(
              response(403, "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"), out,
              diag) == errc::access_denied);
    CHECK(diag.message == "Access Denied");
    diag.clear();
    CHECK(parse_create_multipart_upload(response(404, "<Error><Code>NoSuchBucket</Code></Error>"), out,
                                        diag) == errc::no_such_bucket);
}

// ---- UploadPartCopy -------------------------------------------------------------

namespace {
upload_part_copy_params part_copy(std::string key = "dst") {
    upload_part_copy_params p;
    p.key = std::move(key);
    p.upload_id = "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA";
    p.part_number = 2;
    p.source_bucket = "source-bucket";
    p.source_key = "sourceobject";
    return p;
}
}  // namespace

TEST_CASE("build_upload_part_copy: the AWS example's request") {
    // AWS UploadPartCopy example: part 2 of the upload, bytes 500-6291456.
    auto p = part_copy("newobject");
    p.source_range = byte_range{500, 6291456};
    std::error_code ec;
    diagnostics diag;
    http_request req = build_upload_part_copy(s3test::aws_target("target-bucket"), p, ec, diag);
    REQUIRE_FALSE(ec);
    CHECK(req.method == "PUT");
    CHECK(req.host == "target-bucket.s3.eu-west-1.amazonaws.com");
    CHECK(req.path == "/newobject");
    CHECK(req.query.size() == 2);
    CHECK(find_query(req, "partNumber") == "2");
    CHECK(find_query(req, "uploadId") == "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    CHECK(header(req, "x-amz-copy-source") == "/source-bucket/sourceobject");
    CHECK(header(req, "x-amz-copy-source-range") == "bytes=500-6291456");
    CHECK(header(req, "x-amz-copy-source-if-match") == "<absent>");
    CHECK(header(req, "x-amz-metadata-directive") == "<absent>");
    CHECK(req.body.empty());
    CHECK(uri::request_target(req) ==
          "/newobject?partNumber=2&uploadId=VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");

    // Without a range the whole source is copied; a one-byte range is "bytes=n-n".
    p.source_range.reset();
    req = build_upload_part_copy(s3test::aws_target("target-bucket"), p, ec, diag);
    CHECK(header(req, "x-amz-copy-source-range") == "<absent>");
    p.source_range = byte_range{0, 0};
    req = build_upload_part_copy(s3test::aws_target("target-bucket"), p, ec, diag);
    CHECK(header(req, "x-amz-copy-source-range") == "bytes=0-0");

    // The ranges of a plan go through as they are.
    p.source_range = byte_range{9999 * 5 * GiB, max_multipart_object_size - 1};
    p.part_number = 10000;
    req = build_upload_part_copy(s3test::aws_target("target-bucket"), p, ec, diag);
    REQUIRE_FALSE(ec);
    CHECK(header(req, "x-amz-copy-source-range") == "bytes=53681722490880-53687091199999");
    CHECK(find_query(req, "partNumber") == "10000");
}

TEST_CASE("build_upload_part_copy: source version and if-match") {
    auto p = part_copy();
    p.source_version_id = "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo";
    p.source_if_match = "9b2cf535f27731c974343645a3985328";
    std::error_code ec;
    diagnostics diag;
    http_request req = build_upload_part_copy(s3test::aws_target("dst-bucket"), p, ec, diag);
    REQUIRE_FALSE(ec);
    CHECK(header(req, "x-amz-copy-source") ==
          "/source-bucket/"
          "sourceobject?versionId=3%2FL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY%2BMTRCxf3vjVBH40Nr8X8gdRQBpUMLUo");
    CHECK(header(req, "x-amz-copy-source-if-match") == "\"9b2cf535f27731c974343645a3985328\"");
    p.source_if_match = "\"9b2cf535f27731c974343645a3985328-3\"";  // already quoted: not twice
    req = build_upload_part_copy(s3test::aws_target("dst-bucket"), p, ec, diag);
    CHECK(header(req, "x-amz-copy-source-if-match") == "\"9b2cf535f27731c974343645a3985328-3\"");
}

TEST_CASE("build_upload_part_copy: x-amz-copy-source is encoded exactly as CopyObject's") {
    std::vector<std::string> keys = awkward_keys;
    for (std::string extra : {"a&b=c", "a//b/", "/lead", "~._-", "tab\tnl\n", "a%20b"}) keys.push_back(extra);
    for (const std::string bucket : {"src", "my.dotted.bucket", "Legacy_Bucket"}) {
        for (const std::string& key : keys) {
            for (const std::string version : {"", "null", "3/L4kq+x=="}) {
                auto p = part_copy("dst/" + key);
                p.source_bucket = bucket;
                p.source_key = key;
                p.source_version_id = version;
                std::error_code ec;
                diagnostics diag;
                http_request req = build_upload_part_copy(s3test::aws_target("dst-bucket"), p, ec, diag);
                REQUIRE_FALSE(ec);

                copy_object_params c;
                c.source_bucket = bucket;
                c.source_key = key;
                c.source_version_id = version;
                c.key = p.key;
                http_request copy = build_copy_object(s3test::aws_target("dst-bucket"), c);
                INFO("bucket " << bucket << " key " << key << " version " << version);
                CHECK(header(req, "x-amz-copy-source") == header(copy, "x-amz-copy-source"));
                CHECK(req.path == "/dst/" + key);  // destination stays raw
                const std::string source = header(req, "x-amz-copy-source");
                CHECK(uri::decode(source.substr(0, source.find("?versionId="))) == "/" + bucket + "/" + key);
            }
        }
    }
    // Spot values.
    auto p = part_copy();
    p.source_key = "lit%2Fslash ?#+";
    std::error_code ec;
    diagnostics diag;
    CHECK(header(build_upload_part_copy(s3test::aws_target("d"), p, ec, diag), "x-amz-copy-source") ==
          "/source-bucket/lit%252Fslash%20%3F%23%2B");
}

TEST_CASE("build_upload_part_copy: invalid input is refused, not sent") {
    struct row {
        std::string what;
        upload_part_copy_params p;
    };
    std::vector<row> rows;
    rows.push_back({"empty upload id", part_copy()});
    rows.back().p.upload_id.clear();
    rows.push_back({"empty key", part_copy("")});
    rows.push_back({"part 0", part_copy()});
    rows.back().p.part_number = 0;
    rows.push_back({"part -1", part_copy()});
    rows.back().p.part_number = -1;
    rows.push_back({"part 10001", part_copy()});
    rows.back().p.part_number = 10001;
    rows.push_back({"reversed range", part_copy()});
    rows.back().p.source_range = byte_range{10, 9};
    for (const row& r : rows) {
        std::error_code ec;
        diagnostics diag;
        INFO(r.what);
        http_request req = build_upload_part_copy(s3test::aws_target("b"), r.p, ec, diag);
        CHECK(ec == errc::invalid_argument);
        CHECK_FALSE(diag.detail.empty());
        CHECK(diag.key == r.p.key);
        CHECK(req.query.empty());
        CHECK(req.headers.empty());
    }
    // The edges are fine.
    auto p = part_copy();
    p.part_number = 1;
    std::error_code ec;
    diagnostics diag;
    build_upload_part_copy(s3test::aws_target("b"), p, ec, diag);
    CHECK_FALSE(ec);
    p.part_number = 10000;
    build_upload_part_copy(s3test::aws_target("b"), p, ec, diag);
    CHECK_FALSE(ec);
}

TEST_CASE("parse_upload_part_copy: the AWS documentation's example") {
    // AWS UploadPartCopy "Sample Response" (body and headers); the second
    // example adds x-amz-copy-source-version-id.
    const std::string body =
        "<CopyPartResult>\n"
        "   <LastModified>2011-04-11T20:34:56.000Z</LastModified>\n"
        "   <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n"
        "</CopyPartResult>";
    auto resp = response(200, body,
                         {{"x-amz-id-2", "Vvag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg=="},
                          {"x-amz-request-id", "656c76696e6727732072657175657374"},
                          {"Date", "Mon, 11 Apr 2011 20:34:56 GMT"},
                          {"Server", "AmazonS3"}});
    upload_part_copy_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_upload_part_copy(resp, out, diag));
    CHECK(out.etag == "9b2cf535f27731c974343645a3985328");
    CHECK(out.last_modified == "2011-04-11T20:34:56.000Z");
    CHECK(out.copy_source_version_id.empty());

    resp.headers.push_back(
        {"x-amz-copy-source-version-id", "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"});
    REQUIRE_FALSE(parse_upload_part_copy(resp, out, diag));
    CHECK(out.copy_source_version_id == "3/L4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo");

    // Namespaced, &quot;-escaped, behind the whitespace S3 sends while copying.
    REQUIRE_FALSE(parse_upload_part_copy(
        response(200,
                 "   \n\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyPartResult "
                 "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LastModified>2024-01-01T00:00:00.000Z"
                 "</LastModified><ETag>&quot;abc&quot;</ETag></CopyPartResult>"),
        out, diag));
    CHECK(out.etag == "abc");
}

TEST_CASE("parse_upload_part_copy: a 200 with an <Error> body is an error") {
    upload_part_copy_result out;
    diagnostics diag;
    diag.operation = "UploadPartCopy";
    auto resp = response(200,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
                         "<Message>We encountered an internal error. Please try again.</Message>"
                         "<RequestId>656c76696e6727732072657175657374</RequestId>"
                         "<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>");
    CHECK(parse_upload_part_copy(resp, out, diag) == errc::server_error);
    CHECK(diag.http_status == 200);
    CHECK(diag.s3_code == "InternalError");
    CHECK(diag.request_id == "656c76696e6727732072657175657374");
    CHECK(diag.operation == "UploadPartCopy");
    CHECK(out.etag.empty());

    diag.clear();
    CHECK(parse_upload_part_copy(response(200, "<Error><Code>SlowDown</Code></Error>"), out, diag) ==
          errc::throttled);
    diag.clear();
    CHECK(parse_upload_part_copy(response(200, "<CopyPartResult><ETag></ETag></CopyPartResult>"), out,
                                 diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse_upload_part_copy(response(200, "<CopyObjectResult><ETag>\"x\"</ETag></CopyObjectResult>"),
                                 out, diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse_upload_part_copy(response(404,
                                          "<Error><Code>NoSuchUpload</Code><Message>The specified upload "
                                          "does not exist.</Message></Error>"),
                                 out, diag) == errc::not_found);
    CHECK(diag.s3_code == "NoSuchUpload");
    diag.clear();
    CHECK(parse_upload_part_copy(response(412, "<Error><Code>PreconditionFailed</Code></Error>"), out,
                                 diag) == errc::precondition_failed);
    diag.clear();
    CHECK(parse_upload_part_copy(response(400,
                                          "<Error><Code>InvalidArgument</Code><Message>Range specified is "
                                          "not valid for source object of size: 10</Message></Error>"),
                                 out, diag) == errc::invalid_request);
}

TEST_CASE("parse_upload_part_copy: every truncation is malformed") {
    const std::string doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyPartResult>\n"
        "   <LastModified>2011-04-11T20:34:56.000Z</LastModified>\n"
        "   <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n</CopyPartResult>";
    const std::string error_doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code>"
        "<Message>We encountered an internal error. Please try again.</Message>"
        "<RequestId>656c76696e6727732072657175657374</RequestId></Error>";
    for (const std::string& d : {doc, error_doc}) {
        s3test::for_each_truncation(d, [](std::string body, std::size_t n) {
            upload_part_copy_result out;
            diagnostics diag;
            INFO("prefix length " << n);
            CHECK(parse_upload_part_copy(response(200, body), out, diag) == errc::malformed_response);
            CHECK(out.etag.empty());
        });
    }
}

// ---- CompleteMultipartUpload ------------------------------------------------------

namespace {
complete_multipart_upload_params complete_params() {
    // The AWS CompleteMultipartUpload example request's parts.
    complete_multipart_upload_params p;
    p.key = "example-object";
    p.upload_id = "AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA";
    p.parts = {{1, "\"a54357aff0632cce46d942af68356b38\""},
               {2, "\"0c78aef83f66abc1fa1e8477f296d394\""},
               {3, "\"acbd18db4cc2f85cedef654fccc4a4d8\""}};
    return p;
}

std::vector<completed_part> reparse_parts(const std::string& body) {
    pugi::xml_document doc;
    auto r = doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata,
                             pugi::encoding_utf8);
    REQUIRE_MESSAGE(r, r.description());
    pugi::xml_node root = doc.child("CompleteMultipartUpload");
    REQUIRE(root);
    CHECK(std::string_view(root.attribute("xmlns").value()) == "http://s3.amazonaws.com/doc/2006-03-01/");
    std::vector<completed_part> out;
    for (pugi::xml_node n : root.children("Part"))
        out.push_back({n.child("PartNumber").text().as_int(), n.child("ETag").text().get()});
    return out;
}
}  // namespace

TEST_CASE("build_complete_multipart_upload: the AWS example's request, exact body") {
    std::error_code ec;
    diagnostics diag;
    http_request req =
        build_complete_multipart_upload(s3test::aws_target("example-bucket"), complete_params(), ec, diag);
    REQUIRE_FALSE(ec);
    CHECK(req.method == "POST");
    CHECK(req.path == "/example-object");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "uploadId");
    CHECK(req.query[0].value == "AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    CHECK(req.body ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><CompleteMultipartUpload "
          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
          "<Part><PartNumber>1</PartNumber><ETag>\"a54357aff0632cce46d942af68356b38\"</ETag></Part>"
          "<Part><PartNumber>2</PartNumber><ETag>\"0c78aef83f66abc1fa1e8477f296d394\"</ETag></Part>"
          "<Part><PartNumber>3</PartNumber><ETag>\"acbd18db4cc2f85cedef654fccc4a4d8\"</ETag></Part>"
          "</CompleteMultipartUpload>");
    CHECK(header(req, "Content-Type") == "application/xml");
    CHECK_FALSE(req.unsigned_payload);
    CHECK(uri::request_target(req) ==
          "/example-object?uploadId=AAAsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
}

TEST_CASE("build_complete_multipart_upload: parts sorted, ETags quoted once") {
    auto p = complete_params();
    // Parts finish in any order; ETags arrive without quotes from our parsers.
    p.parts = {{3, "acbd18db4cc2f85cedef654fccc4a4d8"},
               {1, "\"a54357aff0632cce46d942af68356b38\""},
               {10000, "ffff-2"},
               {2, "0c78aef83f66abc1fa1e8477f296d394"}};
    std::error_code ec;
    diagnostics diag;
    http_request req = build_complete_multipart_upload(s3test::aws_target("b"), p, ec, diag);
    REQUIRE_FALSE(ec);
    auto back = reparse_parts(req.body);
    REQUIRE(back.size() == 4);
    CHECK(back[0].part_number == 1);
    CHECK(back[0].etag == "\"a54357aff0632cce46d942af68356b38\"");
    CHECK(back[1].part_number == 2);
    CHECK(back[1].etag == "\"0c78aef83f66abc1fa1e8477f296d394\"");
    CHECK(back[2].part_number == 3);
    CHECK(back[2].etag == "\"acbd18db4cc2f85cedef654fccc4a4d8\"");
    CHECK(back[3].part_number == 10000);
    CHECK(back[3].etag == "\"ffff-2\"");

    // 10,000 parts in reverse order.
    p.parts.clear();
    for (int n = max_part_count; n >= 1; --n) p.parts.push_back({n, "etag" + std::to_string(n)});
    req = build_complete_multipart_upload(s3test::aws_target("b"), p, ec, diag);
    REQUIRE_FALSE(ec);
    back = reparse_parts(req.body);
    REQUIRE(back.size() == 10000);
    for (int i = 0; i < max_part_count; ++i) {
        if (back[i].part_number != i + 1 || back[i].etag != "\"etag" + std::to_string(i + 1) + "\"") {
            FAIL_CHECK("part " << i + 1 << " out of place");
            break;
        }
    }
    // An ETag with XML metacharacters is escaped, not injected.
    p.parts = {{1, "a<b>&c"}};
    req = build_complete_multipart_upload(s3test::aws_target("b"), p, ec, diag);
    REQUIRE_FALSE(ec);
    CHECK(req.body.find("<ETag>\"a&lt;b&gt;&amp;c\"</ETag>") != std::string::npos);
    CHECK(reparse_parts(req.body)[0].etag == "\"a<b>&c\"");
}

TEST_CASE("build_complete_multipart_upload: awkward keys stay raw in the path") {
    for (const std::string& key : awkward_keys) {
        auto p = complete_params();
        p.key = key;
        std::error_code ec;
        diagnostics diag;
        http_request req = build_complete_multipart_upload(s3test::aws_target("b", true), p, ec, diag);
        REQUIRE_FALSE(ec);
        INFO("key " << key);
        CHECK(req.path == "/b/" + key);
        CHECK(req.body.find(key) == std::string::npos);  // the key is not in the body
        std::string target = uri::request_target(req);
        CHECK(uri::decode(target.substr(0, target.rfind("?uploadId="))) == "/b/" + key);
    }
}

TEST_CASE("build_complete_multipart_upload: invalid input is refused, not sent") {
    struct row {
        std::string what;
        complete_multipart_upload_params p;
    };
    std::vector<row> rows;
    rows.push_back({"empty upload id", complete_params()});
    rows.back().p.upload_id.clear();
    rows.push_back({"empty key", complete_params()});
    rows.back().p.key.clear();
    rows.push_back({"no parts", complete_params()});
    rows.back().p.parts.clear();
    rows.push_back({"part 0", complete_params()});
    rows.back().p.parts[0].part_number = 0;
    rows.push_back({"part 10001", complete_params()});
    rows.back().p.parts[2].part_number = 10001;
    rows.push_back({"duplicate part", complete_params()});
    rows.back().p.parts[2].part_number = 1;
    rows.push_back({"empty ETag", complete_params()});
    rows.back().p.parts[1].etag = "";
    rows.push_back({"quotes only", complete_params()});
    rows.back().p.parts[1].etag = "\"\"";
    rows.push_back({"ETag XML cannot carry", complete_params()});
    rows.back().p.parts[1].etag = "ab\x01";
    rows.push_back({"10,001 parts", complete_params()});
    rows.back().p.parts.clear();
    for (int n = 1; n <= 10001; ++n) rows.back().p.parts.push_back({n, "e"});
    for (const row& r : rows) {
        std::error_code ec;
        diagnostics diag;
        INFO(r.what);
        http_request req = build_complete_multipart_upload(s3test::aws_target("b"), r.p, ec, diag);
        CHECK(ec == errc::invalid_argument);
        CHECK_FALSE(diag.detail.empty());
        CHECK(diag.key == r.p.key);
        CHECK(req.body.empty());
        CHECK(req.query.empty());
    }
}

namespace {
// AWS CompleteMultipartUpload "Sample Response".
const std::string complete_example =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Location>http://Example-Bucket.s3.amazonaws.com/Example-Object</Location>\n"
    "  <Bucket>Example-Bucket</Bucket>\n"
    "  <Key>Example-Object</Key>\n"
    "  <ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>\n"
    "</CompleteMultipartUploadResult>";
// AWS CompleteMultipartUpload "Sample Response with Error Specified in Header"
// body: a 200 whose body is an error.
const std::string complete_error_example =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error>\n"
    "  <Code>InternalError</Code>\n"
    "  <Message>We encountered an internal error. Please try again.</Message>\n"
    "  <RequestId>656c76696e6727732072657175657374</RequestId>\n"
    "  <HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>\n"
    "</Error>";
}  // namespace

TEST_CASE("parse_complete_multipart_upload: the AWS documentation's example") {
    complete_multipart_upload_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_complete_multipart_upload(
        response(200, complete_example,
                 {{"x-amz-id-2", "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg=="},
                  {"x-amz-request-id", "656c76696e6727732072657175657374"},
                  {"x-amz-version-id", "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893"}}),
        out, diag));
    CHECK(out.location == "http://Example-Bucket.s3.amazonaws.com/Example-Object");
    CHECK(out.bucket == "Example-Bucket");
    CHECK(out.key == "Example-Object");
    CHECK(out.etag == "3858f62230ac3c915f300c664312c11f-9");
    CHECK(out.version_id == "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893");

    // After the keep-alive whitespace S3 writes while assembling the parts.
    REQUIRE_FALSE(parse_complete_multipart_upload(
        response(200, std::string(400, ' ') + "\n" + complete_example), out, diag));
    CHECK(out.etag == "3858f62230ac3c915f300c664312c11f-9");
    CHECK(out.version_id.empty());
}

TEST_CASE("parse_complete_multipart_upload: a 200 with an <Error> body is an error") {
    complete_multipart_upload_result out;
    diagnostics diag;
    diag.operation = "CompleteMultipartUpload";
    diag.key = "Example-Object";
    auto resp = response(200, "          \n" + complete_error_example);
    CHECK(parse_complete_multipart_upload(resp, out, diag) == errc::server_error);
    CHECK(is_retryable(parse_complete_multipart_upload(resp, out, diag)));
    CHECK(diag.http_status == 200);
    CHECK(diag.s3_code == "InternalError");
    CHECK(diag.message == "We encountered an internal error. Please try again.");
    CHECK(diag.request_id == "656c76696e6727732072657175657374");
    CHECK(diag.host_id == "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==");
    CHECK(diag.operation == "CompleteMultipartUpload");
    CHECK(diag.key == "Example-Object");
    CHECK(out.etag.empty());
    CHECK(out.location.empty());
}

TEST_CASE("parse_complete_multipart_upload: errors") {
    complete_multipart_upload_result out;
    diagnostics diag;
    CHECK(parse_complete_multipart_upload(
              response(400,
                       "<Error><Code>EntityTooSmall</Code><Message>Your proposed upload is smaller than the "
                       "minimum allowed object size.</Message><ProposedSize>1024</ProposedSize>"
                       "<MinSizeAllowed>5242880</MinSizeAllowed><PartNumber>1</PartNumber>"
                       "<ETag>b6d81b360a5672d80c27430f39153e2c</ETag></Error>"),
              out, diag) == errc::invalid_request);
    CHECK(diag.s3_code == "EntityTooSmall");
    diag.clear();
    CHECK(parse_complete_multipart_upload(response(400, "<Error><Code>InvalidPart</Code></Error>"), out,
                                          diag) == errc::invalid_request);
    diag.clear();
    CHECK(parse_complete_multipart_upload(response(400, "<Error><Code>InvalidPartOrder</Code></Error>"), out,
                                          diag) == errc::invalid_request);
    diag.clear();
    CHECK(parse_complete_multipart_upload(response(404, "<Error><Code>NoSuchUpload</Code></Error>"), out,
                                          diag) == errc::not_found);
    diag.clear();
    // Ceph RGW's answer: an empty <ETag/> is accepted (the engine verifies
    // the assembled object with HeadObject).
    REQUIRE_FALSE(parse_complete_multipart_upload(
        response(200,
                 "<CompleteMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                 "<Location>http://127.0.0.1:7480/b/t1</Location><Bucket>b</Bucket><Key>t1</Key>"
                 "<ETag></ETag></CompleteMultipartUploadResult>"),
        out, diag));
    CHECK(out.etag.empty());
    CHECK(out.key == "t1");
    CHECK(out.bucket == "b");
    diag.clear();
    CHECK(parse_complete_multipart_upload(response(200, ""), out, diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse_complete_multipart_upload(response(200, "<InitiateMultipartUploadResult/>"), out, diag) ==
          errc::malformed_response);
}

TEST_CASE("parse_complete_multipart_upload: every truncation is malformed") {
    for (const std::string& d : {complete_example, complete_error_example}) {
        s3test::for_each_truncation(d, [](std::string body, std::size_t n) {
            complete_multipart_upload_result out;
            diagnostics diag;
            INFO("prefix length " << n);
            CHECK(parse_complete_multipart_upload(response(200, body), out, diag) ==
                  errc::malformed_response);
            CHECK(out.etag.empty());
        });
    }
}

// ---- AbortMultipartUpload -------------------------------------------------------

TEST_CASE("build_abort_multipart_upload") {
    abort_multipart_upload_params p{"example-object",
                                    "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"};
    std::error_code ec;
    diagnostics diag;
    http_request req = build_abort_multipart_upload(s3test::aws_target("example-bucket"), p, ec, diag);
    REQUIRE_FALSE(ec);
    CHECK(req.method == "DELETE");
    CHECK(req.path == "/example-object");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "uploadId");
    CHECK(req.query[0].value == p.upload_id);
    CHECK(req.body.empty());

    for (const std::string& key : awkward_keys) {
        p.key = key;
        req = build_abort_multipart_upload(s3test::aws_target("b"), p, ec, diag);
        REQUIRE_FALSE(ec);
        CHECK(req.path == "/" + key);
    }

    // Without an upload id this would be a DeleteObject of the destination.
    for (abort_multipart_upload_params bad :
         {abort_multipart_upload_params{"k", ""}, abort_multipart_upload_params{"", "id"}}) {
        diag.clear();
        req = build_abort_multipart_upload(s3test::aws_target("b"), bad, ec, diag);
        CHECK(ec == errc::invalid_argument);
        CHECK_FALSE(diag.detail.empty());
        CHECK(req.query.empty());
    }
}

TEST_CASE("parse_abort_multipart_upload") {
    diagnostics diag;
    CHECK_FALSE(parse_abort_multipart_upload(response(204, ""), diag));
    CHECK_FALSE(parse_abort_multipart_upload(response(200, ""), diag));
    CHECK(
        parse_abort_multipart_upload(
            response(
                404,
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchUpload</Code><Message>The "
                "specified upload does not exist. The upload ID may be invalid, or the upload may have been "
                "aborted or completed.</Message><UploadId>VXBsb2Fk</UploadId></Error>"),
            diag) == errc::not_found);
    CHECK(diag.s3_code == "NoSuchUpload");
    diag.clear();
    CHECK(parse_abort_multipart_upload(response(403, "<Error><Code>AccessDenied</Code></Error>"), diag) ==
          errc::access_denied);
}

// ---- ListMultipartUploads ---------------------------------------------------------

namespace {
// AWS ListMultipartUploads, first "Sample Response" (GET /?uploads&max-uploads=3).
const std::string uploads_example =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Bucket>bucket</Bucket>\n"
    "  <KeyMarker></KeyMarker>\n"
    "  <UploadIdMarker></UploadIdMarker>\n"
    "  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>\n"
    "  <NextUploadIdMarker>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</NextUploadIdMarker>\n"
    "  <MaxUploads>3</MaxUploads>\n"
    "  <IsTruncated>true</IsTruncated>\n"
    "  <Upload>\n"
    "    <Key>my-divisor</Key>\n"
    "    <UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>\n"
    "    <Initiator>\n"
    "      <ID>arn:aws:iam::111122223333:user/user1-11111a31-17b5-4fb7-9df5-b111111f13de</ID>\n"
    "      <DisplayName>user1-11111a31-17b5-4fb7-9df5-b111111f13de</DisplayName>\n"
    "    </Initiator>\n"
    "    <Owner>\n"
    "      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "      <DisplayName>OwnerDisplayName</DisplayName>\n"
    "    </Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "    <Initiated>2010-11-10T20:48:33.000Z</Initiated>\n"
    "  </Upload>\n"
    "  <Upload>\n"
    "    <Key>my-movie.m2ts</Key>\n"
    "    <UploadId>VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA</UploadId>\n"
    "    <Initiator>\n"
    "      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>\n"
    "      <DisplayName>InitiatorDisplayName</DisplayName>\n"
    "    </Initiator>\n"
    "    <Owner>\n"
    "      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>\n"
    "      <DisplayName>OwnerDisplayName</DisplayName>\n"
    "    </Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "    <Initiated>2010-11-10T20:48:33.000Z</Initiated>\n"
    "  </Upload>\n"
    "  <Upload>\n"
    "    <Key>my-movie.m2ts</Key>\n"
    "    <UploadId>YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ</UploadId>\n"
    "    <Initiator>\n"
    "      <ID>arn:aws:iam::444455556666:user/user1-22222a31-17b5-4fb7-9df5-b222222f13de</ID>\n"
    "      <DisplayName>user1-22222a31-17b5-4fb7-9df5-b222222f13de</DisplayName>\n"
    "    </Initiator>\n"
    "    <Owner>\n"
    "      <ID>b1d16700c70b0b05597d7acd6a3f92be</ID>\n"
    "      <DisplayName>OwnerDisplayName</DisplayName>\n"
    "    </Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "    <Initiated>2010-11-10T20:49:33.000Z</Initiated>\n"
    "  </Upload>\n"
    "</ListMultipartUploadsResult>";

// AWS ListMultipartUploads, the prefix-and-delimiter "Sample Response".
const std::string uploads_delimiter_example =
    "<ListMultipartUploadsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Bucket>example-bucket</Bucket>\n"
    "  <KeyMarker/>\n"
    "  <UploadIdMarker/>\n"
    "  <NextKeyMarker>sample.jpg</NextKeyMarker>\n"
    "  "
    "<NextUploadIdMarker>Xgw4MJT6ZPAVxpY0SAuGN7q4uWJJM22ZYg1W99trdp4tpO88.PT6.MhO0w2E17eutfAvQfQWoajgE_"
    "W2gpcxQw--"
    "</NextUploadIdMarker>\n"
    "  <Delimiter>/</Delimiter>\n"
    "  <Prefix/>\n"
    "  <MaxUploads>1000</MaxUploads>\n"
    "  <IsTruncated>false</IsTruncated>\n"
    "  <Upload>\n"
    "    <Key>sample.jpg</Key>\n"
    "    "
    "<UploadId>Agw4MJT6ZPAVxpY0SAuGN7q4uWJJM22ZYg1N99trdp4tpO88.PT6.MhO0w2E17eutfAvQfQWoajgE_W2gpcxQw--</"
    "UploadId>\n"
    "    <Initiator>\n"
    "      <ID>314133b66967d86f031c7249d1d9a80249109428335cd0ef1cdc487b4566cb1b</ID>\n"
    "      <DisplayName>s3-nickname</DisplayName>\n"
    "    </Initiator>\n"
    "    <Owner>\n"
    "      <ID>314133b66967d86f031c7249d1d9a80249109428335cd0ef1cdc487b4566cb1b</ID>\n"
    "      <DisplayName>s3-nickname</DisplayName>\n"
    "    </Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "    <Initiated>2010-11-26T19:24:17.000Z</Initiated>\n"
    "  </Upload>\n"
    "  <CommonPrefixes>\n"
    "    <Prefix>photos/</Prefix>\n"
    "  </CommonPrefixes>\n"
    "  <CommonPrefixes>\n"
    "    <Prefix>videos/</Prefix>\n"
    "  </CommonPrefixes>\n"
    "</ListMultipartUploadsResult>";

std::string url_uploads_listing(const std::vector<std::string>& encoded_keys, bool with_encoding = true) {
    std::string body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListMultipartUploadsResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket><KeyMarker></KeyMarker>"
        "<UploadIdMarker></UploadIdMarker><NextKeyMarker>" +
        encoded_keys.back() + "</NextKeyMarker><NextUploadIdMarker>u" + std::to_string(encoded_keys.size()) +
        "</NextUploadIdMarker><MaxUploads>1000</MaxUploads>";
    if (with_encoding) body += "<EncodingType>url</EncodingType>";
    body += "<IsTruncated>true</IsTruncated>";
    int i = 0;
    for (const auto& k : encoded_keys)
        body += "<Upload><Key>" + k + "</Key><UploadId>u" + std::to_string(++i) +
                "</UploadId><Initiated>2024-01-02T03:04:05.000Z</Initiated></Upload>";
    return body +
           "<CommonPrefixes><Prefix>run+books%2F/</Prefix></CommonPrefixes></ListMultipartUploadsResult>";
}
}  // namespace

TEST_CASE("build_list_multipart_uploads") {
    list_multipart_uploads_params p;
    p.prefix = "photos/2006 +%2F";
    p.delimiter = "/";
    p.key_marker = "my-movie.m2ts";
    p.upload_id_marker = "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ";
    p.max_uploads = 3;
    http_request req = build_list_multipart_uploads(s3test::aws_target("bucket"), p);
    CHECK(req.method == "GET");
    CHECK(req.path == "/");
    CHECK(req.query.size() == 7);
    CHECK(find_query(req, "uploads") == "");
    CHECK(find_query(req, "prefix") == "photos/2006 +%2F");  // raw: the signer encodes
    CHECK(find_query(req, "delimiter") == "/");
    CHECK(find_query(req, "key-marker") == "my-movie.m2ts");
    CHECK(find_query(req, "upload-id-marker") == "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
    CHECK(find_query(req, "max-uploads") == "3");
    CHECK(find_query(req, "encoding-type") == "url");
    CHECK(uri::request_target(req) ==
          "/?delimiter=%2F&encoding-type=url&key-marker=my-movie.m2ts&max-uploads=3&prefix=photos%2F2006%20%"
          "2B%252F"
          "&upload-id-marker=YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ&uploads=");

    list_multipart_uploads_params bare;
    bare.max_uploads = 0;
    bare.encoding_type_url = false;
    req = build_list_multipart_uploads(s3test::aws_target("b", true), bare);
    CHECK(req.path == "/b");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "uploads");
    req = build_list_multipart_uploads(s3test::aws_target("b"), {});
    CHECK(req.query.size() == 3);  // uploads, max-uploads=1000, encoding-type
}

TEST_CASE("parse_list_multipart_uploads: the AWS documentation's examples") {
    list_multipart_uploads_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_list_multipart_uploads(response(200, uploads_example), out, diag));
    REQUIRE(out.uploads.size() == 3);
    CHECK(out.uploads[0].key == "my-divisor");
    CHECK(out.uploads[0].upload_id == "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw");
    CHECK(out.uploads[0].initiated == "2010-11-10T20:48:33.000Z");
    CHECK(out.uploads[0].storage_class == "STANDARD");
    CHECK(out.uploads[1].key == "my-movie.m2ts");
    CHECK(out.uploads[1].upload_id == "VXBsb2FkIElEIGZvciBlbHZpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA");
    CHECK(out.uploads[1].initiated == "2010-11-10T20:48:33.000Z");
    CHECK(out.uploads[2].key == "my-movie.m2ts");
    CHECK(out.uploads[2].upload_id == "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");
    CHECK(out.uploads[2].initiated == "2010-11-10T20:49:33.000Z");
    CHECK(out.common_prefixes.empty());
    CHECK(out.is_truncated);
    CHECK(out.next_key_marker == "my-movie.m2ts");
    CHECK(out.next_upload_id_marker == "YW55IGlkZWEgd2h5IGVsdmluZydzIHVwbG9hZCBmYWlsZWQ");

    REQUIRE_FALSE(parse_list_multipart_uploads(response(200, uploads_delimiter_example), out, diag));
    REQUIRE(out.uploads.size() == 1);
    CHECK(out.uploads[0].key == "sample.jpg");
    CHECK(out.uploads[0].upload_id ==
          "Agw4MJT6ZPAVxpY0SAuGN7q4uWJJM22ZYg1N99trdp4tpO88.PT6.MhO0w2E17eutfAvQfQWoajgE_W2gpcxQw--");
    CHECK(out.uploads[0].initiated == "2010-11-26T19:24:17.000Z");
    CHECK(out.common_prefixes == std::vector<std::string>{"photos/", "videos/"});
    CHECK_FALSE(out.is_truncated);
    CHECK(out.next_key_marker == "sample.jpg");
    CHECK(out.next_upload_id_marker ==
          "Xgw4MJT6ZPAVxpY0SAuGN7q4uWJJM22ZYg1W99trdp4tpO88.PT6.MhO0w2E17eutfAvQfQWoajgE_W2gpcxQw--");
}

TEST_CASE("parse_list_multipart_uploads: url-encoded keys are decoded") {
    auto body = url_uploads_listing({
        "%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%AD%E3%82%B0.json.gz",  // 日本語/ログ.json.gz
        "a+b.txt",                                                 // space as '+'
        "a%2Bb.txt",                                               // a literal '+'
        "100%25.csv",                                              // a literal '%'
        "lit%252Fslash",                                           // a literal "%2F"
        "what%3F%23",                                              // ?#
    });
    list_multipart_uploads_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_list_multipart_uploads(response(200, body), out, diag));
    REQUIRE(out.uploads.size() == 6);
    CHECK(out.uploads[0].key == "日本語/ログ.json.gz");
    CHECK(out.uploads[1].key == "a b.txt");
    CHECK(out.uploads[2].key == "a+b.txt");
    CHECK(out.uploads[3].key == "100%.csv");
    CHECK(out.uploads[4].key == "lit%2Fslash");
    CHECK(out.uploads[5].key == "what?#");
    CHECK(out.uploads[5].upload_id == "u6");
    CHECK(out.uploads[0].storage_class == "STANDARD");  // absent
    CHECK(out.next_key_marker == "what?#");
    CHECK(out.next_upload_id_marker == "u6");
    CHECK(out.common_prefixes == std::vector<std::string>{"run books//"});

    // Without <EncodingType> the keys are taken as sent.
    body = url_uploads_listing({"a+b.txt", "100%25.csv"}, false);
    REQUIRE_FALSE(parse_list_multipart_uploads(response(200, body), out, diag));
    CHECK(out.uploads[0].key == "a+b.txt");
    CHECK(out.uploads[1].key == "100%25.csv");
    CHECK(out.next_key_marker == "100%25.csv");
}

TEST_CASE("parse_list_multipart_uploads: errors") {
    list_multipart_uploads_result out;
    diagnostics diag;
    const std::string marker_line = "  <NextKeyMarker>my-movie.m2ts</NextKeyMarker>\n";
    std::string no_marker = uploads_example;
    no_marker.erase(no_marker.find(marker_line), marker_line.size());
    CHECK(parse_list_multipart_uploads(response(200, no_marker), out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("NextKeyMarker") != std::string::npos);
    CHECK(out.uploads.empty());

    const std::string first_id = "XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw";
    std::string no_id = uploads_example;
    no_id.replace(no_id.find(first_id), first_id.size(), "");
    diag.clear();
    CHECK(parse_list_multipart_uploads(response(200, no_id), out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("my-divisor") != std::string::npos);
    CHECK(out.uploads.empty());

    std::string bad_bool = uploads_example;
    bad_bool.replace(bad_bool.find("<IsTruncated>true"), 17, "<IsTruncated>yes");
    CHECK(parse_list_multipart_uploads(response(200, bad_bool), out, diag) == errc::malformed_response);

    diag.clear();
    CHECK(parse_list_multipart_uploads(response(404, "<Error><Code>NoSuchBucket</Code></Error>"), out,
                                       diag) == errc::no_such_bucket);
    diag.clear();
    CHECK(parse_list_multipart_uploads(response(200, "<Error><Code>InternalError</Code></Error>"), out,
                                       diag) == errc::server_error);
    diag.clear();
    CHECK(parse_list_multipart_uploads(response(200, "<ListBucketResult/>"), out, diag) ==
          errc::malformed_response);
}

TEST_CASE("parse_list_multipart_uploads: every truncation is malformed, never a partial page") {
    for (const std::string& doc :
         {uploads_example, uploads_delimiter_example, url_uploads_listing({"a+b", "c%2Bd", "%E6%97%A5"})}) {
        s3test::for_each_truncation(doc, [](std::string prefix, std::size_t n) {
            list_multipart_uploads_result out;
            diagnostics diag;
            INFO("prefix length " << n);
            CHECK(parse_list_multipart_uploads(response(200, prefix), out, diag) == errc::malformed_response);
            CHECK(out.uploads.empty());
            CHECK(out.common_prefixes.empty());
        });
    }
}

// ---- GetObjectTagging and encode_tagging ------------------------------------------

TEST_CASE("build_get_object_tagging") {
    get_object_tagging_params p;
    p.key = "example-object";
    http_request req = build_get_object_tagging(s3test::aws_target("examplebucket"), p);
    CHECK(req.method == "GET");
    CHECK(req.path == "/example-object");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "tagging");
    CHECK(req.query[0].value == "");
    CHECK(uri::request_target(req) == "/example-object?tagging=");

    p.version_id = "ydlaNkwWm0SfKJR.T1b1fIdPRbldTYRI";
    req = build_get_object_tagging(s3test::aws_target("examplebucket", true), p);
    CHECK(req.path == "/examplebucket/example-object");
    CHECK(find_query(req, "versionId") == "ydlaNkwWm0SfKJR.T1b1fIdPRbldTYRI");

    for (const std::string& key : awkward_keys) {
        p.key = key;
        req = build_get_object_tagging(s3test::aws_target("b"), p);
        INFO("key " << key);
        CHECK(req.path == "/" + key);
        std::string target = uri::request_target(req);
        CHECK(uri::decode(target.substr(0, target.find("?tagging=&versionId="))) == "/" + key);
    }
}

namespace {
// AWS GetObjectTagging "Sample Response".
const std::string tagging_example =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <TagSet>\n"
    "     <Tag>\n"
    "       <Key>tag1</Key>\n"
    "       <Value>val1</Value>\n"
    "     </Tag>\n"
    "     <Tag>\n"
    "       <Key>tag2</Key>\n"
    "       <Value>val2</Value>\n"
    "     </Tag>\n"
    "  </TagSet>\n"
    "</Tagging>";
}  // namespace

TEST_CASE("parse_get_object_tagging: the AWS documentation's example") {
    get_object_tagging_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_get_object_tagging(
        response(200, tagging_example, {{"Date", "Thu, 22 Sep 2016 21:33:08 GMT"}, {"Server", "AmazonS3"}}),
        out, diag));
    CHECK(out.tags == std::vector<object_tag>{{"tag1", "val1"}, {"tag2", "val2"}});
    CHECK(out.version_id.empty());

    // No tags; awkward characters; an empty value; the version header.
    REQUIRE_FALSE(parse_get_object_tagging(
        response(200, "<Tagging xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><TagSet/></Tagging>"), out,
        diag));
    CHECK(out.tags.empty());
    REQUIRE_FALSE(parse_get_object_tagging(
        response(200,
                 "<Tagging><TagSet><Tag><Key>a &amp; b</Key><Value>x=y+z/日本</Value></Tag>"
                 "<Tag><Key>empty</Key><Value></Value></Tag><Tag><Key>none</Key></Tag></TagSet></Tagging>",
                 {{"x-amz-version-id", "ydlaNkwWm0SfKJR.T1b1fIdPRbldTYRI"}}),
        out, diag));
    CHECK(out.tags == std::vector<object_tag>{{"a & b", "x=y+z/日本"}, {"empty", ""}, {"none", ""}});
    CHECK(out.version_id == "ydlaNkwWm0SfKJR.T1b1fIdPRbldTYRI");
}

TEST_CASE("parse_get_object_tagging: errors and truncation") {
    get_object_tagging_result out;
    diagnostics diag;
    CHECK(parse_get_object_tagging(
              response(200, "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>"), out, diag) ==
          errc::malformed_response);
    CHECK(out.tags.empty());
    diag.clear();
    CHECK(parse_get_object_tagging(response(404, "<Error><Code>NoSuchKey</Code></Error>"), out, diag) ==
          errc::no_such_key);
    diag.clear();
    CHECK(parse_get_object_tagging(response(403, "<Error><Code>AccessDenied</Code></Error>"), out, diag) ==
          errc::access_denied);
    diag.clear();
    CHECK(parse_get_object_tagging(response(200, "<TagSet/>"), out, diag) == errc::malformed_response);

    s3test::for_each_truncation(tagging_example, [](std::string prefix, std::size_t n) {
        get_object_tagging_result out;
        diagnostics diag;
        INFO("prefix length " << n);
        CHECK(parse_get_object_tagging(response(200, prefix), out, diag) == errc::malformed_response);
        CHECK(out.tags.empty());
    });
}

TEST_CASE("encode_tagging: RFC 3986 for the x-amz-tagging header") {
    CHECK(encode_tagging({}) == "");
    CHECK(encode_tagging({{"tag1", "val1"}, {"tag2", "val2"}}) == "tag1=val1&tag2=val2");
    CHECK(encode_tagging({{"k", ""}}) == "k=");
    CHECK(encode_tagging({{"a b", "c+d"}}) == "a%20b=c%2Bd");
    CHECK(encode_tagging({{"x=y", "p&q"}}) == "x%3Dy=p%26q");
    CHECK(encode_tagging({{"path", "a/b:c@d"}}) == "path=a%2Fb%3Ac%40d");
    CHECK(encode_tagging({{"100%", "%2F"}}) == "100%25=%252F");
    CHECK(encode_tagging({{"日本", "ü"}}) == "%E6%97%A5%E6%9C%AC=%C3%BC");
    CHECK(encode_tagging({{"-._~", "AZaz09"}}) == "-._~=AZaz09");
    // Order is kept: it is the caller's.
    CHECK(encode_tagging({{"b", "2"}, {"a", "1"}}) == "b=2&a=1");

    // Round trip: split on '&' and '=' (which never appear unencoded inside a
    // name or value), decode, and get the tags back.
    const std::vector<object_tag> tags = {{"a&b=c", "d&e=f"}, {" + ", "%20"}, {"k", ""}, {"ログ", "?#"}};
    const std::string encoded = encode_tagging(tags);
    std::vector<object_tag> back;
    std::size_t start = 0;
    while (start <= encoded.size()) {
        std::size_t end = encoded.find('&', start);
        if (end == std::string::npos) end = encoded.size();
        std::string pair = encoded.substr(start, end - start);
        std::size_t eq = pair.find('=');
        REQUIRE(eq != std::string::npos);
        back.push_back({uri::decode(pair.substr(0, eq)), uri::decode(pair.substr(eq + 1))});
        start = end + 1;
    }
    CHECK(back == tags);
}
