// A request signed and written in one pass: see write_signed_request in
// include/s3merge/http/wire.hpp.
#include <array>
#include <cstring>

#include "s3merge/http/wire.hpp"
#include "s3merge/sigv4.hpp"
#include "s3merge/uri.hpp"

namespace s3merge::http {

namespace {

constexpr std::string_view empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// A name the signer would sign under the same bytes: lower case letters,
// digits and '-', so that no lower-casing is needed and the sort below
// compares what the general signer compares.
bool plain_name(std::string_view n) {
    if (n.empty()) return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

// A value that is its own canonical form and can go on the wire: no CR, LF
// or NUL, no space or tab at either end, no run of spaces inside.
bool plain_value(std::string_view v) {
    if (!v.empty() && (v.front() == ' ' || v.front() == '\t' || v.back() == ' ' || v.back() == '\t'))
        return false;
    for (std::size_t i = 0; i < v.size(); ++i) {
        const char c = v[i];
        if (c == '\r' || c == '\n' || c == '\0') return false;
        if (c == ' ' && i > 0 && v[i - 1] == ' ') return false;
    }
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

void header_line(std::string& out, std::string_view name, std::string_view value) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
}

struct entry {
    std::string_view name, value;
};

}  // namespace

bool write_signed_request(const http_request& req, sigv4::signer& signer, const credentials& creds,
                          const sigv4::signing_params& params, std::string_view user_agent,
                          std::string& out) {
    const bool put_or_post = req.method == "PUT" || req.method == "POST";
    if (!(put_or_post || req.method == "GET" || req.method == "HEAD" || req.method == "DELETE")) return false;
    if (!req.query.empty() || !req.body.empty() || req.host.empty() || !params.add_content_sha256_header)
        return false;
    if (!plain_value(req.host) || !plain_value(user_agent) || !plain_value(creds.session_token) ||
        !plain_value(creds.access_key_id))
        return false;

    char date_buf[16];
    sigv4::signer::amz_date_into(params.now, date_buf);
    const std::string_view date(date_buf, sizeof date_buf);
    const std::string_view payload =
        req.unsigned_payload ? std::string_view("UNSIGNED-PAYLOAD") : empty_sha256;

    // The signed headers, sorted by name (insertion sort: a dozen at most,
    // mostly in order already); a name twice goes the general way (it
    // would be joined with ',').
    constexpr std::size_t most = 16;
    if (req.headers.size() > most - 4) return false;
    std::array<entry, most> sorted;
    std::size_t n = 0;
    auto add = [&](std::string_view name, std::string_view value) {
        std::size_t j = n++;
        for (; j > 0 && name < sorted[j - 1].name; --j) sorted[j] = sorted[j - 1];
        sorted[j] = {name, value};
    };
    for (const auto& h : req.headers) {
        if (!plain_name(h.name) || added_here(h.name) || !plain_value(h.value)) return false;
        add(h.name, h.value);
    }
    add("host", req.host);
    add("x-amz-content-sha256", payload);
    add("x-amz-date", date);
    if (!creds.session_token.empty()) add("x-amz-security-token", creds.session_token);
    for (std::size_t i = 1; i < n; ++i)
        if (sorted[i].name == sorted[i - 1].name) return false;

    thread_local std::string creq, signed_list, auth;
    signed_list.clear();
    for (std::size_t i = 0; i < n; ++i) {
        if (i) signed_list += ';';
        signed_list += sorted[i].name;
    }
    creq.clear();
    creq += req.method;
    creq += '\n';
    uri::append_canonical_path(creq, req.path);
    creq += "\n\n";
    for (std::size_t i = 0; i < n; ++i) {
        creq += sorted[i].name;
        creq += ':';
        creq += sorted[i].value;
        creq += '\n';
    }
    creq += '\n';
    creq += signed_list;
    creq += '\n';
    creq += payload;
    auth.clear();
    signer.authorization_into(auth, creq, date, signed_list, creds, params);

    // As serialize_request writes a request signed by signer::sign: the
    // request's headers in order, then what the signer appended (Host,
    // X-Amz-Date, x-amz-content-sha256, X-Amz-Security-Token,
    // Authorization), then User-Agent and Content-Length.
    out.clear();
    out.reserve(creq.size() + auth.size() + user_agent.size() + 64);
    out += req.method;
    out += ' ';
    uri::append_canonical_path(out, req.path);
    out += " HTTP/1.1\r\n";
    for (const auto& h : req.headers) header_line(out, h.name, h.value);
    header_line(out, "Host", req.host);
    header_line(out, "X-Amz-Date", date);
    header_line(out, "x-amz-content-sha256", payload);
    if (!creds.session_token.empty()) header_line(out, "X-Amz-Security-Token", creds.session_token);
    header_line(out, "Authorization", auth);
    if (!user_agent.empty()) header_line(out, "User-Agent", user_agent);
    if (put_or_post) header_line(out, "Content-Length", "0");
    out += "\r\n";
    return true;
}

}  // namespace s3merge::http
