// Sans-io HTTP message types shared by the signer, the S3 request builders
// and the I/O layer. No Asio/Beast here.
//
// Contract: an http_request holds *raw* (unencoded) values. The path is the
// decoded object path (e.g. "/bucket/日本語 key"), query parameters are raw
// name/value pairs in any order. Encoding and ordering are owned by
// s3merge::uri (canonical_path / canonical_query / request_target); callers
// never pre-encode or pre-sort.
#pragma once

#include <optional>
#include <string>

#include "s3merge/ascii.hpp"
#include <string_view>
#include <vector>

namespace s3merge {

struct http_header {
    std::string name;
    std::string value;
};

struct query_param {
    std::string name;
    std::string value;
};

// Receives a 2xx answer's body as it arrives, instead of it being kept in
// http_response::body (which stays empty): a large object is processed in
// pieces, never held whole. begin() starts each answer (a retry forgets
// what an earlier attempt delivered). Error answers are kept as usual.
class body_sink {
public:
    virtual ~body_sink() = default;
    virtual void begin() = 0;
    virtual void data(std::string_view piece) = 0;
};

struct http_request {
    std::string method = "GET";
    // Value of the Host header: "bucket.s3.us-east-1.amazonaws.com" or
    // "127.0.0.1:7480" (port included when not the scheme default).
    std::string host;
    // Raw, decoded path, always starting with '/'.
    std::string path = "/";
    std::vector<query_param> query;
    std::vector<http_header> headers;
    std::string body;
    // Sign with UNSIGNED-PAYLOAD instead of the body's SHA-256.
    bool unsigned_payload = false;
    // Where a 2xx answer's body goes (not owned); null: into the response.
    body_sink* sink = nullptr;

    // Case-insensitive lookup; nullptr when absent.
    const std::string* find_header(std::string_view name) const;
    // Replaces an existing header (case-insensitive) or appends it.
    void set_header(std::string_view name, std::string value);
};

struct http_response {
    unsigned status = 0;
    std::vector<http_header> headers;
    std::string body;

    const std::string* find_header(std::string_view name) const;
};

}  // namespace s3merge
