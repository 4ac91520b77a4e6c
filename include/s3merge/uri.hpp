// URI encoding as S3 and SigV4 need it: RFC 3986 percent-encoding, the
// canonical path and query of a request, and the request-line target.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "s3merge/http_message.hpp"

namespace s3merge::uri {

// RFC 3986 percent-encoding: unreserved A-Z a-z 0-9 - . _ ~ kept, every other
// byte as %XX (upper-case hex). When encode_slash is false, '/' is kept.
std::string encode(std::string_view s, bool encode_slash = true);
// The same, appended to `out`.
void append_encoded(std::string& out, std::string_view s, bool encode_slash = true);
// How many bytes at the start of `s` encode stays as they are (all of
// them: nothing to encode).
std::size_t kept_prefix(std::string_view s, bool encode_slash = true);
// Decodes %XX sequences (and only those; '+' stays '+'). Invalid sequences
// are kept verbatim.
std::string decode(std::string_view s);

// S3 canonical path: each path segment encoded once, '/' kept, no
// normalisation of "//", "." or "..". An empty path becomes "/".
std::string canonical_path(std::string_view raw_path);
void append_canonical_path(std::string& out, std::string_view raw_path);
// Canonical query string: names and values encoded, sorted by encoded name
// then encoded value, joined with '&'.
std::string canonical_query(const http_request& req);
// What goes on the request line: canonical_path + ('?' + canonical_query).
std::string request_target(const http_request& req);
void append_request_target(std::string& out, const http_request& req);

}  // namespace s3merge::uri
