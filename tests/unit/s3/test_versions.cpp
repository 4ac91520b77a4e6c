#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <pugixml.hpp>

#include "s3_test_util.hpp"
#include "s3merge/s3/versions.hpp"
#include "s3merge/sigv4.hpp"

using namespace s3merge;
using namespace s3merge::s3;
using s3test::response;

namespace {

std::string find_query(const http_request& req, std::string_view name) {
    for (const query_param& q : req.query)
        if (q.name == name) return q.value;
    return "<absent>";
}

std::error_code parse(const std::string& body, list_object_versions_result& out, diagnostics& diag) {
    return parse_list_object_versions(response(200, body), out, diag);
}

// From the Amazon S3 API reference, ListObjectVersions, first "Sample
// Response" (GET /?versions). The namespace lacks its trailing '/' there.
const std::string aws_example =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "\n"
    "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01\">\n"
    "    <Name>bucket</Name>\n"
    "    <Prefix>my</Prefix>\n"
    "    <KeyMarker/>\n"
    "    <VersionIdMarker/>\n"
    "    <MaxKeys>5</MaxKeys>\n"
    "    <IsTruncated>false</IsTruncated>\n"
    "    <Version>\n"
    "        <Key>my-image.jpg</Key>\n"
    "        <VersionId>3/L4kqtJl40Nr8X8gdRQBpUMLUo</VersionId>\n"
    "        <IsLatest>true</IsLatest>\n"
    "         <LastModified>2009-10-12T17:50:30.000Z</LastModified>\n"
    "        <ETag>\"fba9dede5f27731c9771645a39863328\"</ETag>\n"
    "        <Size>434234</Size>\n"
    "        <StorageClass>STANDARD</StorageClass>\n"
    "        <Owner>\n"
    "            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "        </Owner>\n"
    "    </Version>\n"
    "    <DeleteMarker>\n"
    "        <Key>my-second-image.jpg</Key>\n"
    "        <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>\n"
    "        <IsLatest>true</IsLatest>\n"
    "        <LastModified>2009-11-12T17:50:30.000Z</LastModified>\n"
    "        <Owner>\n"
    "            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "        </Owner>\n"
    "    </DeleteMarker>\n"
    "    <Version>\n"
    "        <Key>my-second-image.jpg</Key>\n"
    "        <VersionId>QUpfdndhfd8438MNFDN93jdnJFkdmqnh893</VersionId>\n"
    "        <IsLatest>false</IsLatest>\n"
    "        <LastModified>2009-10-10T17:50:30.000Z</LastModified>\n"
    "        <ETag>\"9b2cf535f27731c974343645a3985328\"</ETag>\n"
    "        <Size>166434</Size>\n"
    "        <StorageClass>STANDARD</StorageClass>\n"
    "        <Owner>\n"
    "            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "        </Owner>\n"
    "    </Version>\n"
    "    <DeleteMarker>\n"
    "        <Key>my-third-image.jpg</Key>\n"
    "        <VersionId>03jpff543dhffds434rfdsFDN943fdsFkdmqnh892</VersionId>\n"
    "        <IsLatest>true</IsLatest>\n"
    "        <LastModified>2009-10-15T17:50:30.000Z</LastModified>\n"
    "        <Owner>\n"
    "            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "        </Owner>\n"
    "    </DeleteMarker>\n"
    "    <Version>\n"
    "        <Key>my-third-image.jpg</Key>\n"
    "        <VersionId>UIORUnfndfhnw89493jJFJ</VersionId>\n"
    "        <IsLatest>false</IsLatest>\n"
    "        <LastModified>2009-10-11T12:50:30.000Z</LastModified>\n"
    "        <ETag>\"772cf535f27731c974343645a3985328\"</ETag>\n"
    "        <Size>64</Size>\n"
    "        <StorageClass>STANDARD</StorageClass>\n"
    "        <Owner>\n"
    "            <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "        </Owner>\n"
    "     </Version>\n"
    "</ListVersionsResult>\n";

// The same reference, "Using the key-marker, version-id-marker, and max-keys
// Parameters": a truncated page.
const std::string aws_truncated_example =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>mtp-versioning-fresh</Name>\n"
    "  <Prefix/>\n"
    "  <KeyMarker>key3</KeyMarker>\n"
    "  <VersionIdMarker>null</VersionIdMarker>\n"
    "  <NextKeyMarker>key3</NextKeyMarker>\n"
    "  <NextVersionIdMarker>d-d309mfjFrUmoQ0DBsVqmcMV15OI.</NextVersionIdMarker>\n"
    "  <MaxKeys>3</MaxKeys>\n"
    "  <IsTruncated>true</IsTruncated>\n"
    "  <Version>\n"
    "    <Key>key3</Key>\n"
    "    <VersionId>8XECiENpj8pydEDJdd-_VRrvaGKAHOaGMNW7tg6UViI.</VersionId>\n"
    "    <IsLatest>false</IsLatest>\n"
    "    <LastModified>2009-12-09T00:18:23.000Z</LastModified>\n"
    "    <ETag>\"396fefef536d5ce46c7537ecf978a360\"</ETag>\n"
    "    <Size>217</Size>\n"
    "    <Owner>\n"
    "      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "    </Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "  </Version>\n"
    "  <Version>\n"
    "    <Key>key3</Key>\n"
    "    <VersionId>d-d309mfjFri40QYukDozqBt3UmoQ0DBsVqmcMV15OI.</VersionId>\n"
    "    <IsLatest>false</IsLatest>\n"
    "    <LastModified>2009-12-09T00:18:08.000Z</LastModified>\n"
    "    <ETag>\"396fefef536d5ce46c7537ecf978a360\"</ETag>\n"
    "    <Size>217</Size>\n"
    "    <Owner>\n"
    "      <ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID>\n"
    "    </Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "  </Version>\n"
    "</ListVersionsResult>\n";

// The same reference, "Using the delimiter and prefix Parameters".
const std::string aws_delimiter_example =
    "<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>mvbucketwithversionon1</Name>\n"
    "  <Prefix></Prefix>\n"
    "  <KeyMarker></KeyMarker>\n"
    "  <VersionIdMarker></VersionIdMarker>\n"
    "  <MaxKeys>1000</MaxKeys>\n"
    "  <Delimiter>/</Delimiter>\n"
    "  <IsTruncated>false</IsTruncated>\n"
    "\n"
    "  <Version>\n"
    "    <Key>Sample.jpg</Key>\n"
    "    <VersionId>toxMzQlBsGyGCz1YuMWMp90cdXLzqOCH</VersionId>\n"
    "    <IsLatest>true</IsLatest>\n"
    "    <LastModified>2011-02-02T18:46:20.000Z</LastModified>\n"
    "    <ETag>\"3305f2cfc46c0f04559748bb039d69ae\"</ETag>\n"
    "    <Size>3191</Size>\n"
    "    <Owner>\n"
    "      <ID>852b113e7a2f25102679df27bb0ae12b3f85be6f290b936c4393484be31bebcc</ID>\n"
    "      <DisplayName>display-name</DisplayName>\n"
    "    </Owner>\n"
    "    <StorageClass>STANDARD</StorageClass>\n"
    "  </Version>\n"
    "\n"
    "  <CommonPrefixes>\n"
    "    <Prefix>photos/</Prefix>\n"
    "  </CommonPrefixes>\n"
    "  <CommonPrefixes>\n"
    "    <Prefix>videos/</Prefix>\n"
    "  </CommonPrefixes>\n"
    "</ListVersionsResult>\n";

// A url-encoded page as S3 writes it for encoding-type=url, versions and
// delete markers interleaved.
std::string url_versions_listing(bool with_encoding = true) {
    std::string body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix>dir+1%2F</Prefix>"
        "<KeyMarker>a%2Bb</KeyMarker><VersionIdMarker>null</VersionIdMarker>"
        "<NextKeyMarker>%E6%97%A5+%3F%23</NextKeyMarker><NextVersionIdMarker>v+3/x=</NextVersionIdMarker>"
        "<MaxKeys>4</MaxKeys><Delimiter>%2F</Delimiter>";
    if (with_encoding) body += "<EncodingType>url</EncodingType>";
    body +=
        "<IsTruncated>true</IsTruncated>"
        "<DeleteMarker><Key>a+b</Key><VersionId>dm1</VersionId><IsLatest>true</IsLatest>"
        "<LastModified>2024-01-03T00:00:00.000Z</LastModified></DeleteMarker>"
        "<Version><Key>a+b</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest>"
        "<LastModified>2024-01-02T00:00:00.000Z</LastModified>"
        "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>"
        "<StorageClass>GLACIER</StorageClass></Version>"
        "<Version><Key>100%25+%2B</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"
        "<LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>&quot;abc-2&quot;</ETag>"
        "<Size>18446744073709551615</Size></Version>"
        "<DeleteMarker><Key>%E6%97%A5+%3F%23</Key><VersionId>v+3/x=</VersionId><IsLatest>True</IsLatest>"
        "<LastModified>2024-01-04T00:00:00.000Z</LastModified></DeleteMarker>"
        "<CommonPrefixes><Prefix>lit%252Fslash/</Prefix></CommonPrefixes>"
        "</ListVersionsResult>";
    return body;
}

}  // namespace

// ---- ListObjectVersions ---------------------------------------------------------

TEST_CASE("build_list_object_versions: query parameters, only the non-empty ones") {
    list_object_versions_params p;
    p.prefix = "photos/2006/ a+b%2F";
    p.delimiter = "/";
    p.key_marker = "key3";
    p.version_id_marker = "t46Z0menlYTZBnj";
    p.max_keys = 3;
    http_request req = build_list_object_versions(s3test::aws_target("bucket"), p);
    CHECK(req.method == "GET");
    CHECK(req.host == "bucket.s3.eu-west-1.amazonaws.com");
    CHECK(req.path == "/");
    CHECK(req.query.size() == 7);
    CHECK(find_query(req, "versions") == "");
    CHECK(find_query(req, "prefix") == "photos/2006/ a+b%2F");  // raw: the signer encodes
    CHECK(find_query(req, "delimiter") == "/");
    CHECK(find_query(req, "key-marker") == "key3");
    CHECK(find_query(req, "version-id-marker") == "t46Z0menlYTZBnj");
    CHECK(find_query(req, "max-keys") == "3");
    CHECK(find_query(req, "encoding-type") == "url");
    CHECK(req.body.empty());
    CHECK(uri::request_target(req) ==
          "/?delimiter=%2F&encoding-type=url&key-marker=key3&max-keys=3&prefix=photos%2F2006%2F%20a%2Bb%252F"
          "&version-id-marker=t46Z0menlYTZBnj&versions=");

    list_object_versions_params bare;
    bare.max_keys = 0;
    bare.encoding_type_url = false;
    req = build_list_object_versions(s3test::aws_target("b", /*path_style=*/true), bare);
    CHECK(req.path == "/b");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "versions");
    CHECK(uri::request_target(req) == "/b?versions=");

    req = build_list_object_versions(s3test::aws_target("b"), list_object_versions_params{});
    CHECK(req.query.size() == 3);  // versions, max-keys=1000, encoding-type
    CHECK(find_query(req, "max-keys") == "1000");

    // Awkward markers go through raw and come back decoded by the signer.
    for (const std::string key : {"a+b", "100%", "lit%2Fslash", "a b", "日本語", "what?", "#hash"}) {
        list_object_versions_params m;
        m.key_marker = key;
        req = build_list_object_versions(s3test::aws_target("b"), m);
        INFO("key " << key);
        CHECK(find_query(req, "key-marker") == key);
        CHECK(uri::request_target(req).find("key-marker=" + uri::encode(key) + "&") != std::string::npos);
    }
}

TEST_CASE("parse_list_object_versions: the AWS documentation's example, interleaved") {
    list_object_versions_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(aws_example, out, diag));
    REQUIRE(out.versions.size() == 3);
    REQUIRE(out.delete_markers.size() == 2);

    CHECK(out.versions[0].key == "my-image.jpg");
    CHECK(out.versions[0].version_id == "3/L4kqtJl40Nr8X8gdRQBpUMLUo");
    CHECK(out.versions[0].is_latest);
    CHECK(out.versions[0].last_modified == "2009-10-12T17:50:30.000Z");
    CHECK(out.versions[0].etag == "fba9dede5f27731c9771645a39863328");
    CHECK(out.versions[0].size == 434234);
    CHECK(out.versions[0].storage_class == "STANDARD");

    CHECK(out.versions[1].key == "my-second-image.jpg");
    CHECK(out.versions[1].version_id == "QUpfdndhfd8438MNFDN93jdnJFkdmqnh893");
    CHECK_FALSE(out.versions[1].is_latest);
    CHECK(out.versions[1].last_modified == "2009-10-10T17:50:30.000Z");
    CHECK(out.versions[1].etag == "9b2cf535f27731c974343645a3985328");
    CHECK(out.versions[1].size == 166434);

    CHECK(out.versions[2].key == "my-third-image.jpg");
    CHECK(out.versions[2].version_id == "UIORUnfndfhnw89493jJFJ");
    CHECK_FALSE(out.versions[2].is_latest);
    CHECK(out.versions[2].last_modified == "2009-10-11T12:50:30.000Z");
    CHECK(out.versions[2].etag == "772cf535f27731c974343645a3985328");
    CHECK(out.versions[2].size == 64);

    CHECK(out.delete_markers[0].key == "my-second-image.jpg");
    CHECK(out.delete_markers[0].version_id == "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892");
    CHECK(out.delete_markers[0].is_latest);
    CHECK(out.delete_markers[0].last_modified == "2009-11-12T17:50:30.000Z");
    CHECK(out.delete_markers[1].key == "my-third-image.jpg");
    CHECK(out.delete_markers[1].version_id == "03jpff543dhffds434rfdsFDN943fdsFkdmqnh892");
    CHECK(out.delete_markers[1].is_latest);
    CHECK(out.delete_markers[1].last_modified == "2009-10-15T17:50:30.000Z");

    CHECK(out.common_prefixes.empty());
    CHECK_FALSE(out.is_truncated);
    CHECK(out.next_key_marker.empty());
    CHECK(out.next_version_id_marker.empty());
}

TEST_CASE("parse_list_object_versions: a truncated page (AWS example)") {
    list_object_versions_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(aws_truncated_example, out, diag));
    REQUIRE(out.versions.size() == 2);
    CHECK(out.delete_markers.empty());
    CHECK(out.versions[0].key == "key3");
    CHECK(out.versions[0].version_id == "8XECiENpj8pydEDJdd-_VRrvaGKAHOaGMNW7tg6UViI.");
    CHECK(out.versions[0].last_modified == "2009-12-09T00:18:23.000Z");
    CHECK(out.versions[1].version_id == "d-d309mfjFri40QYukDozqBt3UmoQ0DBsVqmcMV15OI.");
    CHECK(out.versions[1].size == 217);
    CHECK(out.versions[1].etag == "396fefef536d5ce46c7537ecf978a360");
    CHECK(out.is_truncated);
    CHECK(out.next_key_marker == "key3");
    CHECK(out.next_version_id_marker == "d-d309mfjFrUmoQ0DBsVqmcMV15OI.");

    // Truncated without a NextKeyMarker: the caller would list the first page forever.
    const std::string line = "  <NextKeyMarker>key3</NextKeyMarker>\n";
    std::string no_marker = aws_truncated_example;
    no_marker.erase(no_marker.find(line), line.size());
    diag.clear();
    CHECK(parse(no_marker, out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("NextKeyMarker") != std::string::npos);
    CHECK(out.versions.empty());
}

TEST_CASE("parse_list_object_versions: delimiter and common prefixes (AWS example)") {
    list_object_versions_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(aws_delimiter_example, out, diag));
    REQUIRE(out.versions.size() == 1);
    CHECK(out.versions[0].key == "Sample.jpg");
    CHECK(out.versions[0].version_id == "toxMzQlBsGyGCz1YuMWMp90cdXLzqOCH");
    CHECK(out.versions[0].size == 3191);
    CHECK(out.versions[0].etag == "3305f2cfc46c0f04559748bb039d69ae");
    CHECK(out.delete_markers.empty());
    CHECK(out.common_prefixes == std::vector<std::string>{"photos/", "videos/"});
}

TEST_CASE("parse_list_object_versions: url-encoded keys and markers are decoded, ids are not") {
    list_object_versions_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(url_versions_listing(), out, diag));
    REQUIRE(out.versions.size() == 2);
    REQUIRE(out.delete_markers.size() == 2);
    CHECK(out.delete_markers[0].key == "a b");
    CHECK(out.delete_markers[0].version_id == "dm1");
    CHECK(out.delete_markers[0].is_latest);
    CHECK(out.versions[0].key == "a b");
    CHECK(out.versions[0].version_id == "v1");
    CHECK_FALSE(out.versions[0].is_latest);
    CHECK(out.versions[0].size == 0);
    CHECK(out.versions[0].etag == "d41d8cd98f00b204e9800998ecf8427e");
    CHECK(out.versions[0].storage_class == "GLACIER");
    CHECK(out.versions[1].key == "100% +");
    CHECK(out.versions[1].version_id == "null");
    CHECK(out.versions[1].size == 18446744073709551615ull);
    CHECK(out.versions[1].etag == "abc-2");
    CHECK(out.versions[1].storage_class == "STANDARD");  // absent
    CHECK(out.delete_markers[1].key == "日 ?#");
    CHECK(out.delete_markers[1].version_id == "v+3/x=");  // opaque, not decoded
    CHECK(out.delete_markers[1].is_latest);               // "True"
    CHECK(out.common_prefixes == std::vector<std::string>{"lit%2Fslash/"});
    CHECK(out.is_truncated);
    CHECK(out.next_key_marker == "日 ?#");
    CHECK(out.next_version_id_marker == "v+3/x=");

    // Without <EncodingType> the keys are taken as sent.
    REQUIRE_FALSE(parse(url_versions_listing(false), out, diag));
    CHECK(out.versions[0].key == "a+b");
    CHECK(out.versions[1].key == "100%25+%2B");
    CHECK(out.next_key_marker == "%E6%97%A5+%3F%23");
    CHECK(out.common_prefixes == std::vector<std::string>{"lit%252Fslash/"});
}

TEST_CASE("parse_list_object_versions: errors") {
    list_object_versions_result out;
    diagnostics diag;

    auto check_malformed = [&](std::string body, std::string_view detail_has) {
        diag.clear();
        INFO(body);
        CHECK(parse(body, out, diag) == errc::malformed_response);
        CHECK(diag.detail.find(detail_has) != std::string::npos);
        CHECK(out.versions.empty());
        CHECK(out.delete_markers.empty());
    };
    auto replace = [](std::string s, std::string_view from, std::string_view to) {
        s.replace(s.find(from), from.size(), to);
        return s;
    };
    check_malformed(replace(aws_example, "<Size>166434</Size>", "<Size>-1</Size>"), "my-second-image.jpg");
    check_malformed(replace(aws_example, "<Size>64</Size>", ""), "Size");
    check_malformed(replace(aws_example, "<Size>64</Size>", "<Size>18446744073709551616</Size>"), "Size");
    check_malformed(replace(aws_example, "<VersionId>UIORUnfndfhnw89493jJFJ</VersionId>", ""), "VersionId");
    check_malformed(replace(aws_example, "<VersionId>UIORUnfndfhnw89493jJFJ</VersionId>", "<VersionId/>"),
                    "VersionId");
    check_malformed(replace(aws_example, "<Key>my-third-image.jpg</Key>", ""), "DeleteMarker");
    check_malformed(replace(aws_example, "<Key>my-image.jpg</Key>", ""), "Version");
    check_malformed(replace(aws_example, "<IsLatest>true</IsLatest>", "<IsLatest>1</IsLatest>"), "IsLatest");
    check_malformed(replace(aws_example, "<IsTruncated>false", "<IsTruncated>no"), "IsTruncated");
    check_malformed("<ListBucketResult/>", "ListBucketResult");

    diag.clear();
    CHECK(parse_list_object_versions(
              response(404,
                       "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist"
                       "</Message><BucketName>nope</BucketName></Error>"),
              out, diag) == errc::no_such_bucket);
    diag.clear();
    CHECK(parse("<Error><Code>InternalError</Code><RequestId>R</RequestId></Error>", out, diag) ==
          errc::server_error);
    CHECK(diag.http_status == 200);
    CHECK(diag.request_id == "R");
    diag.clear();
    CHECK(parse_list_object_versions(response(403, "<Error><Code>AccessDenied</Code></Error>"), out, diag) ==
          errc::access_denied);
}

TEST_CASE("parse_list_object_versions: every truncation is malformed, never a partial page") {
    for (const std::string& doc :
         {aws_example, aws_truncated_example, aws_delimiter_example, url_versions_listing()}) {
        s3test::for_each_truncation(doc, [](std::string prefix, std::size_t n) {
            list_object_versions_result out;
            diagnostics diag;
            INFO("prefix length " << n);
            CHECK(parse(prefix, out, diag) == errc::malformed_response);
            CHECK(out.versions.empty());
            CHECK(out.delete_markers.empty());
            CHECK(out.common_prefixes.empty());
            CHECK(diag.http_status == 200);
        });
        list_object_versions_result out;
        diagnostics diag;
        CHECK_FALSE(parse(doc, out, diag));
    }
}

// ---- GetBucketVersioning / PutBucketVersioning --------------------------------------

namespace {
// AWS GetBucketVersioning sample responses: enabled, and a bucket whose
// versioning was never configured.
const std::string versioning_enabled =
    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Status>Enabled</Status>\n"
    "</VersioningConfiguration>";
const std::string versioning_never =
    "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>";
}  // namespace

TEST_CASE("build_get_bucket_versioning") {
    http_request req = build_get_bucket_versioning(s3test::aws_target("bucket"));
    CHECK(req.method == "GET");
    CHECK(req.path == "/");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "versioning");
    CHECK(req.query[0].value == "");
    CHECK(uri::request_target(req) == "/?versioning=");
    req = build_get_bucket_versioning(s3test::aws_target("bucket", true));
    CHECK(req.path == "/bucket");
}

TEST_CASE("parse_get_bucket_versioning: the AWS documentation's examples") {
    get_bucket_versioning_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_get_bucket_versioning(response(200, versioning_enabled), out, diag));
    CHECK(out.status == "Enabled");
    CHECK(out.mfa_delete.empty());
    REQUIRE_FALSE(parse_get_bucket_versioning(response(200, versioning_never), out, diag));
    CHECK(out.status.empty());
    REQUIRE_FALSE(parse_get_bucket_versioning(
        response(200,
                 "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration "
                 "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Suspended</Status>"
                 "<MfaDelete>Disabled</MfaDelete></VersioningConfiguration>"),
        out, diag));
    CHECK(out.status == "Suspended");
    CHECK(out.mfa_delete == "Disabled");
}

TEST_CASE("parse_get_bucket_versioning: errors and truncation") {
    get_bucket_versioning_result out;
    diagnostics diag;
    CHECK(parse_get_bucket_versioning(
              response(200, "<VersioningConfiguration><Status>On</Status></VersioningConfiguration>"), out,
              diag) == errc::malformed_response);
    CHECK(diag.detail.find("'On'") != std::string::npos);
    CHECK(out.status.empty());
    diag.clear();
    CHECK(parse_get_bucket_versioning(
              response(200, "<VersioningConfiguration><MfaDelete>x</MfaDelete></VersioningConfiguration>"),
              out, diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse_get_bucket_versioning(response(404, "<Error><Code>NoSuchBucket</Code></Error>"), out, diag) ==
          errc::no_such_bucket);
    diag.clear();
    CHECK(parse_get_bucket_versioning(response(200, ""), out, diag) == errc::malformed_response);

    for (const std::string& doc : {versioning_enabled, versioning_never}) {
        s3test::for_each_truncation(doc, [](std::string prefix, std::size_t n) {
            get_bucket_versioning_result out;
            diagnostics diag;
            INFO("prefix length " << n);
            CHECK(parse_get_bucket_versioning(response(200, prefix), out, diag) == errc::malformed_response);
            CHECK(out.status.empty());
        });
    }
}

TEST_CASE("build_put_bucket_versioning: exact body and Content-MD5") {
    http_request req = build_put_bucket_versioning(s3test::aws_target("bucket"), {});
    CHECK(req.method == "PUT");
    CHECK(req.path == "/");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "versioning");
    CHECK(req.query[0].value == "");
    CHECK(req.body ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><VersioningConfiguration "
          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>Enabled</Status></"
          "VersioningConfiguration>");
    CHECK(*req.find_header("Content-MD5") == s3test::independent_md5_base64(req.body));
    CHECK(*req.find_header("Content-Type") == "application/xml");
    CHECK_FALSE(req.unsigned_payload);

    req = build_put_bucket_versioning(s3test::aws_target("bucket", true), {"Suspended"});
    CHECK(req.path == "/bucket");
    CHECK(req.body.find("<Status>Suspended</Status>") != std::string::npos);
    CHECK(*req.find_header("Content-MD5") == s3test::independent_md5_base64(req.body));

    diagnostics diag;
    CHECK_FALSE(parse_put_bucket_versioning(response(200, ""), diag));
    CHECK(parse_put_bucket_versioning(response(400, "<Error><Code>MalformedXML</Code></Error>"), diag) ==
          errc::invalid_request);
    CHECK(diag.s3_code == "MalformedXML");
}
