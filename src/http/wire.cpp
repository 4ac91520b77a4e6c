#include "s3merge/http/wire.hpp"

#include "s3merge/sigv4.hpp"

namespace s3merge::http {

namespace {

bool is_tchar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~': return true;
    default: return false;
    }
}

bool is_token(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (!is_tchar(c)) return false;
    return true;
}

bool safe_value(std::string_view v) {
    for (char c : v)
        if (c == '\r' || c == '\n' || c == '\0') return false;
    return true;
}

void header_line(std::string& out, std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
}

} // namespace

std::error_code serialize_request(const http_request& req, std::string_view user_agent, std::string& out,
                                  diagnostics& diag) {
    if (!is_token(req.method)) {
        diag.detail = "invalid HTTP method '" + req.method + "'";
        return make_error_code(errc::invalid_argument);
    }
    for (const auto& h : req.headers) {
        if (!is_token(h.name) || !safe_value(h.value)) {
            diag.detail = "header '" + h.name + "' cannot be sent: its name must be a token and its value "
                          "must not contain CR, LF or NUL";
            return make_error_code(errc::invalid_argument);
        }
    }
    if (!safe_value(req.host) || !safe_value(user_agent)) {
        diag.detail = "the Host or User-Agent value contains CR, LF or NUL";
        return make_error_code(errc::invalid_argument);
    }
    out.clear();
    std::size_t size = req.method.size() + req.path.size() * 3 + req.host.size() + user_agent.size() + req.body.size() + 96;
    for (const auto& q : req.query) size += (q.name.size() + q.value.size()) * 3 + 2;
    for (const auto& h : req.headers) size += h.name.size() + h.value.size() + 4;
    out.reserve(size);
    out += req.method;
    out += ' ';
    out += sigv4::request_target(req);
    out += " HTTP/1.1\r\n";
    for (const auto& h : req.headers) header_line(out, h.name, h.value);
    if (!req.find_header("host")) header_line(out, "Host", req.host);
    if (!req.find_header("user-agent") && !user_agent.empty()) header_line(out, "User-Agent", user_agent);
    if (!req.find_header("content-length") && (req.method == "PUT" || req.method == "POST" || !req.body.empty()))
        header_line(out, "Content-Length", std::to_string(req.body.size()));
    out += "\r\n";
    out += req.body;
    return {};
}

} // namespace s3merge::http
