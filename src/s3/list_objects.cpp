// ListObjectsV2: GET /?list-type=2 and its <ListBucketResult>.
#include "s3/xml_util.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::s3 {

http_request build_list_objects_v2(const target& t, const list_objects_v2_params& p) {
    http_request req;
    req.method = "GET";
    req.host = t.host_header;
    req.path = t.object_path({});
    req.query.push_back({"list-type", "2"});
    // Only non-empty parameters: "prefix=" and no prefix are the same to S3,
    // but not to every compatible server's signature check.
    if (!p.prefix.empty()) req.query.push_back({"prefix", p.prefix});
    if (!p.delimiter.empty()) req.query.push_back({"delimiter", p.delimiter});
    if (p.max_keys > 0) req.query.push_back({"max-keys", std::to_string(p.max_keys)});
    if (!p.continuation_token.empty()) req.query.push_back({"continuation-token", p.continuation_token});
    if (!p.start_after.empty()) req.query.push_back({"start-after", p.start_after});
    if (p.encoding_type_url) req.query.push_back({"encoding-type", "url"});
    return req;
}

std::error_code parse_list_objects_v2(const http_response& resp, list_objects_v2_result& out,
                                      diagnostics& diag) {
    static constexpr detail::page_spec spec{"ListObjectsV2", "ListBucketResult", "NextContinuationToken"};
    return detail::parse_page(resp, spec, out, diag, [&](const detail::page_frame& f) -> std::string {
        // Like botocore's decode_list_object_v2, the continuation token is
        // opaque and never decoded.
        // One pass over each <Contents>, text taken straight from the node
        // when it is a single text child (the usual case): a listing page
        // holds up to 1,000 entries and this runs for every one of them, on
        // both sides.
        std::string problem;
        std::string size;
        out.objects.reserve(f.count("Contents"));
        f.for_each("Contents", [&](const pugi::xml_node& c) {
            if (!problem.empty()) return;
            object_entry e;
            bool has_key = false, has_size = false, has_etag = false;
            size.clear();
            for (pugi::xml_node n = c.first_child(); n; n = n.next_sibling()) {
                if (n.type() != pugi::node_element) continue;
                std::string_view name = detail::local_name(n);
                if (name == "Key") {
                    detail::text_into(n, e.key);
                    has_key = true;
                } else if (name == "Size") {
                    detail::text_into(n, size);
                    has_size = true;
                } else if (name == "ETag") {
                    detail::text_into(n, e.etag);
                    has_etag = true;
                } else if (name == "LastModified") {
                    detail::text_into(n, e.last_modified);
                } else if (name == "StorageClass") {
                    detail::text_into(n, e.storage_class);
                }
            }
            if (!has_key) {
                problem = "a <Contents> entry has no <Key>";
                return;
            }
            if (f.url) detail::url_decode_plus_in_place(e.key);
            if (!has_size || !detail::parse_u64(size, e.size)) {
                problem = "object '" + e.key + "' has an invalid <Size> '" + size + "'";
                return;
            }
            if (has_etag) detail::strip_etag_quotes_in_place(e.etag);
            if (e.storage_class.empty()) e.storage_class = "STANDARD";
            out.objects.push_back(std::move(e));
        });
        if (!problem.empty()) return problem;
        f.for_each("CommonPrefixes", [&](const pugi::xml_node& c) {
            bool has_prefix = false;
            std::string prefix = detail::child_text(c, "Prefix", &has_prefix);
            if (has_prefix) out.common_prefixes.push_back(f.decode(std::move(prefix)));
        });
        out.next_continuation_token = f.text("NextContinuationToken");
        bool has_count = false;
        std::string count = f.text("KeyCount", &has_count);
        if (!has_count)
            out.key_count = static_cast<int>(out.objects.size() + out.common_prefixes.size());
        else if (!detail::parse_int(count, out.key_count))
            return "invalid <KeyCount> '" + count + "'";
        return {};
    });
}

}  // namespace s3merge::s3
