#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <random>
#include <simdjson.h>

#include "engine/json_writer.hpp"

using namespace s3merge::engine;

namespace {

// Parses a one-string JSON document; returns false when simdjson rejects it.
bool parse_string(const std::string& json, std::string& out) {
    simdjson::dom::parser p;
    simdjson::padded_string ps(json);
    std::string_view sv;
    if (p.parse(ps).get_string().get(sv)) return false;
    out = std::string(sv);
    return true;
}

std::string json_quoted(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

}  // namespace

TEST_CASE("json string escaping") {
    CHECK(json_quoted("plain/key.txt") == R"("plain/key.txt")");
    CHECK(json_quoted("a\"b\\c") == R"("a\"b\\c")");
    CHECK(json_quoted("\n\r\t\b\f") == R"("\n\r\t\b\f")");
    CHECK(json_quoted(std::string("\x00\x01\x1f\x7f", 4)) == "\"\\u0000\\u0001\\u001f\x7f\"");
    CHECK(json_quoted("é/日本/😀") == "\"é/日本/😀\"");
    // Invalid UTF-8 bytes become U+FFFD: lone continuation, overlong, surrogate,
    // > U+10FFFF, truncated sequence.
    CHECK(json_quoted("a\x80z") == "\"a\xEF\xBF\xBDz\"");
    CHECK(json_quoted("\xC0\xAF") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK(json_quoted("\xED\xA0\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK(json_quoted("\xF4\x90\x80\x80") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");
    CHECK(json_quoted("\xE6\x97") == "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
}

TEST_CASE("is_valid_utf8 and hex round trip") {
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("é日😀\x7f"));
    CHECK(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xFF"));
    CHECK_FALSE(is_valid_utf8("\xE0\x80\x80"));  // overlong
    CHECK_FALSE(is_valid_utf8("\xED\xBF\xBF"));  // surrogate
    CHECK(to_hex(std::string("\x00\xff\x10", 3)) == "00ff10");
    std::string back;
    REQUIRE(from_hex("00FF10", back));
    CHECK(back == std::string("\x00\xff\x10", 3));
    CHECK_FALSE(from_hex("0", back));
    CHECK_FALSE(from_hex("zz", back));
}

TEST_CASE("every byte string becomes JSON simdjson accepts; valid UTF-8 round-trips") {
    std::mt19937 rng(42);
    for (int i = 0; i < 3000; ++i) {
        std::string s;
        int len = static_cast<int>(rng() % 12);
        for (int k = 0; k < len; ++k) {
            switch (rng() % 4) {
                case 0:
                    s += static_cast<char>(rng() % 256);
                    break;  // anything
                case 1:
                    s += static_cast<char>(rng() % 32);
                    break;  // control
                case 2:
                    s += "é";
                    break;
                default:
                    s += "\"\\/😀"[rng() % 4];
                    break;
            }
        }
        std::string json = json_quoted(s), parsed;
        REQUIRE_MESSAGE(parse_string(json, parsed), json);
        if (is_valid_utf8(s)) CHECK(parsed == s);
    }
}

TEST_CASE("json_writer nests, separates and indents") {
    json_writer w;
    w.begin_object();
    w.field("a", "x");
    w.key("list");
    w.begin_array();
    w.uint_value(1);
    w.int_value(-2);
    w.bool_value(true);
    w.null_value();
    w.begin_object();
    w.end_object();
    w.begin_array();
    w.end_array();
    w.end_array();
    w.field_uint("big", 18446744073709551615ull);
    w.end_object();
    CHECK(w.str() == R"({"a":"x","list":[1,-2,true,null,{},[]],"big":18446744073709551615})");

    json_writer p(true);
    p.begin_object();
    p.field("a", "x");
    p.key("b");
    p.begin_array();
    p.uint_value(1);
    p.end_array();
    p.end_object();
    CHECK(p.str() == "{\n  \"a\": \"x\",\n  \"b\": [\n    1\n  ]\n}");
}
