// URI encoding. See include/s3merge/uri.hpp.
#include "s3merge/uri.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace s3merge::uri {

namespace {
// Bytes kept as they are: RFC 3986 "unreserved" (A-Z a-z 0-9 - . _ ~), and
// '/' too when a path's slashes are kept.
struct unreserved_table {
    bool keep[256] = {};
    constexpr explicit unreserved_table(bool slash) {
        for (int c = 'A'; c <= 'Z'; ++c) keep[c] = true;
        for (int c = 'a'; c <= 'z'; ++c) keep[c] = true;
        for (int c = '0'; c <= '9'; ++c) keep[c] = true;
        keep[static_cast<unsigned char>('-')] = keep[static_cast<unsigned char>('.')] = true;
        keep[static_cast<unsigned char>('_')] = keep[static_cast<unsigned char>('~')] = true;
        keep[static_cast<unsigned char>('/')] = slash;
    }
};
constexpr unreserved_table unreserved{false};
constexpr unreserved_table unreserved_or_slash{true};

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::size_t kept_prefix(std::string_view s, bool encode_slash) {
    const bool* keep = encode_slash ? unreserved.keep : unreserved_or_slash.keep;
    std::size_t i = 0;
#if defined(__SSE2__)
    // Sixteen bytes at a time: a letter (either case: | 0x20 folds upper
    // into lower), '-', '.', '/' and the digits (0x2D..0x39, one range; '/'
    // taken out again when it is encoded), '_' and '~'. An unsigned byte x
    // is in [lo, lo + w] when min(x - lo, w) == x - lo.
    const __m128i case_bit = _mm_set1_epi8(0x20), a = _mm_set1_epi8('a'), az = _mm_set1_epi8('z' - 'a');
    const __m128i dash = _mm_set1_epi8('-'), dash_9 = _mm_set1_epi8('9' - '-');
    const __m128i under = _mm_set1_epi8('_'), tilde = _mm_set1_epi8('~'), slash = _mm_set1_epi8('/');
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const __m128i l = _mm_sub_epi8(_mm_or_si128(v, case_bit), a);
        const __m128i d = _mm_sub_epi8(v, dash);
        __m128i ok =
            _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(l, az), l), _mm_cmpeq_epi8(_mm_min_epu8(d, dash_9), d));
        ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, under), _mm_cmpeq_epi8(v, tilde)));
        if (encode_slash) ok = _mm_andnot_si128(_mm_cmpeq_epi8(v, slash), ok);
        const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(ok));
        if (mask != 0xFFFF) return i + static_cast<std::size_t>(__builtin_ctz(~mask));
    }
#endif
    for (; i < s.size(); ++i)
        if (!keep[static_cast<unsigned char>(s[i])]) break;
    return i;
}

void append_encoded(std::string& out, std::string_view s, bool encode_slash) {
    // Runs several times per request (canonical URI, request target, copy
    // source): the usual key needs nothing encoded, and is found so by a
    // vector scan and copied; otherwise the output is sized once, then filled.
    static constexpr char digits[] = "0123456789ABCDEF";
    const std::size_t plain = kept_prefix(s, encode_slash);
    const std::size_t start = out.size();
    if (plain == s.size()) {
        out.append(s);
        return;
    }
    const bool* keep = encode_slash ? unreserved.keep : unreserved_or_slash.keep;
    auto kept = [keep](unsigned char c) { return keep[c]; };
    std::size_t escaped = 0;
    for (char ch : s.substr(plain)) escaped += !kept(static_cast<unsigned char>(ch));
    out.resize(start + s.size() + 2 * escaped);
    char* o = out.data() + start;
    std::memcpy(o, s.data(), plain);
    o += plain;
    for (char ch : s.substr(plain)) {
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

std::string encode(std::string_view s, bool encode_slash) {
    std::string out;
    append_encoded(out, s, encode_slash);
    return out;
}

std::string decode(std::string_view s) {
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

void append_canonical_path(std::string& out, std::string_view raw_path) {
    // encode with encode_slash=false encodes each segment once and keeps
    // every '/', so "//" and a trailing '/' survive: S3 object keys are opaque
    // byte strings and the service signs the path exactly as sent.
    if (raw_path.empty() || raw_path.front() != '/') out += '/';
    append_encoded(out, raw_path, false);
}

std::string canonical_path(std::string_view raw_path) {
    std::string out;
    append_canonical_path(out, raw_path);
    return out;
}

std::string canonical_query(const http_request& req) {
    if (req.query.empty()) return {};
    struct encoded {
        std::string name, value;
    };
    std::vector<encoded> params;
    params.reserve(req.query.size());
    std::size_t total = 0;
    for (const auto& q : req.query) {
        params.push_back({encode(q.name), encode(q.value)});
        total += params.back().name.size() + params.back().value.size() + 2;
    }
    std::sort(params.begin(), params.end(), [](const encoded& a, const encoded& b) {
        if (int c = a.name.compare(b.name); c != 0) return c < 0;
        return a.value < b.value;
    });
    std::string out;
    out.reserve(total);
    for (const auto& p : params) {
        if (!out.empty()) out += '&';
        out += p.name;
        out += '=';
        out += p.value;
    }
    return out;
}

std::string request_target(const http_request& req) {
    std::string target;
    target.reserve(req.path.size() + 16);
    append_request_target(target, req);
    return target;
}

void append_request_target(std::string& out, const http_request& req) {
    append_canonical_path(out, req.path);
    if (!req.query.empty()) {
        out += '?';
        out += canonical_query(req);
    }
}

}  // namespace s3merge::uri
