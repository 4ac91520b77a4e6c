#include "s3merge/sigv4.hpp"

namespace s3merge::sigv4 {

namespace {
bool unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}
int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
} // namespace

std::string uri_encode(std::string_view s, bool encode_slash) {
    // Runs several times per request (canonical URI, request target, copy
    // source): size the output once, then fill it.
    static constexpr char digits[] = "0123456789ABCDEF";
    std::size_t escaped = 0;
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        escaped += !(unreserved(c) || (c == '/' && !encode_slash));
    }
    std::string out(s.size() + 2 * escaped, '\0');
    char* o = out.data();
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (unreserved(c) || (c == '/' && !encode_slash)) {
            *o++ = ch;
        } else {
            *o++ = '%';
            *o++ = digits[c >> 4];
            *o++ = digits[c & 0xf];
        }
    }
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

} // namespace s3merge::sigv4
