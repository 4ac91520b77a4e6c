// ListObjectsV2: GET /?list-type=2 and its <ListBucketResult>.
#include "s3/xml_scan.hpp"
#include "s3/xml_util.hpp"
#include "s3merge/s3/ops.hpp"

#include <algorithm>
#include <tuple>

#include "s3merge/ascii.hpp"

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

namespace {

// Reads a ListBucketResult in the plain shape S3 and compatible servers
// send: elements without namespace prefixes or attributes (the root's
// xmlns aside), text with the predefined entities and character
// references, unknown elements skipped whole. Anything else (comments,
// CDATA, a field twice, a value the document parser would reject) makes it
// decline, and the page is read by the document parser instead.
class page_scanner : detail::xml_scanner {
public:
    explicit page_scanner(std::string_view s) : xml_scanner(s) {}

    bool run(list_objects_v2_result& out) {
        if (!root("ListBucketResult")) return false;
        std::string token, key_count, truncated, encoding;
        bool has_token = false, has_count = false, has_truncated = false, has_encoding = false;
        std::string_view name;
        bool empty = false;
        for (;;) {
            skip_space();
            if (starts("</")) {
                if (!end_of_document("ListBucketResult")) return false;
                break;
            }
            if (!open_tag(name, empty)) return false;
            if (name == "Contents") {
                if (empty || !contents(out)) return false;
            } else if (name == "CommonPrefixes") {
                std::string_view inner;
                bool inner_empty = false;
                skip_space();
                if (empty || !open_tag(inner, inner_empty) || inner != "Prefix") return false;
                std::string& p = out.common_prefixes.emplace_back();
                if (!inner_empty && !text_until_close(inner, p)) return false;
                skip_space();
                if (!close_tag(name)) return false;
            } else if (name == "NextContinuationToken" || name == "KeyCount" || name == "IsTruncated" ||
                       name == "EncodingType") {
                auto [field, seen] = name == "NextContinuationToken" ? std::tie(token, has_token)
                                     : name == "KeyCount"            ? std::tie(key_count, has_count)
                                     : name == "IsTruncated"         ? std::tie(truncated, has_truncated)
                                                                     : std::tie(encoding, has_encoding);
                if (!read_once(name, empty, field, seen)) return false;
            } else if (!empty && !skip_element(name, 1)) {
                return false;
            }
        }
        if (iequals(encoding, "url")) {
            for (auto& o : out.objects) detail::url_decode_plus_in_place(o.key);
            for (auto& p : out.common_prefixes) detail::url_decode_plus_in_place(p);
        }
        out.next_continuation_token = std::move(token);
        if (!has_count)
            out.key_count = static_cast<int>(out.objects.size() + out.common_prefixes.size());
        else if (!detail::parse_int(key_count, out.key_count))
            return false;
        if (has_truncated && !detail::parse_bool(truncated, out.is_truncated)) return false;
        return !out.is_truncated || !out.next_continuation_token.empty();
    }

private:
    std::string size_;  // a <Size>'s text, reused

    bool contents(list_objects_v2_result& out) {
        object_entry e;
        bool has_key = false, has_size = false, has_etag = false, has_modified = false, has_class = false;
        const bool read =
            fields_until_close("Contents", 2, [&](std::string_view name) -> std::pair<std::string*, bool*> {
                if (name == "Key") return {&e.key, &has_key};
                if (name == "Size") return {&size_, &has_size};
                if (name == "ETag") return {&e.etag, &has_etag};
                if (name == "LastModified") return {&e.last_modified, &has_modified};
                if (name == "StorageClass") return {&e.storage_class, &has_class};
                return {nullptr, nullptr};
            });
        if (!read || !has_key || !has_size || !detail::parse_u64(size_, e.size)) return false;
        if (has_etag) detail::strip_etag_quotes_in_place(e.etag);
        if (e.storage_class.empty()) e.storage_class = "STANDARD";
        out.objects.push_back(std::move(e));
        return true;
    }
};

}  // namespace

bool scan_list_objects_v2(std::string_view body, list_objects_v2_result& out) {
    out = list_objects_v2_result{};
    if (!detail::scannable(body)) return false;
    // Room for the page's entries at once (an entry is ~250 bytes or more
    // of XML), not grown by doubling: each growth moves every entry so far.
    out.objects.reserve(std::min<std::size_t>(body.size() / 200, 1000));
    page_scanner scan(body);
    if (scan.run(out)) return true;
    out = list_objects_v2_result{};
    return false;
}

std::error_code parse_list_objects_v2(const http_response& resp, list_objects_v2_result& out,
                                      diagnostics& diag) {
    // Most pages take the scan: a listing page holds up to 1,000 entries
    // on both sides of a job, and building the document costs about half
    // of the client's CPU per listed key.
    if (resp.status >= 200 && resp.status < 300 && scan_list_objects_v2(resp.body, out)) return {};
    return parse_list_objects_v2_document(resp, out, diag);
}

std::error_code parse_list_objects_v2_document(const http_response& resp, list_objects_v2_result& out,
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
