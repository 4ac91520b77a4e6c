// Helpers for the S3 operation tests: responses, an MD5 computed without the
// project's crypto code, and a truncation loop.
#pragma once

#include <initializer_list>
#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <openssl/evp.h>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3test {

inline s3merge::http_response response(unsigned status, std::string body,
                                       std::initializer_list<s3merge::http_header> headers = {}) {
    s3merge::http_response r;
    r.status = status;
    r.body = std::move(body);
    r.headers.assign(headers.begin(), headers.end());
    return r;
}

// MD5 through OpenSSL's one-shot EVP_Digest and a base64 written here, so the
// check does not go through crypto::md5_base64.
inline std::string independent_md5_base64(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_md5(), nullptr);
    static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (unsigned i = 0; i < len; i += 3) {
        unsigned v = md[i] << 16;
        if (i + 1 < len) v |= md[i + 1] << 8;
        if (i + 2 < len) v |= md[i + 2];
        out += alphabet[(v >> 18) & 63];
        out += alphabet[(v >> 12) & 63];
        out += i + 1 < len ? alphabet[(v >> 6) & 63] : '=';
        out += i + 2 < len ? alphabet[v & 63] : '=';
    }
    return out;
}

// A target as resolve_target would give it, without going through it.
inline s3merge::s3::target aws_target(std::string bucket, bool path_style = false) {
    s3merge::s3::target t;
    t.scheme = "https";
    t.port = 443;
    t.bucket = bucket;
    t.path_style = path_style;
    t.region = "eu-west-1";
    t.host = path_style ? "s3.eu-west-1.amazonaws.com" : bucket + ".s3.eu-west-1.amazonaws.com";
    t.host_header = t.host;
    return t;
}

// Length of `doc` up to and including the '>' that closes its root element
// (the last '>' in the document): any shorter prefix is an incomplete document.
inline std::size_t complete_length(std::string_view doc) {
    return doc.rfind('>') + 1;
}

// Runs parse(response with body = doc[0..n)) for every n. Every incomplete
// prefix must give malformed_response (or, with a non-2xx status, the
// status-based classification); the call must never crash or succeed.
template <class Parse>
void for_each_truncation(std::string_view doc, Parse&& parse) {
    for (std::size_t n = 0; n < complete_length(doc); ++n) parse(std::string(doc.substr(0, n)), n);
}

}  // namespace s3test
