#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <pugixml.hpp>

#include "s3_test_util.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/sigv4.hpp"
#include "s3merge/crypto.hpp"

using namespace s3merge;
using namespace s3merge::s3;
using s3test::response;

namespace {

delete_objects_params params(std::vector<std::string> keys) {
    delete_objects_params p;
    for (auto& k : keys) p.objects.push_back({std::move(k), {}, {}});
    return p;
}

// Re-reads a built body with pugixml, as an S3 server would read it.
std::vector<object_identifier> reparse(const std::string& body) {
    pugi::xml_document doc;
    auto r = doc.load_buffer(body.data(), body.size(), pugi::parse_default | pugi::parse_ws_pcdata,
                             pugi::encoding_utf8);
    REQUIRE_MESSAGE(r, r.description());
    pugi::xml_node root = doc.child("Delete");
    REQUIRE(root);
    CHECK(std::string_view(root.attribute("xmlns").value()) == "http://s3.amazonaws.com/doc/2006-03-01/");
    std::vector<object_identifier> out;
    for (pugi::xml_node o : root.children("Object"))
        out.push_back(
            {o.child("Key").text().get(), o.child("VersionId").text().get(), o.child("ETag").text().get()});
    return out;
}

}  // namespace

TEST_CASE("build_delete_objects: request shape, exact body and Content-MD5") {
    delete_objects_params p;
    p.objects = {{"sample1.txt", "", ""}, {"sample2.txt", "OYcLXagmS.WaD..oyH4KRguB95_YhLs7", ""}};
    std::error_code ec;
    http_request req = build_delete_objects(s3test::aws_target("amzn-s3-demo-bucket"), p, ec);
    REQUIRE_FALSE(ec);
    CHECK(req.method == "POST");
    CHECK(req.host == "amzn-s3-demo-bucket.s3.eu-west-1.amazonaws.com");
    CHECK(req.path == "/");
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "delete");
    CHECK(req.query[0].value == "");
    CHECK(req.body ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete "
          "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet><Object><Key>sample1.txt"
          "</Key></Object><Object><Key>sample2.txt</Key><VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7"
          "</VersionId></Object></Delete>");
    // Computed with: printf '%s' "$body" | openssl dgst -md5 -binary | base64
    CHECK(*req.find_header("Content-MD5") == "zLerVTZK2PllQMBNZlx4kw==");
    CHECK(*req.find_header("Content-Type") == "application/xml");
    CHECK_FALSE(req.unsigned_payload);

    req = build_delete_objects(s3test::aws_target("b", /*path_style=*/true), p, ec);
    REQUIRE_FALSE(ec);
    CHECK(req.path == "/b");

    p.quiet = false;
    req = build_delete_objects(s3test::aws_target("b"), p, ec);
    CHECK(req.body.find("Quiet") == std::string::npos);
}

TEST_CASE("build_delete_objects: a conditional delete carries the quoted ETag per key") {
    delete_objects_params p;
    p.objects = {{"a", "", "0cc175b9c0f1b6a831c399e269772661"}, {"b", "", ""}, {"c", "", "\"9f-2\""}};
    std::error_code ec;
    http_request req = build_delete_objects(s3test::aws_target("bkt"), p, ec);
    REQUIRE_FALSE(ec);
    CHECK(req.body.find("<Object><Key>a</Key><ETag>\"0cc175b9c0f1b6a831c399e269772661\"</ETag></Object>"
                        "<Object><Key>b</Key></Object><Object><Key>c</Key><ETag>\"9f-2\"</ETag></Object>") !=
          std::string::npos);
    auto back = reparse(req.body);
    REQUIRE(back.size() == 3);
    CHECK(back[0].etag == "\"0cc175b9c0f1b6a831c399e269772661\"");
    CHECK(back[1].etag.empty());
}

TEST_CASE("build_delete_object: one key in the URL, with If-Match and a version") {
    object_identifier o{"a\x01b/c d", "v1", "abc"};
    CHECK_FALSE(xml_can_carry_key(o.key));
    CHECK(xml_can_carry_key("plain/key.json"));
    CHECK_FALSE(xml_can_carry_key(""));
    CHECK_FALSE(xml_can_carry_key("bad\xff utf-8"));
    http_request req = build_delete_object(s3test::aws_target("bkt", /*path_style=*/true), o);
    CHECK(req.method == "DELETE");
    CHECK(req.path == "/bkt/a\x01b/c d");  // raw; the signer encodes it
    REQUIRE(req.query.size() == 1);
    CHECK(req.query[0].name == "versionId");
    CHECK(req.query[0].value == "v1");
    CHECK(*req.find_header("If-Match") == "\"abc\"");
    req = build_delete_object(s3test::aws_target("bkt", true), object_identifier{"k", "", ""});
    CHECK(req.query.empty());
    CHECK(req.find_header("If-Match") == nullptr);
    diagnostics d;
    CHECK_FALSE(parse_delete_object(response(204, ""), d));
    CHECK(parse_delete_object(
              response(412, "<Error><Code>PreconditionFailed</Code><Message>m</Message></Error>"), d) ==
          errc::precondition_failed);
}

TEST_CASE("crypto::md5_base64 agrees with a published DeleteObjects vector") {
    // The AWS documentation's sample body, as used in opendal's reqsign tests.
    const std::string body =
        "<Delete>\n<Object>\n <Key>sample1.txt</Key>\n </Object>\n <Object>\n   <Key>sample2.txt</Key>\n"
        " </Object>\n </Delete>";
    CHECK(crypto::md5_base64(body) == "WOctCY1SS662e7ziElh4cw==");
    CHECK(s3test::independent_md5_base64(body) == "WOctCY1SS662e7ziElh4cw==");
}

TEST_CASE("build_delete_objects: awkward keys round-trip through the XML") {
    std::vector<std::string> keys = {
        "a&b",
        "<tag>",
        "x\"y'z",
        "]]>",
        "&amp; literal",
        "a\r\nb",
        "\r",
        "\n",
        "cr\rlf\n\r\n",
        "tab\there",
        " leading and trailing ",
        " ",
        "日本語/ログ.json.gz",
        "a+b c%2Fd",
        "100%",
        "//",
        "dir/",
        "?#&=;",
        "\x7f del",
        "emoji 😀",
        "\xEF\xBF\xBD replacement",
        std::string(1024, 'k'),
        std::string(1000, 'x') + "日本",
    };
    auto p = params(keys);
    p.objects[1].version_id = "v&<1>";
    p.objects[5].version_id = "null";
    std::error_code ec;
    http_request req = build_delete_objects(s3test::aws_target("bkt"), p, ec);
    REQUIRE_FALSE(ec);
    // CR and LF only as character references: no end-of-line normalisation.
    CHECK(req.body.find('\r') == std::string::npos);
    CHECK(req.body.find('\n') == std::string::npos);
    CHECK(req.body.find("a&#13;&#10;b") != std::string::npos);
    CHECK(*req.find_header("Content-MD5") == s3test::independent_md5_base64(req.body));

    auto back = reparse(req.body);
    REQUIRE(back.size() == keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) {
        INFO("key #" << i);
        CHECK(back[i].key == keys[i]);
        CHECK(back[i].version_id == p.objects[i].version_id);
    }

    // Each key alone, too (its own body and MD5).
    for (const std::string& k : keys) {
        http_request one = build_delete_objects(s3test::aws_target("bkt"), params({k}), ec);
        REQUIRE_FALSE(ec);
        auto r = reparse(one.body);
        REQUIRE(r.size() == 1);
        CHECK(r[0].key == k);
        CHECK(*one.find_header("Content-MD5") == s3test::independent_md5_base64(one.body));
    }
}

TEST_CASE("build_delete_objects: keys XML 1.0 cannot carry are refused, naming the key") {
    const std::string bad_keys[] = {
        std::string("\x01", 1),
        "a\x1f"
        "b",
        std::string("nul\0inside", 10),
        "\x0b vertical tab",
        "\x0c form feed",
        "\xff",
        "\xc0\xaf",          // overlong '/'
        "\xed\xa0\x80",      // UTF-16 surrogate
        "\xef\xbf\xbe",      // U+FFFE
        "\xef\xbf\xbf",      // U+FFFF
        "\xf4\x90\x80\x80",  // above U+10FFFF
        "\xe6\x97",          // truncated sequence
        "ok\x80",            // stray continuation byte
    };
    for (const std::string& bad : bad_keys) {
        auto p = params({"fine-1", bad, "fine-2"});
        std::error_code ec;
        diagnostics diag;
        http_request req = build_delete_objects(s3test::aws_target("bkt"), p, ec, diag);
        INFO("key size " << bad.size());
        CHECK(ec == errc::invalid_argument);
        CHECK(diag.key == bad);
        CHECK_FALSE(diag.detail.empty());
        CHECK(req.body.empty());
        std::error_code ec2;
        build_delete_objects(s3test::aws_target("bkt"), p, ec2);
        CHECK(ec2 == errc::invalid_argument);
    }
    diagnostics diag;
    std::error_code ec;
    build_delete_objects(s3test::aws_target("bkt"), params({std::string("\x01", 1)}), ec, diag);
    CHECK(diag.detail.find("U+0001") != std::string::npos);

    delete_objects_params bad_version = params({"k"});
    bad_version.objects[0].version_id = "\x02";
    build_delete_objects(s3test::aws_target("bkt"), bad_version, ec, diag);
    CHECK(ec == errc::invalid_argument);
    CHECK(diag.key == "k");
}

TEST_CASE("build_delete_objects: 1..1000 objects, no empty keys") {
    std::error_code ec;
    build_delete_objects(s3test::aws_target("bkt"), delete_objects_params{}, ec);
    CHECK(ec == errc::invalid_argument);

    std::vector<std::string> keys;
    for (int i = 0; i < 1000; ++i) keys.push_back("k" + std::to_string(i));
    auto req = build_delete_objects(s3test::aws_target("bkt"), params(keys), ec);
    CHECK_FALSE(ec);
    CHECK(reparse(req.body).size() == 1000);

    keys.push_back("one-too-many");
    diagnostics diag;
    build_delete_objects(s3test::aws_target("bkt"), params(keys), ec, diag);
    CHECK(ec == errc::invalid_argument);
    CHECK(diag.detail.find("1001") != std::string::npos);

    build_delete_objects(s3test::aws_target("bkt"), params({"a", ""}), ec);
    CHECK(ec == errc::invalid_argument);
}

TEST_CASE("parse_delete_objects: the AWS documentation's examples") {
    delete_objects_result out;
    diagnostics diag;
    auto resp = response(200,
                         "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
                         "  <Deleted>\n    <Key>sample1.txt</Key>\n  </Deleted>\n"
                         "  <Error>\n    <Key>sample2.txt</Key>\n    <Code>AccessDenied</Code>\n"
                         "    <Message>Access Denied</Message>\n  </Error>\n"
                         "</DeleteResult>");
    REQUIRE_FALSE(parse_delete_objects(resp, out, diag));
    REQUIRE(out.deleted.size() == 1);
    CHECK(out.deleted[0].key == "sample1.txt");
    CHECK_FALSE(out.deleted[0].delete_marker);
    REQUIRE(out.errors.size() == 1);
    CHECK(out.errors[0].key == "sample2.txt");
    CHECK(out.errors[0].code == "AccessDenied");
    CHECK(out.errors[0].message == "Access Denied");

    resp = response(200,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
                    "  <Deleted>\n  <Key>SampleDocument.txt</Key>\n    <DeleteMarker>true</DeleteMarker>\n"
                    "    <DeleteMarkerVersionId>NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s</DeleteMarkerVersionId>\n"
                    "  </Deleted>\n</DeleteResult>");
    REQUIRE_FALSE(parse_delete_objects(resp, out, diag));
    REQUIRE(out.deleted.size() == 1);
    CHECK(out.deleted[0].key == "SampleDocument.txt");
    CHECK(out.deleted[0].delete_marker);
    CHECK(out.deleted[0].delete_marker_version_id == "NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s");
    CHECK(out.errors.empty());

    resp = response(200,
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                    "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
                    "  <Deleted>\n    <Key>SampleDocument.txt</Key>\n"
                    "    <VersionId>OYcLXagmS.WaD..oyH4KRguB95_YhLs7</VersionId>\n"
                    "  </Deleted>\n</DeleteResult>");
    REQUIRE_FALSE(parse_delete_objects(resp, out, diag));
    CHECK(out.deleted[0].version_id == "OYcLXagmS.WaD..oyH4KRguB95_YhLs7");

    // Quiet mode, everything deleted.
    REQUIRE_FALSE(parse_delete_objects(
        response(200, "<DeleteResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"/>"), out, diag));
    CHECK(out.deleted.empty());
    CHECK(out.errors.empty());
}

TEST_CASE("parse_delete_objects: escaped keys and errors") {
    delete_objects_result out;
    diagnostics diag;
    auto resp = response(200,
                         "<DeleteResult><Error><Key>a&amp;b&lt;c&gt; &#13;&#10;</Key><VersionId>v</VersionId>"
                         "<Code>InternalError</Code><Message>We encountered an internal error. Please "
                         "try again.</Message></Error><Error><Key> </Key><Code>AccessDenied</Code>"
                         "</Error></DeleteResult>");
    REQUIRE_FALSE(parse_delete_objects(resp, out, diag));
    REQUIRE(out.errors.size() == 2);
    CHECK(out.errors[0].key == "a&b<c> \r\n");
    CHECK(out.errors[0].version_id == "v");
    CHECK(out.errors[0].code == "InternalError");
    CHECK(out.errors[1].key == " ");
    CHECK(out.errors[1].message.empty());

    diag.clear();
    CHECK(parse_delete_objects(response(400,
                                        "<Error><Code>MalformedXML</Code><Message>The XML you "
                                        "provided was not well-formed</Message></Error>"),
                               out, diag) == errc::invalid_request);
    CHECK(diag.s3_code == "MalformedXML");
    diag.clear();
    CHECK(parse_delete_objects(response(200, "<Error><Code>SlowDown</Code></Error>"), out, diag) ==
          errc::throttled);
    diag.clear();
    CHECK(parse_delete_objects(response(200,
                                        "<DeleteResult><Deleted><VersionId>v</VersionId></Deleted>"
                                        "</DeleteResult>"),
                               out, diag) == errc::malformed_response);
    CHECK(out.deleted.empty());
    diag.clear();
    CHECK(parse_delete_objects(response(200,
                                        "<DeleteResult><Deleted><Key>k</Key><DeleteMarker>yes"
                                        "</DeleteMarker></Deleted></DeleteResult>"),
                               out, diag) == errc::malformed_response);
    diag.clear();
    CHECK(parse_delete_objects(response(200, ""), out, diag) == errc::malformed_response);
}

TEST_CASE("parse_delete_objects: every truncation is malformed") {
    const std::string doc =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult "
        "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Deleted><Key>sample1.txt</Key></Deleted>"
        "<Deleted><Key>gone.txt</Key><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>"
        "NeQt5xeFTfgPJD8B4CGWnkSLtluMr11s</DeleteMarkerVersionId></Deleted><Error><Key>sample2.txt</Key>"
        "<Code>AccessDenied</Code><Message>Access Denied</Message></Error></DeleteResult>";
    s3test::for_each_truncation(doc, [](std::string body, std::size_t n) {
        delete_objects_result out;
        diagnostics diag;
        INFO("prefix length " << n);
        CHECK(parse_delete_objects(response(200, body), out, diag) == errc::malformed_response);
        CHECK(out.deleted.empty());
        CHECK(out.errors.empty());
    });
    delete_objects_result out;
    diagnostics diag;
    REQUIRE_FALSE(parse_delete_objects(response(200, doc), out, diag));
    CHECK(out.deleted.size() == 2);
    CHECK(out.errors.size() == 1);
}
