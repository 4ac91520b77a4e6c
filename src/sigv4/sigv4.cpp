// AWS Signature Version 4 for S3 (and the generic test suite), sans-io.
//
// Canonicalisation rules (see docs/sigv4.md):
//   - URI: the raw path, each byte outside RFC 3986 "unreserved" encoded once,
//     '/' kept, no normalisation ("//", "." and ".." are signed as they are).
//   - Query: names and values encoded (including '/'), sorted by encoded name
//     then encoded value; a parameter without a value renders "name=".
//   - Headers: names lower-cased and sorted (stable, so repeated headers keep
//     their order and are joined with ','); values trimmed and inner runs of
//     spaces collapsed.
#include <openssl/crypto.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "s3merge/sigv4.hpp"
#include "s3merge/crypto.hpp"
#include "s3merge/ascii.hpp"

namespace s3merge::sigv4 {

namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";
constexpr std::size_t cache_limit = 64;
constexpr std::size_t sha256_len = 32;

void append_lower(std::string& out, std::string_view s) {
    const std::size_t at = out.size();
    out.resize(at + s.size());
    char* o = out.data() + at;
    for (char c : s) *o++ = ascii_lower(c);
}

// Compares as the lower-case forms would (no lower-case copies are made).
int compare_lower(std::string_view a, std::string_view b) {
    std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        auto x = static_cast<unsigned char>(ascii_lower(a[i])),
             y = static_cast<unsigned char>(ascii_lower(b[i]));
        if (x != y) return x < y ? -1 : 1;
    }
    return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

// One request header: its canonical (lower-case) name and its value.
struct header_ref {
    std::string_view name;  // lower case, in the owning header_set's text
    const std::string* value;
};

// A request's headers sorted by canonical name. The lower-case names are
// made once, into `names`, so that sorting and grouping compare bytes.
struct header_set {
    std::vector<header_ref> refs;
    std::string names;
};

// Headers sorted by lower-case name. The sort is stable so that repeated
// headers keep the order in which they appear on the request, as the test
// suite (get-header-value-order) requires.
void sort_headers_into(const http_request& req, header_set& out) {
    out.refs.clear();
    out.refs.reserve(req.headers.size());
    out.names.clear();
    std::size_t total = 0;
    for (const auto& h : req.headers) total += h.name.size();
    out.names.reserve(total);  // no reallocation below: the views stay valid
    for (const auto& h : req.headers) {
        const std::size_t at = out.names.size();
        append_lower(out.names, h.name);
        out.refs.push_back({std::string_view(out.names).substr(at, h.name.size()), &h.value});
    }
    // Insertion sort: stable, and quick for the dozen or so headers of a
    // request, most of which arrive in order already.
    auto& v = out.refs;
    for (std::size_t i = 1; i < v.size(); ++i) {
        header_ref h = v[i];
        std::size_t j = i;
        for (; j > 0 && h.name < v[j - 1].name; --j) v[j] = v[j - 1];
        v[j] = h;
    }
}

header_set sorted_headers(const http_request& req) {
    header_set out;
    sort_headers_into(req, out);
    return out;
}

void append_signed_headers(std::string& out, const header_set& headers) {
    const auto& v = headers.refs;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i > 0 && v[i].name == v[i - 1].name) continue;
        if (i > 0) out += ';';
        out += v[i].name;
    }
}

std::string signed_headers_of(const header_set& headers) {
    std::string out;
    std::size_t total = 0;
    for (const auto& h : headers.refs) total += h.name.size() + 1;
    out.reserve(total);
    append_signed_headers(out, headers);
    return out;
}

// canonical_header_value, appended.
void append_canonical_value(std::string& out, std::string_view v) {
    auto is_ows = [](char c) { return c == ' ' || c == '\t'; };
    while (!v.empty() && is_ows(v.front())) v.remove_prefix(1);
    while (!v.empty() && is_ows(v.back())) v.remove_suffix(1);
    if (v.find("  ") == std::string_view::npos) {  // the usual case: nothing to collapse
        out += v;
        return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == ' ' && i > 0 && v[i - 1] == ' ') continue;
        out += v[i];
    }
}

// Is `name` (compared in lower case) one of the ';'-separated names in `list`?
bool listed(std::string_view list, std::string_view name) {
    while (!list.empty()) {
        auto semi = list.find(';');
        if (compare_lower(list.substr(0, semi), name) == 0) return true;
        if (semi == std::string_view::npos) break;
        list.remove_prefix(semi + 1);
    }
    return false;
}

// Header values that are credentials in their own right. They are signed like
// any other header but never copied into signing_debug.
bool is_secret_header(std::string_view lower_name) {
    return lower_name == "x-amz-security-token" ||
           lower_name == "x-amz-server-side-encryption-customer-key" ||
           lower_name == "x-amz-copy-source-server-side-encryption-customer-key";
}

constexpr std::string_view redacted = "<redacted>";

// The canonical request, into `out` (cleared first). When `redact` is set,
// secret header values are replaced by "<redacted>" (for signing_debug only;
// never hashed). `all_signed`: signed_headers lists every header (as when
// signing), so no header needs looking up in it.
void canonical_request_into(std::string& out, const http_request& req, const header_set& set,
                            std::string_view signed_headers, std::string_view payload_hash, bool redact,
                            bool all_signed = false) {
    const auto& headers = set.refs;
    out.clear();
    out.reserve(256 + req.path.size() * 3 + signed_headers.size() * 2);
    out += req.method;
    out += '\n';
    uri::append_canonical_path(out, req.path);
    out += '\n';
    if (!req.query.empty()) out += uri::canonical_query(req);
    out += '\n';
    for (std::size_t i = 0; i < headers.size();) {
        const auto& name = headers[i].name;
        std::size_t end = i;
        while (end < headers.size() && headers[end].name == name) ++end;
        if (all_signed || listed(signed_headers, name)) {
            out += name;
            out += ':';
            for (std::size_t j = i; j < end; ++j) {
                if (j > i) out += ',';
                if (redact && is_secret_header(name))
                    out += redacted;
                else
                    append_canonical_value(out, *headers[j].value);
            }
            out += '\n';
        }
        i = end;
    }
    out += '\n';
    out += signed_headers;
    out += '\n';
    out += payload_hash;
}

std::string build_canonical_request(const http_request& req, const header_set& headers,
                                    std::string_view signed_headers, std::string_view payload_hash,
                                    bool redact) {
    std::string out;
    canonical_request_into(out, req, headers, signed_headers, payload_hash, redact);
    return out;
}

void string_to_sign_into(std::string& out, std::string_view amz_date, std::string_view scope,
                         std::string_view canonical_request) {
    out.clear();
    out.reserve(algorithm.size() + amz_date.size() + scope.size() + 2 * sha256_len + 3);
    out += algorithm;
    out += '\n';
    out += amz_date;
    out += '\n';
    out += scope;
    out += '\n';
    unsigned char digest[sha256_len];
    crypto::sha256_into(canonical_request, digest);
    crypto::append_hex(out, digest, sha256_len);
}

std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical_request) {
    std::string out;
    string_to_sign_into(out, amz_date, scope, canonical_request);
    return out;
}

// "20150830/us-east-1/service/aws4_request", appended.
void append_credential_scope(std::string& out, std::string_view date8, const signing_params& params) {
    out += date8;
    out += '/';
    out += params.region;
    out += '/';
    out += params.service;
    out += "/aws4_request";
}

std::string credential_scope(std::string_view date8, const signing_params& params) {
    std::string out;
    out.reserve(date8.size() + params.region.size() + params.service.size() + 16);
    append_credential_scope(out, date8, params);
    return out;
}

// "20150830T123600Z" into buf (16 characters, no terminator).
void format_amz_date(std::chrono::system_clock::time_point t, char (&buf)[16]) {
    using namespace std::chrono;
    const auto secs = floor<seconds>(t);
    const auto day = floor<days>(secs);
    const year_month_day ymd{day};
    const hh_mm_ss hms{secs - day};
    auto put = [&buf](std::size_t at, unsigned v, std::size_t width) {
        for (std::size_t i = width; i-- > 0; v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
    };
    put(0, static_cast<unsigned>(int(ymd.year())), 4);
    put(4, unsigned(ymd.month()), 2);
    put(6, unsigned(ymd.day()), 2);
    buf[8] = 'T';
    put(9, static_cast<unsigned>(hms.hours().count()), 2);
    put(11, static_cast<unsigned>(hms.minutes().count()), 2);
    put(13, static_cast<unsigned>(hms.seconds().count()), 2);
    buf[15] = 'Z';
}

std::string derive_signing_key(std::string_view secret, std::string_view date8, std::string_view region,
                               std::string_view service) {
    std::string k_secret;
    k_secret.reserve(4 + secret.size());
    k_secret += "AWS4";
    k_secret += secret;
    auto k_date = crypto::hmac_sha256_raw(k_secret, date8);
    OPENSSL_cleanse(k_secret.data(), k_secret.size());
    auto k_region = crypto::hmac_sha256_raw(k_date, region);
    auto k_service = crypto::hmac_sha256_raw(k_region, service);
    auto k_signing = crypto::hmac_sha256_raw(k_service, "aws4_request");
    OPENSSL_cleanse(k_date.data(), k_date.size());
    OPENSSL_cleanse(k_region.data(), k_region.size());
    OPENSSL_cleanse(k_service.data(), k_service.size());
    return k_signing;
}

void remove_headers(http_request& req, std::string_view name) {
    std::erase_if(req.headers, [&](const http_header& h) { return iequals(h.name, name); });
}

}  // namespace

// ---------------------------------------------------------------------------
// Pure canonicalisation

std::string canonical_header_value(std::string_view v) {
    // Trim the optional whitespace HTTP allows around a field value (SP and
    // HTAB), then collapse runs of spaces inside. Any other byte, including a
    // tab or a line break inside the value, is kept as it is.
    std::string out;
    out.reserve(v.size());
    append_canonical_value(out, v);
    return out;
}

// ---------------------------------------------------------------------------
// signer

std::string signer::amz_date(std::chrono::system_clock::time_point t) {
    char buf[16];
    format_amz_date(t, buf);
    return std::string(buf, sizeof buf);
}

std::string signer::payload_hash(const http_request& req) {
    if (req.unsigned_payload) return std::string(unsigned_payload);
    return crypto::sha256_hex(req.body);
}

std::string signer::signed_headers(const http_request& req) {
    return signed_headers_of(sorted_headers(req));
}

std::string signer::canonical_request(const http_request& req, std::string_view signed_headers,
                                      std::string_view payload_hash) {
    return build_canonical_request(req, sorted_headers(req), signed_headers, payload_hash, false);
}

// The derived signing key for creds at date8 in params' scope, ready for
// HMAC, from the cache. The cache's key is the access key id, never the
// secret; the entry holds the secret the key was derived from, so a secret
// rotated under the same access key id (possible on S3-compatible servers)
// derives a fresh key instead of signing with a stale one.
signer::key_entry::~key_entry() {
    OPENSSL_cleanse(secret.data(), secret.size());
}

const crypto::hmac_sha256_key& signer::signing_key(const credentials& creds, std::string_view date8,
                                                   const signing_params& params) {
    // A few entries at most (one per day, region and service): a scan
    // compares views, with no key to allocate.
    auto it = std::find_if(cache_.begin(), cache_.end(), [&](const auto& e) {
        return std::get<0>(e.first) == date8 && std::get<1>(e.first) == params.region &&
               std::get<2>(e.first) == params.service && std::get<3>(e.first) == creds.access_key_id;
    });
    if (it == cache_.end() || it->second.secret != creds.secret_access_key) {
        if (it == cache_.end()) {
            if (cache_.size() >= cache_limit) cache_.clear();
            it = cache_
                     .try_emplace(
                         key_t{std::string(date8), params.region, params.service, creds.access_key_id})
                     .first;
        }
        auto derived = derive_signing_key(creds.secret_access_key, date8, params.region, params.service);
        it->second.key.set(derived);
        OPENSSL_cleanse(derived.data(), derived.size());
        OPENSSL_cleanse(it->second.secret.data(), it->second.secret.size());
        it->second.secret = creds.secret_access_key;
    }
    return it->second.key;
}

void signer::authorization_into(std::string& out, std::string_view canonical_request,
                                std::string_view amz_date, std::string_view signed_headers,
                                const credentials& creds, const signing_params& params) {
    // Scratch buffers, reused from one request to the next (their capacity
    // stays), per thread as in sign().
    thread_local std::string scope, sts;
    const std::string_view date8 = amz_date.substr(0, 8);
    scope.clear();
    append_credential_scope(scope, date8, params);
    string_to_sign_into(sts, amz_date, scope, canonical_request);
    unsigned char signature[sha256_len];
    signing_key(creds, date8, params).mac_into(sts, signature);
    out.reserve(out.size() + algorithm.size() + creds.access_key_id.size() + scope.size() +
                signed_headers.size() + 2 * sha256_len + 48);
    out += algorithm;
    out += " Credential=";
    out += creds.access_key_id;
    out += '/';
    out += scope;
    out += ", SignedHeaders=";
    out += signed_headers;
    out += ", Signature=";
    crypto::append_hex(out, signature, sha256_len);
}

void signer::amz_date_into(std::chrono::system_clock::time_point t, char (&out)[16]) {
    // Every request of a second has the same date: formatted once a second
    // (the calendar arithmetic is most of the cost), per thread.
    thread_local std::int64_t last_second = std::numeric_limits<std::int64_t>::min();
    thread_local char last[16];
    const std::int64_t second = std::chrono::floor<std::chrono::seconds>(t.time_since_epoch()).count();
    if (second != last_second) {
        format_amz_date(t, last);
        last_second = second;
    }
    std::memcpy(out, last, sizeof last);
}

void signer::sign(http_request& req, const credentials& creds, const signing_params& params,
                  signing_debug* debug) {
    // A request may be signed again (a retry, refreshed credentials): the old
    // Authorization is never part of what is signed, and the date is always
    // the caller's `now`.
    remove_headers(req, "Authorization");
    req.headers.reserve(req.headers.size() + 5);  // Host, date, hash, token, Authorization
    if (!req.host.empty() && !req.find_header("Host")) req.headers.push_back({"Host", req.host});
    char date_buf[16];
    format_amz_date(params.now, date_buf);
    const std::string_view date(date_buf, sizeof date_buf);
    req.set_header("X-Amz-Date", std::string(date));

    // A caller that already set x-amz-content-sha256 (a precomputed hash, a
    // streaming mode) decides the payload hash; otherwise it is computed here.
    // `payload` may view a header value: the reserve above keeps req.headers
    // from reallocating until Authorization is appended at the end.
    std::string computed;
    std::string_view payload;
    if (const auto* given = req.find_header("x-amz-content-sha256")) {
        payload = *given;
    } else if (params.add_content_sha256_header) {
        req.headers.push_back({"x-amz-content-sha256", payload_hash(req)});
        payload = req.headers.back().value;
    } else {
        computed = payload_hash(req);
        payload = computed;
    }
    if (!creds.session_token.empty()) req.set_header("X-Amz-Security-Token", creds.session_token);

    // Scratch buffers, reused from one request to the next (their capacity
    // stays). Per thread: a signer is used from one thread at a time, but
    // there may be several signers.
    thread_local header_set headers;
    thread_local std::string signed_list, creq;
    sort_headers_into(req, headers);
    signed_list.clear();
    append_signed_headers(signed_list, headers);
    canonical_request_into(creq, req, headers, signed_list, payload, false, true);
    std::string auth;
    authorization_into(auth, creq, date, signed_list, creds, params);

    if (debug) {
        // The canonical request shown is the one hashed, except that values
        // of credential headers (session token, SSE-C keys) are redacted.
        // Built before Authorization is appended: `headers` points into
        // req.headers, which the push_back below may reallocate.
        debug->canonical_request = build_canonical_request(req, headers, signed_list, payload, true);
        debug->string_to_sign = string_to_sign(date, credential_scope(date.substr(0, 8), params), creq);
    }
    req.headers.push_back({"Authorization", std::move(auth)});
}

// ---------------------------------------------------------------------------
// Presigned URLs

std::string presign_url(const http_request& req, std::string_view scheme, const credentials& creds,
                        const signing_params& params, std::chrono::seconds expires) {
    const auto date = signer::amz_date(params.now);
    const std::string_view date8 = std::string_view(date).substr(0, 8);
    const auto scope = credential_scope(date8, params);

    // Only Host is signed; the request's own headers are not part of a URL.
    http_request r;
    r.method = req.method;
    r.path = req.path;
    r.query = req.query;
    const auto* host_header = req.find_header("Host");
    const std::string host = host_header ? *host_header : req.host;
    r.headers.push_back({"host", host});

    r.query.push_back({"X-Amz-Algorithm", std::string(algorithm)});
    r.query.push_back({"X-Amz-Credential", creds.access_key_id + '/' + scope});
    r.query.push_back({"X-Amz-Date", date});
    r.query.push_back({"X-Amz-Expires", std::to_string(expires.count())});
    r.query.push_back({"X-Amz-SignedHeaders", "host"});
    if (!creds.session_token.empty()) r.query.push_back({"X-Amz-Security-Token", creds.session_token});

    const auto creq = signer::canonical_request(r, "host", unsigned_payload);
    const auto sts = string_to_sign(date, scope, creq);
    auto key = derive_signing_key(creds.secret_access_key, date8, params.region, params.service);
    const auto signature = crypto::hex(crypto::hmac_sha256_raw(key, sts));
    OPENSSL_cleanse(key.data(), key.size());

    std::string url;
    url += scheme;
    url += "://";
    url += host;
    url += uri::request_target(r);
    url += "&X-Amz-Signature=";
    url += signature;
    return url;
}

}  // namespace s3merge::sigv4
