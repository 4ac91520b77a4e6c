// Where a request for (region, bucket) goes, and how it is addressed.
// Pure: no DNS, no sockets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

#include "s3merge/error.hpp"

namespace s3merge::s3 {

enum class addressing_style { automatic, path, virtual_hosted };

// Parses "auto" | "path" | "virtual".
std::error_code parse_addressing_style(std::string_view s, addressing_style& out);

struct endpoint_options {
    // --endpoint-url, e.g. "http://127.0.0.1:7480" or "https://s3.example.com"
    // (may carry a path prefix, which is not supported and rejected). Empty:
    // the AWS default for the region.
    std::string endpoint_url;
    addressing_style style = addressing_style::automatic;
};

// A resolved destination for requests about one bucket.
struct target {
    std::string scheme;  // "http" | "https"
    std::string host;    // connect host: "127.0.0.1", "bkt.s3.eu-west-1.amazonaws.com"
    std::uint16_t port = 443;
    std::string host_header;  // Host header value: host, plus ":port" when not default
    std::string bucket;       // the bucket this target addresses ("" for service-level)
    bool path_style = false;  // bucket in the path ("/bucket/key") instead of the host
    std::string region;       // signing region
    bool tls() const { return scheme == "https"; }
    // Raw (unencoded) request path for a key in this bucket: "/bucket/key" or "/key".
    // An empty key addresses the bucket itself ("/bucket" or "/").
    std::string object_path(std::string_view key) const;
};

// The AWS partition's DNS suffix for a region: "amazonaws.com",
// "amazonaws.com.cn" (cn-*), and the same "amazonaws.com" for us-gov-*.
std::string_view dns_suffix_for_region(std::string_view region);
// "s3.<region>.<suffix>" etc. for a service ("s3", "sts", "ec2").
std::string default_service_host(std::string_view service, std::string_view region);

// Resolves the target. Rules: with an endpoint_url whose host is an IP
// address or "localhost", automatic style means path-style; with any other
// endpoint_url or the AWS default, automatic means virtual-hosted, unless the
// bucket name is not DNS-compatible (upper case, '_', or a '.' over https),
// which falls back to path-style. Errors: invalid_url (with diag.detail).
std::error_code resolve_target(const endpoint_options& opts, std::string_view region, std::string_view bucket,
                               target& out, diagnostics& diag);

// Splits "http://host:port" into parts. Accepts IPv6 in brackets.
struct parsed_url {
    std::string scheme, host;
    std::uint16_t port = 0;
    std::string path;  // "" or "/..."
};
std::error_code parse_url(std::string_view url, parsed_url& out);

// "s3://bucket/prefix" -> bucket, key/prefix (key may be empty).
std::error_code parse_s3_uri(std::string_view uri, std::string& bucket, std::string& key);
// As above, and on error diag.detail says what was wrong and which form is
// expected ("expected s3://BUCKET[/KEY]").
std::error_code parse_s3_uri(std::string_view uri, std::string& bucket, std::string& key, diagnostics& diag);

}  // namespace s3merge::s3
