// URI encoding. See include/s3merge/uri.hpp.
#include "s3merge/uri.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

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

void append_encoded(std::string& out, std::string_view s, bool encode_slash) {
    // Runs several times per request (canonical URI, request target, copy
    // source): size the output once, then fill it.
    static constexpr char digits[] = "0123456789ABCDEF";
    const bool* keep = encode_slash ? unreserved.keep : unreserved_or_slash.keep;
    auto kept = [keep](unsigned char c) { return keep[c]; };
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
