#include "s3merge/http/wire.hpp"

#include "s3merge/uri.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace s3merge::http {

namespace {

// Token characters (RFC 9110 tchar).
struct byte_classes {
    bool tchar[256] = {};
    constexpr byte_classes() {
        for (int c = 'a'; c <= 'z'; ++c) tchar[c] = true;
        for (int c = 'A'; c <= 'Z'; ++c) tchar[c] = true;
        for (int c = '0'; c <= '9'; ++c) tchar[c] = true;
        for (char c : std::string_view("!#$%&'*+-.^_`|~")) tchar[static_cast<unsigned char>(c)] = true;
    }
};
constexpr byte_classes classes;

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!classes.tchar[static_cast<unsigned char>(c)]) return false;
    return true;
}

// Does v hold a CR, LF or NUL (which would split the request), or, with
// `two_spaces`, a run of two spaces? One pass, sixteen bytes at a time:
// a request has half a dozen such values to check (Host, User-Agent, the
// access key, the session token, the operation's headers).
bool holds_breaking(std::string_view v, bool two_spaces) {
    const char* p = v.data();
    const std::size_t n = v.size();
    std::size_t i = 0;
#if defined(__SSE2__)
    const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n'), nul = _mm_setzero_si128(),
                  space = _mm_set1_epi8(' ');
    for (; i + 17 <= n; i += 16) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
        __m128i bad =
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(a, cr), _mm_cmpeq_epi8(a, lf)), _mm_cmpeq_epi8(a, nul));
        if (two_spaces) {
            const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i + 1));
            bad = _mm_or_si128(bad, _mm_and_si128(_mm_cmpeq_epi8(a, space), _mm_cmpeq_epi8(b, space)));
        }
        if (_mm_movemask_epi8(bad)) return true;
    }
#endif
    for (; i < n; ++i) {
        const auto c = static_cast<unsigned char>(p[i]);
        if (c > ' ') continue;  // most bytes: one comparison
        if (c == '\r' || c == '\n' || c == '\0') return true;
        if (two_spaces && c == ' ' && i + 1 < n && p[i + 1] == ' ') return true;
    }
    return false;
}

bool safe_value(std::string_view v) {
    return !holds_breaking(v, false);
}

// Writes into a buffer already sized for what is written.
struct byte_writer {
    char* at;
    void put(std::string_view s) {
        // Most pieces are a few bytes (names, ": ", a date): copied here by
        // two overlapping fixed-size moves rather than a call to memcpy,
        // thirty of them per request.
        const std::size_t n = s.size();
        const char* from = s.data();
        if (n >= 8 && n <= 16) {
            std::memcpy(at, from, 8);
            std::memcpy(at + n - 8, from + n - 8, 8);
        } else if (n >= 4 && n < 8) {
            std::memcpy(at, from, 4);
            std::memcpy(at + n - 4, from + n - 4, 4);
        } else if (n < 4) {
            for (std::size_t i = 0; i < n; ++i) at[i] = from[i];
        } else {
            std::memcpy(at, from, n);
        }
        at += n;
    }
    void put(char c) { *at++ = c; }
    // "name: value\r\n", line_size bytes.
    static std::size_t line_size(std::string_view name, std::string_view value) {
        return name.size() + value.size() + 4;
    }
    void line(std::string_view name, std::string_view value) {
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
};

void header_line(std::string& out, std::string_view name, std::string_view value) {
    const std::size_t at = out.size();
    out.resize(at + byte_writer::line_size(name, value));
    byte_writer{out.data() + at}.line(name, value);
}

// A name the signer would sign under the same bytes: lower case letters,
// digits and '-', so that no lower-casing is needed and the sort in
// write_signed_request compares what the general signer compares.
bool plain_name(std::string_view n) {
    if (n.empty()) return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

// A value that can go on the wire (safe_value) and is its own canonical
// form: no space or tab at either end, no run of spaces inside.
bool plain_value(std::string_view v) {
    if (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t'))
        return false;
    return !holds_breaking(v, true);
}

// plain_value for the Host, the User-Agent and the access key id, which
// are the same on every request of a client: the last three that passed
// are remembered (per thread), and the same three again are not scanned.
// (The session token, a credential, is not kept here: it is checked on
// every request.)
bool plain_endpoint(std::string_view host, std::string_view user_agent, std::string_view access_key_id) {
    struct passed {
        std::string host, user_agent, access_key_id;
        bool any = false;
    };
    thread_local passed last;
    if (last.any && host == last.host && user_agent == last.user_agent && access_key_id == last.access_key_id)
        return true;
    if (!plain_value(host) || !plain_value(user_agent) || !plain_value(access_key_id)) return false;
    last.host.assign(host);
    last.user_agent.assign(user_agent);
    last.access_key_id.assign(access_key_id);
    last.any = true;
    return true;
}

// Names the signer or the serializer adds: a request that carries one
// already goes the general way.
bool added_here(std::string_view n) {
    switch (n.size()) {
        case 4:
            return n == "host";
        case 10:
            return n == "x-amz-date" || n == "user-agent";
        case 13:
            return n == "authorization";
        case 14:
            return n == "content-length";
        case 20:
            return n == "x-amz-content-sha256" || n == "x-amz-security-token";
        default:
            return false;
    }
}

struct entry {
    std::string_view name, value;
};
}  // namespace

bool name_less(std::string_view a, std::string_view b) {
    const std::size_t n = std::min(a.size(), b.size());
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t x, y;
        std::memcpy(&x, a.data() + i, 8);
        std::memcpy(&y, b.data() + i, 8);
        // Byte-wise order is the order of the big-endian numbers.
        if (x != y) {
            if constexpr (std::endian::native == std::endian::little) {
                x = __builtin_bswap64(x);
                y = __builtin_bswap64(y);
            }
            return x < y;
        }
    }
    for (; i < n; ++i) {
        const auto c = static_cast<unsigned char>(a[i]), d = static_cast<unsigned char>(b[i]);
        if (c != d) return c < d;
    }
    return a.size() < b.size();
}

std::error_code serialize_request(const http_request& req, std::string_view user_agent, std::string& out,
                                  diagnostics& diag) {
    if (!is_token(req.method)) {
        diag.detail = "invalid HTTP method '" + req.method + "'";
        return make_error_code(errc::invalid_argument);
    }
    // One pass over the headers: check each, note which of the ones added
    // here the caller already set, and size the buffer.
    bool has_host = false, has_agent = false, has_length = false;
    std::size_t size =
        req.method.size() + req.path.size() * 3 + req.host.size() + user_agent.size() + req.body.size() + 96;
    for (const auto& h : req.headers) {
        if (!is_token(h.name) || !safe_value(h.value)) {
            diag.detail = "header '" + h.name +
                          "' cannot be sent: its name must be a token and its value "
                          "must not contain CR, LF or NUL";
            return make_error_code(errc::invalid_argument);
        }
        size += byte_writer::line_size(h.name, h.value);
        switch (h.name.size()) {
            case 4:
                has_host = has_host || iequals(h.name, "host");
                break;
            case 10:
                has_agent = has_agent || iequals(h.name, "user-agent");
                break;
            case 14:
                has_length = has_length || iequals(h.name, "content-length");
                break;
            default:
                break;
        }
    }
    if (!safe_value(req.host) || !safe_value(user_agent)) {
        diag.detail = "the Host or User-Agent value contains CR, LF or NUL";
        return make_error_code(errc::invalid_argument);
    }
    for (const auto& q : req.query) size += (q.name.size() + q.value.size()) * 3 + 2;
    out.clear();
    out.reserve(size);
    out += req.method;
    out += ' ';
    uri::append_request_target(out, req);
    out += " HTTP/1.1\r\n";
    for (const auto& h : req.headers) header_line(out, h.name, h.value);
    if (!has_host) header_line(out, "Host", req.host);
    if (!has_agent && !user_agent.empty()) header_line(out, "User-Agent", user_agent);
    if (!has_length && (req.method == "PUT" || req.method == "POST" || !req.body.empty())) {
        char digits[24];
        auto n = std::snprintf(digits, sizeof digits, "%zu", req.body.size());
        header_line(out, "Content-Length", std::string_view(digits, static_cast<std::size_t>(n)));
    }
    out += "\r\n";
    out += req.body;
    return {};
}

bool write_signed_request(const http_request& req, sigv4::signer& signer, const credentials& creds,
                          const sigv4::signing_params& params, std::string_view user_agent,
                          std::string& out) {
    if (!req.query.empty() || !req.body.empty()) return false;
    constexpr std::size_t most = 12;
    if (req.headers.size() > most) return false;
    std::array<header_view, most> headers;
    for (std::size_t i = 0; i < req.headers.size(); ++i)
        headers[i] = {req.headers[i].name, req.headers[i].value, false};
    const std::string_view path = req.path;
    signed_request_parts parts;
    parts.method = req.method;
    parts.host = req.host;
    parts.path = std::span<const std::string_view>(&path, 1);
    parts.headers = std::span<const header_view>(headers.data(), req.headers.size());
    parts.unsigned_payload = req.unsigned_payload;
    return write_signed_parts(parts, signer, creds, params, user_agent, out);
}

bool write_signed_parts(const signed_request_parts& req, sigv4::signer& signer, const credentials& creds,
                        const sigv4::signing_params& params, std::string_view user_agent, std::string& out) {
    const bool put_or_post = req.method == "PUT" || req.method == "POST";
    if (!(put_or_post || req.method == "GET" || req.method == "HEAD" || req.method == "DELETE")) return false;
    if (req.host.empty() || !params.add_content_sha256_header) return false;
    if (!plain_endpoint(req.host, user_agent, creds.access_key_id) || !plain_value(creds.session_token))
        return false;

    char date_buf[16];
    sigv4::signer::amz_date_into(params.now, date_buf);
    const std::string_view date(date_buf, sizeof date_buf);
    const std::string_view payload =
        req.unsigned_payload ? sigv4::unsigned_payload : sigv4::empty_payload_sha256;

    // The signed headers, sorted by name (insertion sort: a dozen at most,
    // mostly in order already); a name twice goes the general way (it
    // would be joined with ',').
    constexpr std::size_t most = 16;
    if (req.headers.size() > most - 4) return false;
    std::array<entry, most> sorted;
    std::size_t n = 0;
    auto add = [&](std::string_view name, std::string_view value) {
        std::size_t j = n++;
        for (; j > 0 && name_less(name, sorted[j - 1].name); --j) sorted[j] = sorted[j - 1];
        sorted[j] = {name, value};
    };
    for (const auto& h : req.headers) {
        if (!(h.known_name || (plain_name(h.name) && !added_here(h.name))) ||
            (!h.plain && !plain_value(h.value)))
            return false;
        add(h.name, h.value);
    }
    add("host", req.host);
    add("x-amz-content-sha256", payload);
    add("x-amz-date", date);
    if (!creds.session_token.empty()) add("x-amz-security-token", creds.session_token);
    for (std::size_t i = 1; i < n; ++i)
        if (sorted[i].name == sorted[i - 1].name) return false;

    thread_local std::string creq, signed_list, auth;
    std::size_t list_size = n - 1, headers_size = 0;
    for (std::size_t i = 0; i < n; ++i) {
        list_size += sorted[i].name.size();
        headers_size += sorted[i].name.size() + sorted[i].value.size() + 2;
    }
    signed_list.resize(list_size);
    {
        byte_writer w{signed_list.data()};
        for (std::size_t i = 0; i < n; ++i) {
            if (i) w.put(';');
            w.put(sorted[i].name);
        }
    }
    creq.clear();
    creq += req.method;
    creq += '\n';
    const std::size_t path_at = creq.size();
    // As uri::append_canonical_path on the pieces joined: each byte is
    // encoded on its own, so the pieces are encoded one after another.
    if (req.path.empty() || req.path.front().empty() || req.path.front().front() != '/') creq += '/';
    for (std::string_view piece : req.path) uri::append_encoded(creq, piece, false);
    // The request line's target is the same encoded path (no query).
    const std::size_t path_len = creq.size() - path_at;
    const std::size_t head = creq.size();
    creq.resize(head + 2 + headers_size + 1 + list_size + 1 + payload.size());
    {
        byte_writer w{creq.data() + head};
        w.put("\n\n");
        for (std::size_t i = 0; i < n; ++i) {
            w.put(sorted[i].name);
            w.put(':');
            w.put(sorted[i].value);
            w.put('\n');
        }
        w.put('\n');
        w.put(signed_list);
        w.put('\n');
        w.put(payload);
    }
    auth.clear();
    signer.authorization_into(auth, creq, date, signed_list, creds, params);

    // As serialize_request writes a request signed by signer::sign: the
    // request's headers in order, then what the signer appended (Host,
    // X-Amz-Date, x-amz-content-sha256, X-Amz-Security-Token,
    // Authorization), then User-Agent and Content-Length.
    const std::string_view path = std::string_view(creq).substr(path_at, path_len);
    constexpr std::string_view version = " HTTP/1.1\r\n";
    auto line = byte_writer::line_size;
    std::size_t size = req.method.size() + 1 + path.size() + version.size() + line("Host", req.host) +
                       line("X-Amz-Date", date) + line("x-amz-content-sha256", payload) +
                       line("Authorization", auth) + 2;
    for (const auto& h : req.headers) size += line(h.name, h.value);
    if (!creds.session_token.empty()) size += line("X-Amz-Security-Token", creds.session_token);
    if (!user_agent.empty()) size += line("User-Agent", user_agent);
    if (put_or_post) size += line("Content-Length", "0");
    out.resize(size);
    byte_writer w{out.data()};
    w.put(req.method);
    w.put(' ');
    w.put(path);
    w.put(version);
    for (const auto& h : req.headers) w.line(h.name, h.value);
    w.line("Host", req.host);
    w.line("X-Amz-Date", date);
    w.line("x-amz-content-sha256", payload);
    if (!creds.session_token.empty()) w.line("X-Amz-Security-Token", creds.session_token);
    w.line("Authorization", auth);
    if (!user_agent.empty()) w.line("User-Agent", user_agent);
    if (put_or_post) w.line("Content-Length", "0");
    w.put("\r\n");
    return true;
}

}  // namespace s3merge::http
