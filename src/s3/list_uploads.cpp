// ListMultipartUploads: GET /?uploads and its <ListMultipartUploadsResult>.
#include "s3/xml_util.hpp"
#include "s3merge/s3/multipart.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::s3 {

http_request build_list_multipart_uploads(const target& t, const list_multipart_uploads_params& p) {
    http_request req;
    req.method = "GET";
    req.host = t.host_header;
    req.path = t.object_path({});
    req.query.push_back({"uploads", ""});
    // Only non-empty parameters, as for ListObjectsV2.
    if (!p.prefix.empty()) req.query.push_back({"prefix", p.prefix});
    if (!p.delimiter.empty()) req.query.push_back({"delimiter", p.delimiter});
    if (!p.key_marker.empty()) req.query.push_back({"key-marker", p.key_marker});
    if (!p.upload_id_marker.empty()) req.query.push_back({"upload-id-marker", p.upload_id_marker});
    if (p.max_uploads > 0) req.query.push_back({"max-uploads", std::to_string(p.max_uploads)});
    if (p.encoding_type_url) req.query.push_back({"encoding-type", "url"});
    return req;
}

std::error_code parse_list_multipart_uploads(const http_response& resp, list_multipart_uploads_result& out,
                                             diagnostics& diag) {
    static constexpr detail::page_spec spec{"ListMultipartUploads", "ListMultipartUploadsResult",
                                            "NextKeyMarker"};
    return detail::parse_page(resp, spec, out, diag, [&](const detail::page_frame& f) -> std::string {
        // botocore's decode_list_multipart_uploads decodes Key, Prefix,
        // Delimiter, KeyMarker and NextKeyMarker; upload ids are opaque.
        std::string problem;
        f.for_each("Upload", [&](const pugi::xml_node& u) {
            if (!problem.empty()) return;
            multipart_upload_entry e;
            bool has_key = false;
            e.key = f.decode(detail::child_text(u, "Key", &has_key));
            e.upload_id = detail::child_text(u, "UploadId");
            if (!has_key) {
                problem = "an <Upload> entry has no <Key>";
                return;
            }
            if (e.upload_id.empty()) {
                problem = "the upload of '" + e.key + "' has no <UploadId>";
                return;
            }
            e.initiated = detail::child_text(u, "Initiated");
            e.storage_class = detail::child_text(u, "StorageClass");
            if (e.storage_class.empty()) e.storage_class = "STANDARD";
            out.uploads.push_back(std::move(e));
        });
        if (!problem.empty()) return problem;
        f.for_each("CommonPrefixes", [&](const pugi::xml_node& c) {
            bool has_prefix = false;
            std::string prefix = detail::child_text(c, "Prefix", &has_prefix);
            if (has_prefix) out.common_prefixes.push_back(f.decode(std::move(prefix)));
        });
        out.next_key_marker = f.decode(f.text("NextKeyMarker"));
        out.next_upload_id_marker = f.text("NextUploadIdMarker");
        return {};
    });
}

}  // namespace s3merge::s3
