#include "s3merge/http/wire.hpp"

#include "s3merge/uri.hpp"

#include <cstdio>
#include <cstring>

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

bool safe_value(std::string_view v) {
    // memchr scans a word or a vector at a time: values such as the
    // Authorization header are a few hundred bytes, on every request.
    return !std::memchr(v.data(), '\r', v.size()) && !std::memchr(v.data(), '\n', v.size()) &&
           !std::memchr(v.data(), '\0', v.size());
}

void header_line(std::string& out, std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
}

}  // namespace

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
        size += h.name.size() + h.value.size() + 4;
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

}  // namespace s3merge::http
