// Single-object operations: HeadObject, CopyObject, PutObject.
#include <array>
#include <span>

#include "s3/copy_source.hpp"
#include "s3/xml_scan.hpp"
#include "s3/xml_util.hpp"
#include "s3merge/http/wire.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/sigv4.hpp"
#include "s3merge/crypto.hpp"

namespace s3merge::s3 {

namespace {

void add_metadata(http_request& req, const std::vector<http_header>& metadata) {
    for (const http_header& h : metadata) req.set_header(detail::meta_header_name(h.name), h.value);
}

std::string header_or_empty(const http_response& resp, std::string_view name) {
    const std::string* v = resp.find_header(name);
    return v ? *v : std::string();
}

}  // namespace

// ---- HeadObject -------------------------------------------------------------

http_request build_head_object(const target& t, const head_object_params& p) {
    http_request req = detail::request_for(t, p.key, "HEAD");
    if (!p.version_id.empty()) req.query.push_back({"versionId", p.version_id});
    if (p.checksum_mode) req.set_header("x-amz-checksum-mode", "ENABLED");
    if (p.part_number > 0) req.query.push_back({"partNumber", std::to_string(p.part_number)});
    return req;
}

http_request build_get_object(const target& t, const get_object_params& p) {
    http_request req = detail::request_for(t, p.key, "GET");
    req.sink = p.sink;
    return req;
}

std::error_code parse_get_object(const http_response& resp, get_object_result& out, diagnostics& diag) {
    out = get_object_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    out.etag = detail::strip_etag_quotes(header_or_empty(resp, "ETag"));
    constexpr std::string_view prefix = "x-amz-meta-";
    for (const http_header& h : resp.headers)
        if (h.name.size() > prefix.size() &&
            iequals(std::string_view(h.name).substr(0, prefix.size()), prefix))
            out.metadata.push_back({ascii_lower(std::string_view(h.name).substr(prefix.size())), h.value});
    out.body = resp.body;
    return {};
}

std::error_code parse_head_object(const http_response& resp, head_object_result& out, diagnostics& diag) {
    out = head_object_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    const std::string* length = resp.find_header("Content-Length");
    if (!length || !detail::parse_u64(*length, out.size))
        return detail::malformed(resp, diag,
                                 "HeadObject response has no valid Content-Length (got '" +
                                     (length ? *length : std::string("none")) + "')");
    out.etag = detail::strip_etag_quotes(header_or_empty(resp, "ETag"));
    out.last_modified = header_or_empty(resp, "Last-Modified");
    out.content_type = header_or_empty(resp, "Content-Type");
    out.storage_class = header_or_empty(resp, "x-amz-storage-class");
    if (out.storage_class.empty()) out.storage_class = "STANDARD";
    out.version_id = header_or_empty(resp, "x-amz-version-id");
    out.checksums.crc32 = header_or_empty(resp, "x-amz-checksum-crc32");
    out.checksums.crc32c = header_or_empty(resp, "x-amz-checksum-crc32c");
    out.checksums.crc64nvme = header_or_empty(resp, "x-amz-checksum-crc64nvme");
    out.checksums.sha1 = header_or_empty(resp, "x-amz-checksum-sha1");
    out.checksums.sha256 = header_or_empty(resp, "x-amz-checksum-sha256");
    out.checksums.type = header_or_empty(resp, "x-amz-checksum-type");
    if (const std::string* n = resp.find_header("x-amz-mp-parts-count"))
        (void)detail::parse_u64(*n, out.parts_count);
    constexpr std::string_view prefix = "x-amz-meta-";
    for (const http_header& h : resp.headers) {
        if (h.name.size() > prefix.size() &&
            iequals(std::string_view(h.name).substr(0, prefix.size()), prefix))
            // Header names are case-insensitive; S3 stores metadata names in lower case.
            out.metadata.push_back({ascii_lower(std::string_view(h.name).substr(prefix.size())), h.value});
    }
    return {};
}

// ---- CopyObject -------------------------------------------------------------

http_request build_copy_object(const target& t, const copy_object_params& p) {
    http_request req = detail::request_for(t, p.key, "PUT");
    // The header value is a URL path, so it is percent-encoded here (the
    // signer only encodes the request path and query): the bucket fully, the
    // key with its '/' kept, every other byte outside A-Za-z0-9-._~ as %XX
    // (so '+', '%', ' ', '?', '#', '&' and UTF-8 all survive). botocore does
    // the same with percent_encode(bucket/key, safe="-._~/").
    req.set_header("x-amz-copy-source",
                   detail::copy_source_header(p.source_bucket, p.source_key, p.source_version_id));
    req.set_header("x-amz-metadata-directive", p.replace_metadata ? "REPLACE" : "COPY");
    if (p.replace_metadata) {
        add_metadata(req, p.metadata);
        if (!p.content_type.empty()) req.set_header("Content-Type", p.content_type);
    }
    // COPY is S3's default; the header is only sent when it changes something.
    if (p.replace_tagging) {
        req.set_header("x-amz-tagging-directive", "REPLACE");
        req.set_header("x-amz-tagging", p.tagging);
    }
    if (!p.storage_class.empty()) req.set_header("x-amz-storage-class", p.storage_class);
    if (!p.sse.empty()) req.set_header("x-amz-server-side-encryption", p.sse);
    if (!p.sse_kms_key_id.empty())
        req.set_header("x-amz-server-side-encryption-aws-kms-key-id", p.sse_kms_key_id);
    if (!p.source_if_match.empty())
        req.set_header("x-amz-copy-source-if-match", detail::quote_etag(p.source_if_match));
    return req;
}

bool write_signed_copy_object(const target& t, const copy_object_params& p, sigv4::signer& signer,
                              const credentials& creds, const sigv4::signing_params& params,
                              std::string_view user_agent, std::string& out) {
    if (p.replace_metadata || p.replace_tagging || p.key.empty()) return false;
    // The values made here, in scratch buffers that keep their capacity.
    thread_local std::string source, if_match;
    source.clear();
    detail::append_copy_source_header(source, p.source_bucket, p.source_key, p.source_version_id);
    // In build_copy_object's order.
    std::array<http::header_view, 6> headers;
    std::size_t n = 0;
    // The names are these constants; of the values, the ones made here are
    // their own canonical form, the caller's are checked.
    headers[n++] = {"x-amz-copy-source", source, true, true};  // percent-encoded
    headers[n++] = {"x-amz-metadata-directive", "COPY", true, true};
    if (!p.storage_class.empty()) headers[n++] = {"x-amz-storage-class", p.storage_class, false, true};
    if (!p.sse.empty()) headers[n++] = {"x-amz-server-side-encryption", p.sse, false, true};
    if (!p.sse_kms_key_id.empty())
        headers[n++] = {"x-amz-server-side-encryption-aws-kms-key-id", p.sse_kms_key_id, false, true};
    if (!p.source_if_match.empty()) {
        if_match.clear();
        detail::append_quoted_etag(if_match, p.source_if_match);
        headers[n++] = {"x-amz-copy-source-if-match", if_match, false, true};
    }
    // target::object_path(key), in pieces.
    const bool bucket_in_path = t.path_style && !t.bucket.empty();
    const std::array<std::string_view, 4> path =
        bucket_in_path ? std::array<std::string_view, 4>{"/", t.bucket, "/", p.key}
                       : std::array<std::string_view, 4>{"/", p.key, {}, {}};
    http::signed_request_parts parts;
    parts.method = "PUT";
    parts.host = t.host_header;
    parts.path = std::span<const std::string_view>(path.data(), bucket_in_path ? 4 : 2);
    parts.headers = std::span<const http::header_view>(headers.data(), n);
    return http::write_signed_parts(parts, signer, creds, params, user_agent, out);
}

namespace {

class copy_result_scanner : detail::xml_scanner {
public:
    using xml_scanner::xml_scanner;

    bool run(copy_object_result& out) {
        if (!root("CopyObjectResult")) return false;
        bool has_etag = false, has_modified = false;
        // ChecksumCRC32 and the like are not read.
        return fields_until_close("CopyObjectResult", 1,
                                  [&](std::string_view name) -> std::pair<std::string*, bool*> {
                                      if (name == "ETag") return {&out.etag, &has_etag};
                                      if (name == "LastModified") return {&out.last_modified, &has_modified};
                                      return {nullptr, nullptr};
                                  }) &&
               at_end() && has_etag;
    }
};

// The versions a copy's headers name (either parse path).
void copy_versions(const http_response& resp, copy_object_result& out) {
    out.version_id = header_or_empty(resp, "x-amz-version-id");
    out.source_version_id = header_or_empty(resp, "x-amz-copy-source-version-id");
}

// As out = copy_object_result{}, with the strings' buffers kept: a result
// reused from one copy to the next takes its ETag and date without an
// allocation.
void clear_result(copy_object_result& out) {
    out.etag.clear();
    out.last_modified.clear();
    out.version_id.clear();
    out.source_version_id.clear();
}
}  // namespace

bool scan_copy_object(std::string_view body, copy_object_result& out) {
    clear_result(out);
    if (!detail::scannable(body)) return false;
    copy_result_scanner scan(body);
    if (scan.run(out)) {
        detail::strip_etag_quotes_in_place(out.etag);
        if (!out.etag.empty()) return true;
    }
    clear_result(out);
    return false;
}

std::error_code parse_copy_object(const http_response& resp, copy_object_result& out, diagnostics& diag) {
    // S3 sends "200 OK" first and the outcome at the end of the body, which
    // may then be an <Error> document: the scan declines that, and the
    // document parser classifies it.
    if (resp.status < 200 || resp.status >= 300 || !scan_copy_object(resp.body, out))
        return parse_copy_object_document(resp, out, diag);
    copy_versions(resp, out);
    return {};
}

std::error_code parse_copy_object_document(const http_response& resp, copy_object_result& out,
                                           diagnostics& diag) {
    out = copy_object_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    pugi::xml_document doc;
    if (auto ec = detail::load_result(resp, "CopyObject", "CopyObjectResult", doc, diag)) return ec;
    const pugi::xml_node root = doc.document_element();
    const pugi::xml_node etag = detail::child(root, "ETag");
    if (etag) {
        detail::text_into(etag, out.etag);
        detail::strip_etag_quotes_in_place(out.etag);
    }
    if (!etag || out.etag.empty()) return detail::malformed(resp, diag, "CopyObject result has no <ETag>");
    if (const pugi::xml_node lm = detail::child(root, "LastModified"))
        detail::text_into(lm, out.last_modified);
    copy_versions(resp, out);
    return {};
}

// ---- PutObject --------------------------------------------------------------

http_request build_put_object(const target& t, put_object_params p) {
    http_request req = detail::request_for(t, p.key, "PUT");
    if (!p.content_type.empty()) req.set_header("Content-Type", p.content_type);
    if (!p.content_encoding.empty()) req.set_header("Content-Encoding", p.content_encoding);
    add_metadata(req, p.metadata);
    if (!p.storage_class.empty()) req.set_header("x-amz-storage-class", p.storage_class);
    if (!p.tagging.empty()) req.set_header("x-amz-tagging", p.tagging);
    // End-to-end integrity: S3 rejects the upload (BadDigest) if the bytes
    // it received differ. The body is also signed with its SHA-256.
    req.set_header("Content-MD5", crypto::md5_base64(p.body));
    req.body = std::move(p.body);
    return req;
}

std::error_code parse_put_object(const http_response& resp, put_object_result& out, diagnostics& diag) {
    out = put_object_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    out.etag = detail::strip_etag_quotes(header_or_empty(resp, "ETag"));
    out.version_id = header_or_empty(resp, "x-amz-version-id");
    return {};
}

}  // namespace s3merge::s3
