// Versioned buckets: ListObjectVersions, GetBucketVersioning,
// PutBucketVersioning.
#include "s3/xml_util.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/s3/versions.hpp"
#include "s3merge/crypto.hpp"

namespace s3merge::s3 {

namespace {

// Reads the fields <Version> and <DeleteMarker> share. Returns why the entry
// is unusable, or "".
template <class Entry, class Decode>
std::string read_common(const pugi::xml_node& n, const char* what, Decode&& decode, Entry& e) {
    bool has_key = false, has_version = false, has_latest = false;
    e.key = decode(detail::child_text(n, "Key", &has_key));
    if (!has_key) return std::string("a <") + what + "> entry has no <Key>";
    // A version that cannot be named cannot be copied or deleted; S3 sends
    // "null" for versions written while versioning was off, so an absent id
    // is not guessed.
    e.version_id = detail::child_text(n, "VersionId", &has_version);
    if (!has_version || e.version_id.empty())
        return std::string("the <") + what + "> of '" + e.key + "' has no <VersionId>";
    std::string latest = detail::child_text(n, "IsLatest", &has_latest);
    if (has_latest && !detail::parse_bool(latest, e.is_latest))
        return std::string("the <") + what + "> of '" + e.key + "' has an invalid <IsLatest> '" + latest +
               "'";
    e.last_modified = detail::child_text(n, "LastModified");
    return {};
}

std::error_code parse_page(const http_response& resp, list_object_versions_result& out, diagnostics& diag) {
    pugi::xml_document doc;
    if (auto ec = detail::load_result(resp, "ListObjectVersions", "ListVersionsResult", doc, diag)) return ec;
    const pugi::xml_node root = doc.document_element();

    // Decode only when the response says it is encoded (see ListObjectsV2).
    // botocore's decode_list_object_versions decodes Key, Prefix, Delimiter,
    // KeyMarker and NextKeyMarker; version ids are opaque.
    const bool url = iequals(detail::child_text(root, "EncodingType"), "url");
    auto decode = [url](std::string s) { return url ? detail::url_decode_plus(s) : s; };

    // One pass over the children: <Version> and <DeleteMarker> interleave,
    // and each list keeps document order.
    std::string problem;
    for (pugi::xml_node c = root.first_child(); c && problem.empty(); c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const std::string_view name = detail::local_name(c);
        if (name == "Version") {
            object_version v;
            problem = read_common(c, "Version", decode, v);
            if (!problem.empty()) break;
            bool has_size = false;
            std::string size = detail::child_text(c, "Size", &has_size);
            if (!has_size || !detail::parse_u64(size, v.size)) {
                problem =
                    "version '" + v.version_id + "' of '" + v.key + "' has an invalid <Size> '" + size + "'";
                break;
            }
            v.etag = detail::strip_etag_quotes(detail::child_text(c, "ETag"));
            v.storage_class = detail::child_text(c, "StorageClass");
            if (v.storage_class.empty()) v.storage_class = "STANDARD";
            out.versions.push_back(std::move(v));
        } else if (name == "DeleteMarker") {
            delete_marker_entry d;
            problem = read_common(c, "DeleteMarker", decode, d);
            if (problem.empty()) out.delete_markers.push_back(std::move(d));
        } else if (name == "CommonPrefixes") {
            bool has_prefix = false;
            std::string prefix = detail::child_text(c, "Prefix", &has_prefix);
            if (has_prefix) out.common_prefixes.push_back(decode(std::move(prefix)));
        }
    }
    if (!problem.empty()) return detail::malformed(resp, diag, "ListObjectVersions: " + problem);

    bool has_truncated = false;
    std::string truncated = detail::child_text(root, "IsTruncated", &has_truncated);
    if (has_truncated && !detail::parse_bool(truncated, out.is_truncated))
        return detail::malformed(resp, diag, "ListObjectVersions: invalid <IsTruncated> '" + truncated + "'");
    out.next_key_marker = decode(detail::child_text(root, "NextKeyMarker"));
    out.next_version_id_marker = detail::child_text(root, "NextVersionIdMarker");
    // Without a marker the caller would list the first page again, forever.
    if (out.is_truncated && out.next_key_marker.empty())
        return detail::malformed(resp, diag,
                                 "ListObjectVersions: <IsTruncated> is true but there is no <NextKeyMarker>");
    return {};
}

}  // namespace

// ---- ListObjectVersions -----------------------------------------------------

http_request build_list_object_versions(const target& t, const list_object_versions_params& p) {
    http_request req = detail::request_for(t, {}, "GET");
    req.query.push_back({"versions", ""});
    // Only non-empty parameters, as for ListObjectsV2.
    if (!p.prefix.empty()) req.query.push_back({"prefix", p.prefix});
    if (!p.delimiter.empty()) req.query.push_back({"delimiter", p.delimiter});
    if (!p.key_marker.empty()) req.query.push_back({"key-marker", p.key_marker});
    if (!p.version_id_marker.empty()) req.query.push_back({"version-id-marker", p.version_id_marker});
    if (p.max_keys > 0) req.query.push_back({"max-keys", std::to_string(p.max_keys)});
    if (p.encoding_type_url) req.query.push_back({"encoding-type", "url"});
    return req;
}

std::error_code parse_list_object_versions(const http_response& resp, list_object_versions_result& out,
                                           diagnostics& diag) {
    out = list_object_versions_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    auto ec = parse_page(resp, out, diag);
    if (ec) out = list_object_versions_result{};  // never a partial page
    return ec;
}

// ---- GetBucketVersioning / PutBucketVersioning ------------------------------

http_request build_get_bucket_versioning(const target& t) {
    http_request req = detail::request_for(t, {}, "GET");
    req.query.push_back({"versioning", ""});
    return req;
}

std::error_code parse_get_bucket_versioning(const http_response& resp, get_bucket_versioning_result& out,
                                            diagnostics& diag) {
    out = get_bucket_versioning_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    pugi::xml_document doc;
    if (auto ec = detail::load_result(resp, "GetBucketVersioning", "VersioningConfiguration", doc, diag))
        return ec;
    const pugi::xml_node root = doc.document_element();
    get_bucket_versioning_result r;
    r.status = detail::child_text(root, "Status");
    if (!r.status.empty() && r.status != "Enabled" && r.status != "Suspended")
        return detail::malformed(resp, diag, "GetBucketVersioning: unknown <Status> '" + r.status + "'");
    r.mfa_delete = detail::child_text(root, "MfaDelete");
    if (!r.mfa_delete.empty() && r.mfa_delete != "Enabled" && r.mfa_delete != "Disabled")
        return detail::malformed(resp, diag,
                                 "GetBucketVersioning: unknown <MfaDelete> '" + r.mfa_delete + "'");
    out = std::move(r);
    return {};
}

http_request build_put_bucket_versioning(const target& t, const put_bucket_versioning_params& p) {
    pugi::xml_document doc;
    pugi::xml_node root = detail::start_document(doc, "VersioningConfiguration");
    root.append_child("Status").append_child(pugi::node_pcdata).set_value(p.status.c_str());
    http_request req = detail::request_for(t, {}, "PUT");
    req.query.push_back({"versioning", ""});
    req.body = detail::serialize(doc);
    req.set_header("Content-Type", "application/xml");
    req.set_header("Content-MD5", crypto::md5_base64(req.body));
    return req;
}

std::error_code parse_put_bucket_versioning(const http_response& resp, diagnostics& diag) {
    return check_response(resp, diag);
}

}  // namespace s3merge::s3
