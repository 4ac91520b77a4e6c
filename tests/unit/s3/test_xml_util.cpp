#include <doctest/doctest.h>

#include "s3/xml_util.hpp"

using namespace s3merge::s3::detail;

TEST_CASE("url_decode_plus follows Python's unquote_plus") {
    CHECK(url_decode_plus("") == "");
    CHECK(url_decode_plus("a+b") == "a b");
    CHECK(url_decode_plus("a%2Bb") == "a+b");
    CHECK(url_decode_plus("a%2bb") == "a+b");
    CHECK(url_decode_plus("%E6%97%A5") == "日");
    CHECK(url_decode_plus("100%") == "100%");  // invalid sequences kept
    CHECK(url_decode_plus("%4") == "%4");
    CHECK(url_decode_plus("%zz%41") == "%zzA");
    CHECK(url_decode_plus("%%41") == "%A");
    CHECK(url_decode_plus("%00x") == std::string("\0x", 2));
    CHECK(url_decode_plus("a/b//c/") == "a/b//c/");
}

TEST_CASE("strip_etag_quotes") {
    CHECK(strip_etag_quotes("\"abc\"") == "abc");
    CHECK(strip_etag_quotes("abc") == "abc");
    CHECK(strip_etag_quotes("\"") == "\"");
    CHECK(strip_etag_quotes("\"\"") == "");
    CHECK(strip_etag_quotes("\"abc-12\"") == "abc-12");
}

TEST_CASE("parse_u64 / parse_int / parse_bool") {
    std::uint64_t v = 0;
    CHECK(parse_u64("0", v));
    CHECK(v == 0);
    CHECK(parse_u64("18446744073709551615", v));
    CHECK(v == 18446744073709551615ull);
    CHECK_FALSE(parse_u64("18446744073709551616", v));
    CHECK_FALSE(parse_u64("", v));
    CHECK_FALSE(parse_u64("-1", v));
    CHECK_FALSE(parse_u64("+1", v));
    CHECK_FALSE(parse_u64(" 1", v));
    CHECK_FALSE(parse_u64("1.0", v));
    int i = 0;
    CHECK(parse_int("2147483647", i));
    CHECK_FALSE(parse_int("2147483648", i));
    bool b = false;
    CHECK(parse_bool("true", b));
    CHECK(b);
    CHECK(parse_bool("FALSE", b));
    CHECK_FALSE(b);
    CHECK_FALSE(parse_bool("1", b));
    CHECK_FALSE(parse_bool("", b));
}

TEST_CASE("xml_text_problem: XML 1.0 characters and UTF-8") {
    CHECK(xml_text_problem("").empty());
    CHECK(xml_text_problem("plain ascii \t\r\n").empty());
    CHECK(xml_text_problem("日本語 😀 \xEF\xBF\xBD \xEE\x80\x80").empty());
    CHECK(xml_text_problem("\xF4\x8F\xBF\xBF").empty());  // U+10FFFF
    CHECK(xml_text_problem("\x7f").empty());
    CHECK(xml_text_problem("\x01").find("U+0001") != std::string::npos);
    CHECK(xml_text_problem(std::string("\0", 1)).find("U+0000") != std::string::npos);
    CHECK(xml_text_problem("ab\xff").find("byte 2") != std::string::npos);
    CHECK_FALSE(xml_text_problem("\xc0\x80").empty());
    CHECK_FALSE(xml_text_problem("\xe0\x80\xaf").empty());  // overlong
    CHECK_FALSE(xml_text_problem("\xed\xbf\xbf").empty());  // surrogate
    CHECK_FALSE(xml_text_problem("\xef\xbf\xbe").empty());  // U+FFFE
    CHECK_FALSE(xml_text_problem("\xf5\x80\x80\x80").empty());
    CHECK_FALSE(xml_text_problem("\xe6\x97").empty());
}

TEST_CASE("load_xml and element helpers") {
    pugi::xml_document doc;
    std::string why;
    REQUIRE(
        load_xml("<s3:R xmlns:s3=\"x\"><s3:Key> </s3:Key><Key>second</Key>"
                 "<T>a<![CDATA[<b>]]>c</T></s3:R>",
                 doc, why));
    auto root = doc.document_element();
    CHECK(local_name(root) == "R");
    CHECK(child_text(root, "Key") == " ");
    CHECK(child_text(root, "T") == "a<b>c");
    bool present = true;
    CHECK(child_text(root, "Nope", &present).empty());
    CHECK_FALSE(present);
    int n = 0;
    for_each_child(root, "Key", [&](const pugi::xml_node&) { ++n; });
    CHECK(n == 2);

    CHECK_FALSE(load_xml("", doc, why));
    CHECK_FALSE(load_xml("<a>", doc, why));
    CHECK(why.find("byte") != std::string::npos);
    CHECK_FALSE(load_xml("<!-- only a comment -->", doc, why));
}

TEST_CASE("element text in every shape: first text kept in the element, the rest as nodes") {
    // load_xml keeps an element's first text in the element itself
    // (parse_embed_pcdata); text after a CDATA section is a node of its own.
    pugi::xml_document doc;
    std::string why;
    REQUIRE(
        load_xml("<R><A>plain</A><B>a<![CDATA[<b>]]>c</B><C><![CDATA[x]]>y</C><D></D><E/>"
                 "<F>&quot;e&amp;&lt;&#13;&#10;&#x41;</F><G>  </G><H><I>in</I>tail</H></R>",
                 doc, why));
    auto root = doc.document_element();
    const std::pair<const char*, const char*> want[] = {
        {"A", "plain"},      {"B", "a<b>c"}, {"C", "xy"},   {"D", ""}, {"E", ""},
        {"F", "\"e&<\r\nA"}, {"G", "  "},    {"H", "tail"},  // the text of H itself; I's text is I's
    };
    for (auto [name, text] : want) {
        CAPTURE(name);
        CHECK(child_text(root, name) == text);
        std::string into = "left over from before";
        text_into(child(root, name), into);
        CHECK(into == text);
        CHECK(text_of(child(root, name)) == text);
    }
    CHECK(child_text(child(root, "H"), "I") == "in");
}

TEST_CASE("serialize escapes markup, CR and LF") {
    pugi::xml_document doc;
    auto root = start_document(doc, "Delete");
    root.append_child("Key").append_child(pugi::node_pcdata).set_value("a<&>\r\n\"b");
    CHECK(serialize(doc) ==
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/"
          "2006-03-01/\"><Key>a&lt;&amp;&gt;&#13;&#10;\"b</Key></Delete>");
}

TEST_CASE("meta_header_name") {
    CHECK(meta_header_name("author") == "x-amz-meta-author");
    CHECK(meta_header_name("X-Amz-Meta-Author") == "X-Amz-Meta-Author");
}
