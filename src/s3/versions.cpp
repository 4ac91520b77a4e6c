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
    static constexpr detail::page_spec spec{"ListObjectVersions", "ListVersionsResult", "NextKeyMarker"};
    return detail::parse_page(resp, spec, out, diag, [&](const detail::page_frame& f) -> std::string {
        // botocore's decode_list_object_versions decodes Key, Prefix,
        // Delimiter, KeyMarker and NextKeyMarker; version ids are opaque.
        auto decode = [&f](std::string s) { return f.decode(std::move(s)); };
        // One pass over the children: <Version> and <DeleteMarker>
        // interleave, and each list keeps document order.
        for (pugi::xml_node c = f.root.first_child(); c; c = c.next_sibling()) {
            if (c.type() != pugi::node_element) continue;
            const std::string_view name = detail::local_name(c);
            if (name == "Version") {
                object_version v;
                if (auto problem = read_common(c, "Version", decode, v); !problem.empty()) return problem;
                bool has_size = false;
                std::string size = detail::child_text(c, "Size", &has_size);
                if (!has_size || !detail::parse_u64(size, v.size))
                    return "version '" + v.version_id + "' of '" + v.key + "' has an invalid <Size> '" +
                           size + "'";
                v.etag = detail::strip_etag_quotes(detail::child_text(c, "ETag"));
                v.storage_class = detail::child_text(c, "StorageClass");
                if (v.storage_class.empty()) v.storage_class = "STANDARD";
                out.versions.push_back(std::move(v));
            } else if (name == "DeleteMarker") {
                delete_marker_entry d;
                if (auto problem = read_common(c, "DeleteMarker", decode, d); !problem.empty())
                    return problem;
                out.delete_markers.push_back(std::move(d));
            } else if (name == "CommonPrefixes") {
                bool has_prefix = false;
                std::string prefix = detail::child_text(c, "Prefix", &has_prefix);
                if (has_prefix) out.common_prefixes.push_back(f.decode(std::move(prefix)));
            }
        }
        out.next_key_marker = f.decode(f.text("NextKeyMarker"));
        out.next_version_id_marker = f.text("NextVersionIdMarker");
        return {};
    });
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
