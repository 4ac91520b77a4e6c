// The HTTP/1.1 request as it goes on the wire, pure: request line
// (method, canonical target), the request's headers in order, Host (when the
// request has none), User-Agent, Content-Length (for PUT/POST or any body),
// a blank line and the body — written into one buffer so that a request is
// one write, with no per-field allocations.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <system_error>

#include "s3merge/credentials.hpp"
#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/sigv4.hpp"

namespace s3merge::http {

// Replaces `out` (its capacity is reused). errc::invalid_argument, with
// diag.detail naming the header, for a method that is not a token, an empty
// or non-token header name, or a CR, LF or NUL in a header value (they would
// split the request).
std::error_code serialize_request(const http_request& req, std::string_view user_agent, std::string& out,
                                  diagnostics& diag);

// Signs `req` and writes it as it goes on the wire, in one pass: `out`
// holds byte for byte what signer::sign on a copy of `req` followed by
// serialize_request(copy, user_agent) would give, and `req` is left as it
// is. For the requests a copy job sends most (CopyObject, HeadObject,
// DeleteObject): no query, no body (the payload is the empty one's hash or
// UNSIGNED-PAYLOAD), header names already in lower case, given once, none of
// the ones the signer or the serializer add, and values that are their own
// canonical form (no CR, LF or NUL, no space at either end, no run of
// spaces). Anything else returns false with `out` unspecified: the caller
// signs and serializes it the general way.
bool write_signed_request(const http_request& req, sigv4::signer& signer, const credentials& creds,
                          const sigv4::signing_params& params, std::string_view user_agent, std::string& out);

// A request by its parts, for a writer that has no http_request to hand
// (s3::write_signed_copy_object): what write_signed_request reads of one.
struct header_view {
    std::string_view name, value;
    // The value is known to be its own canonical form (the writer made it,
    // e.g. percent-encoded): not scanned again. Otherwise it is checked as
    // a request's header value is.
    bool plain = false;
    // The name is one of the writer's own constants, in lower case and none
    // of those the signer adds: not checked again.
    bool known_name = false;
};
struct signed_request_parts {
    std::string_view method;
    std::string_view host;
    // The raw (unencoded) path in pieces, as if joined: {"/", "bucket/", key}.
    std::span<const std::string_view> path;
    std::span<const header_view> headers;  // in the request's order
    bool unsigned_payload = false;
};

// write_signed_request for a request given by its parts (no query, no
// body): the same bytes as for the http_request with those fields, and the
// same refusals.
bool write_signed_parts(const signed_request_parts& req, sigv4::signer& signer, const credentials& creds,
                        const sigv4::signing_params& params, std::string_view user_agent, std::string& out);

// a < b as std::string_view compares them (bytes as unsigned char), eight
// bytes at a time: the order write_signed_parts sorts header names in
// (most share "x-amz-", and a library call per comparison cost more than
// the comparison).
bool name_less(std::string_view a, std::string_view b);

}  // namespace s3merge::http
