#include <doctest/doctest.h>

#include "s3/xml_scan.hpp"

#include <algorithm>
#include <cstring>
#include <random>

#include "s3_test_util.hpp"
#include "s3merge/s3/ops.hpp"

using namespace s3merge;
using namespace s3merge::s3;
using s3test::response;

namespace {

std::string find_query(const http_request& req, std::string_view name) {
    for (const query_param& q : req.query)
        if (q.name == name) return q.value;
    return "<absent>";
}

std::error_code parse(const std::string& body, list_objects_v2_result& out, diagnostics& diag) {
    return parse_list_objects_v2(response(200, body), out, diag);
}

// From the Amazon S3 API reference, ListObjectsV2 "Sample Response".
const std::string aws_example =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "  <Name>quotes</Name>\n"
    "  <Prefix>E</Prefix>\n"
    "  <StartAfter>ExampleGuide.pdf</StartAfter>\n"
    "  <KeyCount>1</KeyCount>\n"
    "  <MaxKeys>3</MaxKeys>\n"
    "  <IsTruncated>false</IsTruncated>\n"
    "  <Contents>\n"
    "    <Key>ExampleObject.txt</Key>\n"
    "    <LastModified>2013-09-17T18:07:53.000Z</LastModified>\n"
    "    <ETag>\"599bab3ed2c697f1d26842727561fd94\"</ETag>\n"
    "    <Size>857</Size>\n"
    "    <StorageClass>REDUCED_REDUNDANCY</StorageClass>\n"
    "  </Contents>\n"
    "</ListBucketResult>\n";

std::string url_listing(const std::vector<std::string>& encoded_keys,
                        const std::vector<std::string>& encoded_prefixes, bool with_encoding = true) {
    std::string body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
        "<Prefix></Prefix><KeyCount>" +
        std::to_string(encoded_keys.size() + encoded_prefixes.size()) +
        "</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>";
    if (with_encoding) body += "<EncodingType>url</EncodingType>";
    body += "<IsTruncated>false</IsTruncated>";
    for (const auto& k : encoded_keys)
        body += "<Contents><Key>" + k +
                "</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified>"
                "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>"
                "<StorageClass>STANDARD</StorageClass></Contents>";
    for (const auto& p : encoded_prefixes)
        body += "<CommonPrefixes><Prefix>" + p + "</Prefix></CommonPrefixes>";
    return body + "</ListBucketResult>";
}

}  // namespace

TEST_CASE("build_list_objects_v2: query parameters, only the non-empty ones") {
    auto t = s3test::aws_target("quotes");
    list_objects_v2_params p;
    p.prefix = "photos/2006/";
    p.delimiter = "/";
    p.max_keys = 3;
    p.continuation_token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=";
    p.start_after = "ExampleGuide.pdf";
    http_request req = build_list_objects_v2(t, p);
    CHECK(req.method == "GET");
    CHECK(req.host == "quotes.s3.eu-west-1.amazonaws.com");
    CHECK(req.path == "/");
    CHECK(req.query.size() == 7);
    CHECK(find_query(req, "list-type") == "2");
    CHECK(find_query(req, "prefix") == "photos/2006/");
    CHECK(find_query(req, "delimiter") == "/");
    CHECK(find_query(req, "max-keys") == "3");
    CHECK(find_query(req, "continuation-token") == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    CHECK(find_query(req, "start-after") == "ExampleGuide.pdf");
    CHECK(find_query(req, "encoding-type") == "url");
    CHECK(req.body.empty());
    CHECK_FALSE(req.unsigned_payload);

    list_objects_v2_params empty;
    empty.encoding_type_url = false;
    empty.max_keys = 0;
    req = build_list_objects_v2(s3test::aws_target("b", /*path_style=*/true), empty);
    CHECK(req.path == "/b");
    CHECK(req.host == "s3.eu-west-1.amazonaws.com");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "list-type");

    req = build_list_objects_v2(t, list_objects_v2_params{});
    CHECK(req.query.size() == 3);  // list-type, max-keys=1000, encoding-type
    CHECK(find_query(req, "max-keys") == "1000");
    CHECK(find_query(req, "prefix") == "<absent>");
}

TEST_CASE("parse_list_objects_v2: the AWS documentation's example") {
    list_objects_v2_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(aws_example, out, diag));
    REQUIRE(out.objects.size() == 1);
    CHECK(out.objects[0].key == "ExampleObject.txt");
    CHECK(out.objects[0].size == 857);
    CHECK(out.objects[0].etag == "599bab3ed2c697f1d26842727561fd94");
    CHECK(out.objects[0].last_modified == "2013-09-17T18:07:53.000Z");
    CHECK(out.objects[0].storage_class == "REDUCED_REDUNDANCY");
    CHECK(out.common_prefixes.empty());
    CHECK_FALSE(out.is_truncated);
    CHECK(out.next_continuation_token.empty());
    CHECK(out.key_count == 1);
}

TEST_CASE("parse_list_objects_v2: delimiter and common prefixes (AWS example)") {
    const std::string body =
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
        "  <Name>example-bucket</Name>\n  <Prefix></Prefix>\n  <KeyCount>2</KeyCount>\n"
        "  <MaxKeys>1000</MaxKeys>\n  <Delimiter>/</Delimiter>\n  <IsTruncated>false</IsTruncated>\n"
        "  <Contents>\n    <Key>sample.jpg</Key>\n"
        "    <LastModified>2011-02-26T01:56:20.000Z</LastModified>\n"
        "    <ETag>\"bf1d737a4d46a19f3bced6905cc8b902\"</ETag>\n    <Size>142863</Size>\n"
        "    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n"
        "  <CommonPrefixes>\n    <Prefix>photos/</Prefix>\n  </CommonPrefixes>\n"
        "</ListBucketResult>\t\n";
    list_objects_v2_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(body, out, diag));
    REQUIRE(out.objects.size() == 1);
    CHECK(out.objects[0].key == "sample.jpg");
    CHECK(out.objects[0].size == 142863);
    CHECK(out.objects[0].etag == "bf1d737a4d46a19f3bced6905cc8b902");
    REQUIRE(out.common_prefixes.size() == 1);
    CHECK(out.common_prefixes[0] == "photos/");
    CHECK(out.key_count == 2);
}

TEST_CASE("parse_list_objects_v2: continuation (AWS example)") {
    const std::string body =
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
        "  <Name>bucket</Name>\n  <Prefix></Prefix>\n"
        "  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>\n"
        "  <KeyCount>1000</KeyCount>\n  <MaxKeys>1000</MaxKeys>\n  <IsTruncated>true</IsTruncated>\n"
        "  <Contents>\n    <Key>happyface.jpg</Key>\n"
        "    <LastModified>2014-11-21T19:40:05.000Z</LastModified>\n"
        "    <ETag>\"70ee1738b6b21e2c8a43f3a5ab0eee71\"</ETag>\n    <Size>11</Size>\n"
        "    <StorageClass>STANDARD</StorageClass>\n  </Contents>\n</ListBucketResult>\n";
    list_objects_v2_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(body, out, diag));
    CHECK(out.is_truncated);
    CHECK(out.next_continuation_token == "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
    CHECK(out.key_count == 1000);

    // Truncated without a token: the caller would loop on the first page.
    std::string no_token = body;
    auto a = no_token.find("  <NextContinuationToken>");
    no_token.erase(a, no_token.find('\n', a) + 1 - a);
    diag.clear();
    CHECK(parse(no_token, out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("NextContinuationToken") != std::string::npos);
}

TEST_CASE("parse_list_objects_v2: fields in any order, prefixed names, entries interleaved") {
    // The page's children are indexed in one pass; what comes after the
    // entries (or is missing) is found as well as what comes before them.
    std::string body =
        "<s3:ListBucketResult xmlns:s3=\"http://s3.amazonaws.com/doc/2006-03-01/\"><s3:Name>b</s3:Name>";
    for (int i = 0; i < 5; ++i) {
        body += "<s3:Contents><s3:Size>" + std::to_string(i) + "</s3:Size><s3:ETag>&quot;e" +
                std::to_string(i) + "&quot;</s3:ETag><s3:Key>k%2F" + std::to_string(i) +
                "</s3:Key></s3:Contents>";
        body += "<s3:CommonPrefixes><s3:Prefix>p" + std::to_string(i) + "%2F</s3:Prefix></s3:CommonPrefixes>";
    }
    body += "<Contents><Key>plain</Key><Size>7</Size></Contents>";
    body +=
        "<s3:IsTruncated>true</s3:IsTruncated><s3:KeyCount>11</s3:KeyCount>"
        "<s3:NextContinuationToken>t+1</s3:NextContinuationToken><s3:EncodingType>url</s3:EncodingType>"
        "</s3:ListBucketResult>";
    list_objects_v2_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(body, out, diag));
    REQUIRE(out.objects.size() == 6);
    for (int i = 0; i < 5; ++i) {
        CHECK(out.objects[i].key == "k/" + std::to_string(i));
        CHECK(out.objects[i].etag == "e" + std::to_string(i));
        CHECK(out.objects[i].size == std::uint64_t(i));
    }
    CHECK(out.objects[5].key == "plain");
    CHECK(out.objects[5].size == 7);
    REQUIRE(out.common_prefixes.size() == 5);
    CHECK(out.common_prefixes[4] == "p4/");
    CHECK(out.is_truncated);
    CHECK(out.key_count == 11);
    CHECK(out.next_continuation_token == "t+1");  // opaque: never decoded

    // The last page: no token, no count; the entries are counted.
    std::string last = body;
    for (const char* tag : {"s3:KeyCount", "s3:NextContinuationToken"}) {
        auto a = last.find(std::string("<") + tag + ">");
        auto b = last.find(std::string("</") + tag + ">");
        last.erase(a, b + std::strlen(tag) + 3 - a);
    }
    last.replace(last.find("true</s3:IsTruncated>"), 4, "false");
    REQUIRE_FALSE(parse(last, out, diag));
    CHECK_FALSE(out.is_truncated);
    CHECK(out.next_continuation_token.empty());
    CHECK(out.key_count == 11);
    CHECK(out.objects.size() == 6);
}

TEST_CASE("parse_list_objects_v2: ETag as &quot; and a missing StorageClass") {
    const std::string body =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix/><MaxKeys>1000</MaxKeys>"
        "<IsTruncated>false</IsTruncated><Contents><Key>a.txt</Key>"
        "<LastModified>2024-05-01T00:00:00.000Z</LastModified>"
        "<ETag>&quot;9b2cf535f27731c974343645a3985328-3&quot;</ETag><Size>18446744073709551615</Size>"
        "</Contents></ListBucketResult>";
    list_objects_v2_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(body, out, diag));
    REQUIRE(out.objects.size() == 1);
    CHECK(out.objects[0].etag == "9b2cf535f27731c974343645a3985328-3");
    CHECK(out.objects[0].storage_class == "STANDARD");
    CHECK(out.objects[0].size == 18446744073709551615ull);
    CHECK(out.key_count == 1);  // no <KeyCount>: counted
}

TEST_CASE("parse_list_objects_v2: url-encoded keys are decoded like botocore (unquote_plus)") {
    const std::string long_key(1024, 'k');
    std::string long_key_encoded;
    for (int i = 0; i < 1024; ++i) long_key_encoded += (i % 2 ? "k" : "%6B");
    auto body = url_listing(
        {
            "%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%AD%E3%82%B0.json.gz",  // 日本語/ログ.json.gz
            "a+b.txt",                                                 // S3: space as '+'
            "a%20b.txt",                                               // others: space as %20
            "a%2Bb.txt",                                               // a literal '+'
            "100%25.csv",                                              // a literal '%'
            "lit%252Fslash",                                           // a literal "%2F"
            "a//b",                                                    // '/' is never encoded
            "folder/",                                                 // trailing '/'
            "%3F%23%26%3D%3C%3E",                                      // ?#&=<>
            "tab%09cr%0Dlf%0Aend",                                     // control characters
            "%20lead+and+trail%20",
            long_key_encoded,
        },
        {"run+books/", "%ED%95%9C%EA%B8%80/"});
    list_objects_v2_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(body, out, diag));
    REQUIRE(out.objects.size() == 12);
    CHECK(out.objects[0].key == "日本語/ログ.json.gz");
    CHECK(out.objects[1].key == "a b.txt");
    CHECK(out.objects[2].key == "a b.txt");
    CHECK(out.objects[3].key == "a+b.txt");
    CHECK(out.objects[4].key == "100%.csv");
    CHECK(out.objects[5].key == "lit%2Fslash");
    CHECK(out.objects[6].key == "a//b");
    CHECK(out.objects[7].key == "folder/");
    CHECK(out.objects[8].key == "?#&=<>");
    CHECK(out.objects[9].key == "tab\tcr\rlf\nend");
    CHECK(out.objects[10].key == " lead and trail ");
    CHECK(out.objects[11].key == long_key);
    CHECK(out.objects[0].etag == "d41d8cd98f00b204e9800998ecf8427e");
    REQUIRE(out.common_prefixes.size() == 2);
    CHECK(out.common_prefixes[0] == "run books/");
    CHECK(out.common_prefixes[1] == "한글/");
    CHECK(out.key_count == 14);
}

TEST_CASE("parse_list_objects_v2: without <EncodingType> keys are taken as sent") {
    // A server that ignores encoding-type=url sends raw keys and no <EncodingType>.
    auto body = url_listing({"a+b.txt", "100%25.csv", "&lt;x&gt; &amp; y", " "}, {"p+q/"}, false);
    list_objects_v2_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse(body, out, diag));
    REQUIRE(out.objects.size() == 4);
    CHECK(out.objects[0].key == "a+b.txt");
    CHECK(out.objects[1].key == "100%25.csv");
    CHECK(out.objects[2].key == "<x> & y");
    CHECK(out.objects[3].key == " ");  // whitespace-only text is kept
    CHECK(out.common_prefixes[0] == "p+q/");
}

TEST_CASE("parse_list_objects_v2: errors") {
    list_objects_v2_result out;
    diagnostics diag;

    auto resp = response(404,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code>"
                         "<Message>The specified bucket does not exist</Message><BucketName>nope</BucketName>"
                         "<RequestId>R</RequestId><HostId>H</HostId></Error>");
    CHECK(parse_list_objects_v2(resp, out, diag) == errc::no_such_bucket);
    CHECK(diag.message == "The specified bucket does not exist");

    // 200 with an <Error> document.
    diag.clear();
    CHECK(parse("<Error><Code>InternalError</Code><Message>We encountered an internal error. "
                "Please try again.</Message><RequestId>R2</RequestId></Error>",
                out, diag) == errc::server_error);
    CHECK(diag.http_status == 200);
    CHECK(diag.s3_code == "InternalError");
    CHECK(diag.request_id == "R2");

    diag.clear();
    CHECK(parse("<ListAllMyBucketsResult/>", out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("ListAllMyBucketsResult") != std::string::npos);
    diag.clear();
    CHECK(parse("", out, diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse("not xml at all", out, diag) == errc::malformed_response);

    auto bad_size = aws_example;
    bad_size.replace(bad_size.find("857"), 3, "-857");
    diag.clear();
    CHECK(parse(bad_size, out, diag) == errc::malformed_response);
    CHECK(diag.detail.find("ExampleObject.txt") != std::string::npos);
    CHECK(out.objects.empty());

    auto overflow = aws_example;
    overflow.replace(overflow.find("857"), 3, "18446744073709551616");
    CHECK(parse(overflow, out, diag) == errc::malformed_response);

    auto no_key = aws_example;
    no_key.replace(no_key.find("<Key>ExampleObject.txt</Key>"), 28, "");
    CHECK(parse(no_key, out, diag) == errc::malformed_response);

    auto bad_bool = aws_example;
    bad_bool.replace(bad_bool.find("false"), 5, "maybe");
    CHECK(parse(bad_bool, out, diag) == errc::malformed_response);

    auto bad_count = aws_example;
    bad_count.replace(bad_count.find("<KeyCount>1<"), 12, "<KeyCount>x<");
    CHECK(parse(bad_count, out, diag) == errc::malformed_response);
}

TEST_CASE("parse_list_objects_v2: every truncation is malformed, never a partial page") {
    const auto body = url_listing({"%E6%97%A5.txt", "a+b", "c%2Bd"}, {"p+/"});
    for (const std::string& doc : {aws_example, body}) {
        s3test::for_each_truncation(doc, [](std::string prefix, std::size_t n) {
            list_objects_v2_result out;
            diagnostics diag;
            INFO("prefix length " << n);
            CHECK(parse(prefix, out, diag) == errc::malformed_response);
            CHECK(out.objects.empty());
            CHECK(diag.http_status == 200);
        });
        list_objects_v2_result out;
        diagnostics diag;
        CHECK_FALSE(parse(doc, out, diag));
    }
}

// ---- the scan and the document parser agree ------------------------------

namespace {

// Both readers on one body: when the scan takes the page, the document
// parser must read it too, to the same result. Returns whether the scan took it.
bool scan_agrees(const std::string& body) {
    list_objects_v2_result scanned, parsed;
    diagnostics diag;
    const bool took = scan_list_objects_v2(body, scanned);
    auto ec = parse_list_objects_v2_document(response(200, body), parsed, diag);
    if (took) {
        CAPTURE(body);
        REQUIRE_FALSE(ec);
        REQUIRE(scanned == parsed);
    } else {
        CHECK(scanned == list_objects_v2_result{});  // declined: nothing half-read
    }
    return took;
}

// Text as a server may escape it: predefined entities, or character
// references (decimal or hex) for some characters, picked by rng.
std::string escaped(std::string_view s, std::mt19937& rng) {
    std::string out;
    for (unsigned char c : s) {
        const unsigned pick = rng() % 8;
        if (c == '&')
            out += pick < 4 ? "&amp;" : "&#38;";
        else if (c == '<')
            out += pick < 4 ? "&lt;" : "&#x3C;";
        else if (c == '>')
            out += pick < 4 ? "&gt;" : ">";
        else if (c == '"')
            out += pick < 4 ? "&quot;" : pick < 6 ? "&#34;" : "\"";
        else if (c == '\'')
            out += pick < 4 ? "&apos;" : "'";
        else if (c < 0x80 && c >= 0x20 && pick == 0)
            out += "&#" + std::to_string(c) + ";";
        else
            out += static_cast<char>(c);
    }
    return out;
}

std::string random_text(std::mt19937& rng, std::size_t max_len) {
    static const std::vector<std::string> pieces = {"a",
                                                    "Z",
                                                    "0",
                                                    "/",
                                                    "&",
                                                    "<",
                                                    ">",
                                                    "\"",
                                                    "'",
                                                    "%2F",
                                                    "%",
                                                    "+",
                                                    " ",
                                                    "\t",
                                                    "\n",
                                                    "\xC3\xA9",
                                                    "\xE6\x97\xA5",
                                                    "\xF0\x9F\x98\x80",
                                                    ";",
                                                    "#",
                                                    "=",
                                                    "]]>",
                                                    "?",
                                                    "-",
                                                    "_",
                                                    "."};
    std::string s;
    for (std::size_t n = rng() % (max_len + 1); n > 0; --n) s += pieces[rng() % pieces.size()];
    return s;
}

// A ListBucketResult with random entries and random (legal) formatting.
std::string random_page(std::mt19937& rng) {
    auto ws = [&] {
        static const char* choices[] = {"", "", " ", "\n", "\n  ", "\t"};
        return std::string(choices[rng() % 6]);
    };
    std::string b;
    if (rng() % 2) b += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + ws();
    b += rng() % 2 ? "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                   : "<ListBucketResult>";
    std::vector<std::string> head;
    head.push_back("<Name>" + escaped(random_text(rng, 3), rng) + "</Name>");
    head.push_back(rng() % 2 ? "<Prefix/>" : "<Prefix>" + escaped(random_text(rng, 3), rng) + "</Prefix>");
    if (rng() % 2) head.push_back("<KeyCount>" + std::to_string(rng() % 2000) + "</KeyCount>");
    head.push_back("<MaxKeys>1000</MaxKeys>");
    if (rng() % 2)
        head.push_back("<EncodingType>" + std::string(rng() % 2 ? "url" : "URL") + "</EncodingType>");
    const bool truncated = rng() % 2;
    if (rng() % 4)
        head.push_back(std::string("<IsTruncated>") + (truncated ? "true" : "false") + "</IsTruncated>");
    if (truncated || rng() % 3 == 0)
        head.push_back("<NextContinuationToken>" + escaped(random_text(rng, 6), rng) +
                       "x</NextContinuationToken>");
    std::vector<std::string> body;
    for (std::size_t n = rng() % 6; n > 0; --n) {
        std::vector<std::string> fields;
        fields.push_back("<Key>" + escaped(random_text(rng, 8), rng) + "</Key>");
        fields.push_back("<Size>" + std::to_string(rng() % 100000) + "</Size>");
        if (rng() % 4)
            fields.push_back("<ETag>" + escaped("\"" + random_text(rng, 4) + "\"", rng) + "</ETag>");
        if (rng() % 4) fields.push_back("<LastModified>2024-01-02T03:04:05.000Z</LastModified>");
        if (rng() % 3)
            fields.push_back(rng() % 4 ? "<StorageClass>GLACIER</StorageClass>" : "<StorageClass/>");
        if (rng() % 4 == 0)
            fields.push_back("<Owner><ID>" + escaped(random_text(rng, 3), rng) +
                             "</ID><DisplayName/></Owner>");
        if (rng() % 4 == 0) fields.push_back("<ChecksumAlgorithm>CRC32</ChecksumAlgorithm>");
        std::shuffle(fields.begin(), fields.end(), rng);
        std::string c = "<Contents>";
        for (auto& f : fields) c += ws() + f;
        body.push_back(c + ws() + "</Contents>");
    }
    for (std::size_t n = rng() % 4; n > 0; --n)
        body.push_back("<CommonPrefixes>" + ws() + "<Prefix>" + escaped(random_text(rng, 5), rng) +
                       "/</Prefix>" + ws() + "</CommonPrefixes>");
    std::shuffle(body.begin(), body.end(), rng);
    std::shuffle(head.begin(), head.end(), rng);
    // The head's fields before, among or after the entries.
    for (auto& h : head) body.insert(body.begin() + static_cast<long>(rng() % (body.size() + 1)), h);
    for (auto& e : body) b += ws() + e;
    return b + ws() + "</ListBucketResult>" + ws();
}

}  // namespace

TEST_CASE(
    "scan_list_objects_v2: takes what S3, RGW and the load target send, reading it as the parser does") {
    CHECK(scan_agrees(aws_example));
    CHECK(scan_agrees(url_listing({"a%2Bb", "c+d", "%E6%97%A5%2F"}, {"p%2F", "q+r/"})));
    CHECK(scan_agrees(url_listing({"plain"}, {}, false)));
    // Recorded from the tests' Ceph RGW (Debian 12): a truncated page with
    // fetch-owner (Owner and Type are skipped), and a delimiter page.
    CHECK(scan_agrees(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<EncodingType>url</EncodingType><Name>scanchk</Name><Prefix></Prefix><MaxKeys>2</"
        "MaxKeys><IsTruncated>true"
        "</"
        "IsTruncated><Contents><Key>AWSLogs%2F123456789012%2FCloudTrail%2Fus-east-1%2F2024%2F01%2F01%"
        "2F123456789012_"
        "CloudTrail_us-east-1_20240101T0000Z_0e2d6c3e205e40f0.json.gz</"
        "Key><LastModified>2026-12-05T08:24:37.266Z"
        "</LastModified><ETag>&quot;9bb632fff2be57171d6885074fd2bf5d&quot;</ETag><Size>368</"
        "Size><StorageClass>"
        "STANDARD</StorageClass><Owner><ID>s3merge</ID><DisplayName>s3merge "
        "tests</DisplayName></Owner><Type>Normal"
        "</Type></Contents><Contents><Key>AWSLogs%2F123456789012%2FCloudTrail%2Fus-east-1%2F2024%2F01%2F01%2F"
        "123456789012_CloudTrail_us-east-1_20240101T0005Z_b76f0522f8e01b2a.json.gz</Key><LastModified>"
        "2026-12-05T08:24:37.267Z</LastModified><ETag>&quot;40ec92104a9fd5528a57ee2ec9acb40f&quot;</"
        "ETag><Size>368"
        "</Size><StorageClass>STANDARD</StorageClass><Owner><ID>s3merge</ID><DisplayName>s3merge "
        "tests</DisplayName>"
        "</Owner><Type>Normal</Type></Contents><NextContinuationToken>AWSLogs/123456789012/CloudTrail/"
        "us-east-1/2024/"
        "01/01/123456789012_CloudTrail_us-east-1_20240101T0005Z_b76f0522f8e01b2a.json.gz</"
        "NextContinuationToken>"
        "<KeyCount>2</KeyCount></ListBucketResult>"));
    CHECK(
        scan_agrees("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult "
                    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    "<EncodingType>url</EncodingType><Name>scanchk</Name><Prefix></Prefix><MaxKeys>1000</"
                    "MaxKeys><Delimiter>/"
                    "</Delimiter><IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>AWSLogs/</Prefix></"
                    "CommonPrefixes>"
                    "<KeyCount>1</KeyCount></ListBucketResult>"));
    // Self-closing empty elements, anywhere.
    CHECK(scan_agrees(
        "<ListBucketResult><Name>b</Name><Prefix/><IsTruncated>true</IsTruncated><Contents><Key>a&amp;b</Key>"
        "<ETag/><Size>5</Size><StorageClass/><Owner><ID/></Owner></Contents><CommonPrefixes><Prefix/>"
        "</CommonPrefixes><NextContinuationToken>1ABC</NextContinuationToken><StartAfter/></"
        "ListBucketResult>"));
    list_objects_v2_result out;
    REQUIRE(
        scan_list_objects_v2("<ListBucketResult><Contents><Key>k&#x2F;&#233;</Key><Size>9</"
                             "Size><ETag>&#34;e&#34;</ETag></Contents>"
                             "<IsTruncated>false</IsTruncated></ListBucketResult>",
                             out));
    REQUIRE(out.objects.size() == 1);
    CHECK(out.objects[0].key == "k/\xC3\xA9");
    CHECK(out.objects[0].etag == "e");
    CHECK(out.objects[0].storage_class == "STANDARD");
    CHECK(out.key_count == 1);
}

TEST_CASE("scan_list_objects_v2: declines what it does not read, and the parser decides") {
    for (const std::string body : {
             // Namespace prefixes, comments, CDATA, CR, attributes on fields.
             "<s3:ListBucketResult "
             "xmlns:s3=\"x\"><s3:IsTruncated>false</s3:IsTruncated></s3:ListBucketResult>",
             "<ListBucketResult><!-- c --><IsTruncated>false</IsTruncated></ListBucketResult>",
             "<ListBucketResult><Contents><Key><![CDATA[a<b]]></Key><Size>1</Size></Contents></"
             "ListBucketResult>",
             "<ListBucketResult><Contents><Key>a\r\nb</Key><Size>1</Size></Contents></ListBucketResult>",
             "<ListBucketResult><Contents><Key a=\"1\">k</Key><Size>1</Size></Contents></ListBucketResult>",
             // A field twice, a missing key or size, a bad number or flag.
             "<ListBucketResult><Contents><Key>a</Key><Key>b</Key><Size>1</Size></Contents></"
             "ListBucketResult>",
             "<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>",
             "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents></ListBucketResult>",
             "<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>",
             "<ListBucketResult><KeyCount>x</KeyCount></ListBucketResult>",
             "<ListBucketResult><IsTruncated>yes</IsTruncated></ListBucketResult>",
             "<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>",
             "<ListBucketResult><IsTruncated>false</IsTruncated><IsTruncated>true</IsTruncated></"
             "ListBucketResult>",
             // Unknown or broken entities, another root, an unclosed or mismatched document.
             "<ListBucketResult><Contents><Key>a&nbsp;</Key><Size>1</Size></Contents></ListBucketResult>",
             "<ListBucketResult><Contents><Key>a&#0;</Key><Size>1</Size></Contents></ListBucketResult>",
             "<ListBucketResult><Contents><Key>a&#xD800;</Key><Size>1</Size></Contents></ListBucketResult>",
             "<ListBucketResult><Contents><Key>a&amp</Key><Size>1</Size></Contents></ListBucketResult>",
             "<Error><Code>AccessDenied</Code></Error>",
             "<ListBucketResult><Contents><Key>a</Key><Size>1</Size></Contents>",
             "<ListBucketResult><Contents><Key>a</Kex><Size>1</Size></Contents></ListBucketResult>",
             "<ListBucketResult></ListBucketResult><x/>",
             "",
         }) {
        CAPTURE(body);
        CHECK_FALSE(scan_agrees(body));
    }
}

TEST_CASE("decode_text: an ETag's &quot; pair in one step, everything else entity by entity") {
    std::string out;
    auto decoded = [&](std::string_view t) {
        return detail::decode_text(t, out) ? out : std::string("<refused>");
    };
    CHECK(decoded("&quot;0123456789abcdef0123456789abcdef&quot;") == "\"0123456789abcdef0123456789abcdef\"");
    CHECK(decoded("&quot;&quot;") == "\"\"");
    CHECK(decoded("&quot;e-12&quot;") == "\"e-12\"");
    // Not the one-step shape: the general way, the same rules.
    CHECK(decoded("&quot;a&amp;b&quot;") == "\"a&b\"");
    CHECK(decoded("&quot;a&lt;&quot;") == "\"a<\"");
    CHECK(decoded("&quot;") == "\"");
    CHECK(decoded("&quot;x&quot;y") == "\"x\"y");
    CHECK(decoded("x&quot;y&quot;") == "x\"y\"");
    CHECK(decoded("&quot;x&bogus;&quot;") == "<refused>");
    CHECK(decoded("&quot;x&quot") == "<refused>");
    CHECK(decoded("&quot;x&&quot;") == "<refused>");
    // Texts longer than a 16-byte block, with the entity past the first block.
    CHECK(decoded(std::string(40, 'k') + "&amp;" + std::string(20, 'k')) ==
          std::string(40, 'k') + "&" + std::string(20, 'k'));
}

TEST_CASE("scan_list_objects_v2: random pages read the same by both, and so are their mutations") {
    std::mt19937 rng(20261205);
    int taken = 0, mutated_taken = 0;
    for (int i = 0; i < 3000; ++i) {
        const std::string page = random_page(rng);
        if (scan_agrees(page)) ++taken;
        // Mutations: a byte changed, removed or doubled, or the page cut short.
        for (int m = 0; m < 8; ++m) {
            std::string bad = page;
            const std::size_t at = rng() % bad.size();
            switch (rng() % 4) {
                case 0:
                    bad[at] = "<>&;/\"'x#\r"[rng() % 10];
                    break;
                case 1:
                    bad.erase(at, 1);
                    break;
                case 2:
                    bad.insert(at, 1, bad[at]);
                    break;
                default:
                    bad.resize(at);
                    break;
            }
            if (scan_agrees(bad)) ++mutated_taken;
        }
    }
    // Every generated page is in the plain shape: all of them scanned.
    CHECK(taken == 3000);
    CHECK(mutated_taken > 0);  // the mutations that stay legal are read too
}
