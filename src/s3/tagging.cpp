// GetObjectTagging and the x-amz-tagging header encoding.
#include "s3/xml_util.hpp"
#include "s3merge/s3/multipart.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/uri.hpp"

namespace s3merge::s3 {

http_request build_get_object_tagging(const target& t, const get_object_tagging_params& p) {
    http_request req;
    req.method = "GET";
    req.host = t.host_header;
    req.path = t.object_path(p.key);
    req.query.push_back({"tagging", ""});
    if (!p.version_id.empty()) req.query.push_back({"versionId", p.version_id});
    return req;
}

std::error_code parse_get_object_tagging(const http_response& resp, get_object_tagging_result& out,
                                         diagnostics& diag) {
    out = get_object_tagging_result{};
    if (auto ec = check_response(resp, diag)) return ec;
    pugi::xml_document doc;
    if (auto ec = detail::load_result(resp, "GetObjectTagging", "Tagging", doc, diag)) return ec;
    get_object_tagging_result r;
    bool missing_key = false;
    // An object without tags answers <TagSet/>; a document without a TagSet
    // reads the same.
    const pugi::xml_node tag_set = detail::child(doc.document_element(), "TagSet");
    detail::for_each_child(tag_set, "Tag", [&](const pugi::xml_node& tag) {
        bool has_key = false;
        object_tag t;
        t.key = detail::child_text(tag, "Key", &has_key);
        t.value = detail::child_text(tag, "Value");
        if (!has_key) missing_key = true;
        r.tags.push_back(std::move(t));
    });
    if (missing_key) return detail::malformed(resp, diag, "GetObjectTagging: a <Tag> has no <Key>");
    if (const std::string* v = resp.find_header("x-amz-version-id")) r.version_id = *v;
    out = std::move(r);
    return {};
}

std::string encode_tagging(const std::vector<object_tag>& tags) {
    // Query-string pairs with RFC 3986 percent-encoding: a space goes as %20
    // and a '+' as %2B, so the tag is the same whether the server decodes
    // '+' form-style (as a space) or literally.
    std::string out;
    for (const object_tag& t : tags) {
        if (!out.empty()) out += '&';
        out += uri::encode(t.key);
        out += '=';
        out += uri::encode(t.value);
    }
    return out;
}

}  // namespace s3merge::s3
