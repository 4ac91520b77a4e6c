// The HTTP/1.1 request as it goes on the wire, pure: request line
// (method, canonical target), the request's headers in order, Host (when the
// request has none), User-Agent, Content-Length (for PUT/POST or any body),
// a blank line and the body — written into one buffer so that a request is
// one write, with no per-field allocations.
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"

namespace s3merge::http {

// Replaces `out` (its capacity is reused). errc::invalid_argument, with
// diag.detail naming the header, for a method that is not a token, an empty
// or non-token header name, or a CR, LF or NUL in a header value (they would
// split the request).
std::error_code serialize_request(const http_request& req, std::string_view user_agent, std::string& out,
                                  diagnostics& diag);

}  // namespace s3merge::http
