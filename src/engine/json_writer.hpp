// A small streaming JSON writer shared by the journal and the report.
//
// Output is always valid UTF-8 JSON: '"' and '\\' are escaped, control
// characters become \b \f \n \r \t or \u00XX, and a byte that is not part of
// a well-formed UTF-8 sequence (overlong, surrogate, > U+10FFFF, truncated)
// is replaced by U+FFFD. Callers that must round-trip arbitrary bytes check
// is_valid_utf8() first and write a hex form instead (see journal.cpp).
//
// Commas are inserted automatically; the caller only nests begin/end calls
// correctly (asserted in debug builds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace s3merge::engine {

bool is_valid_utf8(std::string_view s);
// Appends s as a quoted JSON string.
void append_json_string(std::string& out, std::string_view s);
// Lower-case hex of the bytes of s, and its inverse (false on bad input).
std::string to_hex(std::string_view s);
bool from_hex(std::string_view hex, std::string& out);

class json_writer {
public:
    // pretty: newline and two-space indent per level; otherwise compact.
    explicit json_writer(bool pretty = false) : pretty_(pretty) {}

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();
    void key(std::string_view k);

    void string_value(std::string_view s);
    void uint_value(std::uint64_t v);
    void int_value(std::int64_t v);
    void bool_value(bool v);
    void null_value();
    // Already encoded JSON (a compact row of numbers), written as is.
    void raw_value(std::string_view json);

    // key + value in one call.
    void field(std::string_view k, std::string_view s) { key(k), string_value(s); }
    void field(std::string_view k, const char* s) { key(k), string_value(s); }
    void field_uint(std::string_view k, std::uint64_t v) { key(k), uint_value(v); }
    void field_bool(std::string_view k, bool v) { key(k), bool_value(v); }

    const std::string& str() const { return out_; }
    std::string take() { return std::move(out_); }

private:
    void before_value();
    void open(char c);
    void close(char c);
    void newline();

    std::string out_;
    // One entry per open container: true until its first element is written.
    std::vector<bool> first_;
    bool after_key_ = false;
    bool pretty_;
};

}  // namespace s3merge::engine
