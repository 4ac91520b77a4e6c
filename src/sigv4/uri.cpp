#include <cstring>

#include "s3merge/sigv4.hpp"

namespace s3merge::sigv4 {

namespace {
// Bytes kept as they are: RFC 3986 "unreserved" (A-Z a-z 0-9 - . _ ~).
struct unreserved_table {
    bool keep[256] = {};
    constexpr unreserved_table() {
        for (int c = 'A'; c <= 'Z'; ++c) keep[c] = true;
        for (int c = 'a'; c <= 'z'; ++c) keep[c] = true;
        for (int c = '0'; c <= '9'; ++c) keep[c] = true;
        keep[static_cast<unsigned char>('-')] = keep[static_cast<unsigned char>('.')] = true;
        keep[static_cast<unsigned char>('_')] = keep[static_cast<unsigned char>('~')] = true;
    }
};
constexpr unreserved_table unreserved{};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

void append_uri_encoded(std::string& out, std::string_view s, bool encode_slash) {
    // Runs several times per request (canonical URI, request target, copy
    // source): size the output once, then fill it.
    static constexpr char digits[] = "0123456789ABCDEF";
    auto kept = [encode_slash](unsigned char c) { return unreserved.keep[c] || (c == '/' && !encode_slash); };
    std::size_t escaped = 0;
    for (char ch : s) escaped += !kept(static_cast<unsigned char>(ch));
    const std::size_t start = out.size();
    out.resize(start + s.size() + 2 * escaped);
    char* o = out.data() + start;
    if (escaped == 0) {
        std::memcpy(o, s.data(), s.size());
        return;
    }
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (kept(c)) {
            *o++ = ch;
        } else {
            *o++ = '%';
            *o++ = digits[c >> 4];
            *o++ = digits[c & 0xf];
        }
    }
}

std::string uri_encode(std::string_view s, bool encode_slash) {
    std::string out;
    append_uri_encoded(out, s, encode_slash);
    return out;
}

std::string uri_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

}  // namespace s3merge::sigv4
