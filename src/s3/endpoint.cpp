// Endpoint and addressing resolution: which host to connect to, which Host
// header to send, and whether the bucket goes in the host or the path.
#include "s3merge/s3/endpoint.hpp"
#include "s3merge/ascii.hpp"

#include <cctype>
#include <charconv>

#include "s3merge/http_message.hpp"

namespace s3merge::s3 {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
    return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}
bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}
bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool is_alnum(char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}
std::string to_lower(std::string_view s) {
    return ascii_lower(s);
}

std::error_code fail(errc e, diagnostics& diag, std::string detail) {
    diag.detail = std::move(detail);
    return make_error_code(e);
}

bool is_ipv4(std::string_view s) {
    int parts = 0;
    while (true) {
        std::size_t dot = s.find('.');
        std::string_view part = s.substr(0, dot);
        if (part.empty() || part.size() > 3) return false;
        unsigned v = 0;
        auto [p, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
        if (ec != std::errc() || p != part.data() + part.size() || v > 255) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return parts == 4;
}

bool is_ip_literal(std::string_view host) {
    return host.find(':') != std::string_view::npos || is_ipv4(host);
}

std::uint16_t default_port(std::string_view scheme) {
    return scheme == "https" ? 443 : 80;
}

// A DNS host name: dot-separated labels of letters, digits, '-' and '_'
// (docker-compose service names carry '_'), a label neither starting nor
// ending with '-'. One trailing dot (fully qualified) is accepted.
bool is_host_name(std::string_view host) {
    if (!host.empty() && host.back() == '.') host.remove_suffix(1);
    if (host.empty() || host.size() > 253) return false;
    for (std::size_t start = 0;;) {
        std::size_t dot = host.find('.', start);
        std::string_view label =
            host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') return false;
        for (char c : label)
            if (!is_alnum(c) && c != '-' && c != '_') return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

// Rules for a new bucket in AWS: 3..63 characters, lower-case letters, digits,
// '.' and '-', starting and ending with a letter or digit, no "..", not an
// IPv4 address. Empty when valid.
std::string aws_bucket_problem(std::string_view b) {
    if (b.size() < 3 || b.size() > 63) return "must be 3 to 63 characters long";
    for (char c : b)
        if (!is_lower_alnum(c) && c != '.' && c != '-')
            return "may contain only lower-case letters, digits, '.' and '-'";
    if (!is_lower_alnum(b.front()) || !is_lower_alnum(b.back()))
        return "must start and end with a letter or digit";
    if (b.find("..") != std::string_view::npos) return "must not contain \"..\"";
    if (is_ipv4(b)) return "must not be formatted as an IP address";
    return {};
}

// Custom endpoints (Ceph RGW, MinIO, ...) accept more, e.g. upper case and
// '_' (RGW's relaxed names). Anything that would need escaping in a host or
// a path segment is still refused.
std::string custom_bucket_problem(std::string_view b) {
    if (b.size() > 255) return "must be at most 255 characters long";
    for (char c : b)
        if (!is_alnum(c) && c != '.' && c != '-' && c != '_')
            return "may contain only letters, digits, '.', '-' and '_'";
    return {};
}

// Can the bucket be the first label(s) of a host name, with a certificate
// that matches? Upper case and '_' cannot; '.' breaks a wildcard certificate
// over https.
bool virtual_host_compatible(std::string_view b, bool tls) {
    if (!aws_bucket_problem(b).empty()) return false;
    if (tls && b.find('.') != std::string_view::npos) return false;
    for (std::size_t start = 0; start <= b.size();) {
        std::size_t dot = b.find('.', start);
        std::string_view label = b.substr(start, dot == std::string_view::npos ? b.npos : dot - start);
        if (label.empty() || label.front() == '-' || label.back() == '-') return false;
        if (dot == std::string_view::npos) break;
        start = dot + 1;
    }
    return true;
}

bool region_ok(std::string_view region, bool aws) {
    if (region.empty() || region.size() > 64) return false;
    for (char c : region)
        if (!(aws ? is_lower_alnum(c) : is_alnum(c)) && c != '-' && !(!aws && c == '_')) return false;
    return true;
}

}  // namespace

std::error_code parse_addressing_style(std::string_view s, addressing_style& out) {
    if (s == "auto") {
        out = addressing_style::automatic;
    } else if (s == "path") {
        out = addressing_style::path;
    } else if (s == "virtual") {
        out = addressing_style::virtual_hosted;
    } else {
        return make_error_code(errc::invalid_argument);
    }
    return {};
}

std::string target::object_path(std::string_view key) const {
    std::string out = "/";
    if (path_style && !bucket.empty()) {
        out += bucket;
        if (key.empty()) return out;
        out += '/';
    }
    out += key;
    return out;
}

std::string_view dns_suffix_for_region(std::string_view region) {
    // botocore's partitions: aws-cn, aws-iso, aws-iso-b, aws-iso-e, aws-iso-f;
    // aws and aws-us-gov share amazonaws.com.
    if (starts_with(region, "cn-")) return "amazonaws.com.cn";
    if (starts_with(region, "us-iso-")) return "c2s.ic.gov";
    if (starts_with(region, "us-isob-")) return "sc2s.sgov.gov";
    if (starts_with(region, "eu-isoe-")) return "cloud.adc-e.uk";
    if (starts_with(region, "us-isof-")) return "csp.hci.ic.gov";
    return "amazonaws.com";
}

std::string default_service_host(std::string_view service, std::string_view region) {
    std::string out(service);
    out += '.';
    out += region;
    out += '.';
    out += dns_suffix_for_region(region);
    return out;
}

std::error_code parse_url(std::string_view url, parsed_url& out) {
    out = parsed_url{};
    auto invalid = make_error_code(errc::invalid_url);
    std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) return invalid;
    std::string scheme = to_lower(url.substr(0, sep));
    if (scheme != "http" && scheme != "https") return invalid;
    std::string_view rest = url.substr(sep + 3);
    std::size_t auth_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, auth_end);
    std::string_view tail = auth_end == std::string_view::npos ? std::string_view() : rest.substr(auth_end);
    // Queries, fragments and user info have no meaning for an endpoint.
    if (!tail.empty() && tail.front() != '/') return invalid;
    if (tail.find_first_of("?#") != std::string_view::npos) return invalid;
    if (authority.find('@') != std::string_view::npos) return invalid;

    std::string_view host, port_text;
    bool have_port = false;
    if (!authority.empty() && authority.front() == '[') {
        std::size_t close = authority.find(']');
        if (close == std::string_view::npos) return invalid;
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return invalid;
            port_text = after.substr(1);
            have_port = true;
        }
        if (host.empty() || host.find(':') == std::string_view::npos) return invalid;
        for (char c : host)
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) return invalid;
    } else {
        std::size_t colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port_text = authority.substr(colon + 1);
            have_port = true;
        }
        if (!is_host_name(host)) return invalid;
    }
    std::uint16_t port = default_port(scheme);
    if (have_port) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
        if (port_text.empty() || ec != std::errc() || p != port_text.data() + port_text.size() || v == 0 ||
            v > 65535)
            return invalid;
        port = static_cast<std::uint16_t>(v);
    }
    out.scheme = std::move(scheme);
    out.host = to_lower(host);
    out.port = port;
    out.path = std::string(tail);
    return {};
}

std::error_code parse_s3_uri(std::string_view uri, std::string& bucket, std::string& key, diagnostics& diag) {
    constexpr std::string_view scheme = "s3://";
    auto bad = [&](std::string why) {
        return fail(errc::invalid_argument, diag,
                    "'" + std::string(uri) + "' " + why + "; expected s3://BUCKET or s3://BUCKET/KEY");
    };
    if (uri.size() < scheme.size() || !iequals(uri.substr(0, scheme.size()), scheme))
        return bad("is not an S3 URI");
    std::string_view rest = uri.substr(scheme.size());
    std::size_t slash = rest.find('/');
    std::string_view b = rest.substr(0, slash);
    if (b.empty()) return bad("has no bucket name");
    for (char c : b)
        if (static_cast<unsigned char>(c) <= 0x20 || c == '?' || c == '#' || c == '\\')
            return bad("has a bucket name with a space, control character, '?', '#' or '\\'");
    bucket = std::string(b);
    key = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
    return {};
}

std::error_code parse_s3_uri(std::string_view uri, std::string& bucket, std::string& key) {
    diagnostics ignored;
    return parse_s3_uri(uri, bucket, key, ignored);
}

std::error_code resolve_target(const endpoint_options& opts, std::string_view region, std::string_view bucket,
                               target& out, diagnostics& diag) {
    out = target{};
    std::string reg = region.empty() ? std::string("us-east-1") : std::string(region);
    parsed_url url;
    bool custom = !opts.endpoint_url.empty();
    if (custom) {
        if (parse_url(opts.endpoint_url, url))
            return fail(errc::invalid_url, diag,
                        "endpoint URL '" + opts.endpoint_url +
                            "' is not valid; expected http://HOST[:PORT] or https://HOST[:PORT]");
        if (!url.path.empty() && url.path != "/")
            return fail(errc::invalid_url, diag,
                        "endpoint URL '" + opts.endpoint_url + "' has a path ('" + url.path +
                            "'); path prefixes are not supported, pass only scheme, host and port");
    } else {
        if (!region_ok(reg, true))
            return fail(errc::invalid_argument, diag,
                        "region '" + reg + "' is not a valid AWS region name (e.g. eu-west-1)");
        url.scheme = "https";
        url.host = default_service_host("s3", reg);
        url.port = 443;
    }
    if (custom && !region_ok(reg, false))
        return fail(errc::invalid_argument, diag, "region '" + reg + "' is not a valid region name");
    bool aws = !custom || ends_with(url.host, ".amazonaws.com") || ends_with(url.host, ".amazonaws.com.cn");
    bool tls = url.scheme == "https";
    bool ip_host = is_ip_literal(url.host) || url.host == "localhost";

    if (!bucket.empty()) {
        std::string problem = aws ? aws_bucket_problem(bucket) : custom_bucket_problem(bucket);
        if (!problem.empty())
            return fail(errc::invalid_argument, diag,
                        "bucket name '" + std::string(bucket) + "' is not valid: it " + problem);
    }

    bool path_style = false;
    if (!bucket.empty()) {
        bool compatible = virtual_host_compatible(bucket, tls);
        switch (opts.style) {
            case addressing_style::path:
                path_style = true;
                break;
            case addressing_style::virtual_hosted:
                if (ip_host)
                    return fail(errc::invalid_url, diag,
                                "virtual-hosted addressing needs an endpoint with a DNS name, not '" +
                                    url.host + "'; use --addressing-style path");
                // Names that cannot be a host label at all (upper case, '_') stay
                // in the path, as botocore does; a '.' over https is honoured.
                path_style = !virtual_host_compatible(bucket, false);
                break;
            case addressing_style::automatic:
                path_style = ip_host || !compatible;
                break;
        }
    }

    out.scheme = url.scheme;
    out.port = url.port;
    out.bucket = std::string(bucket);
    out.path_style = path_style;
    out.region = reg;
    out.host = (!bucket.empty() && !path_style) ? std::string(bucket) + "." + url.host : url.host;
    out.host_header = out.host.find(':') != std::string::npos ? "[" + out.host + "]" : out.host;
    if (out.port != default_port(out.scheme)) out.host_header += ":" + std::to_string(out.port);
    return {};
}

}  // namespace s3merge::s3
