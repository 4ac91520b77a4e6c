// ListObjectsV2: GET /?list-type=2 and its <ListBucketResult>.
#include "s3/xml_util.hpp"
#include "s3merge/s3/ops.hpp"

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

constexpr bool is_xml_space(char c) {
    return c == ' ' || c == '\t' || c == '\n';  // '\r' never gets here (see scan_list_objects_v2)
}
constexpr bool is_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Character data with the five predefined entities and character
// references decoded; false for anything else after a '&' (the document
// parser then decides what it means).
bool decode_text(std::string_view t, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < t.size();) {
        const std::size_t amp = t.find('&', i);
        out.append(t.substr(i, amp == std::string_view::npos ? amp : amp - i));
        if (amp == std::string_view::npos) break;
        const std::size_t semi = t.find(';', amp);
        if (semi == std::string_view::npos) return false;
        const std::string_view ent = t.substr(amp + 1, semi - amp - 1);
        if (ent == "amp")
            out += '&';
        else if (ent == "lt")
            out += '<';
        else if (ent == "gt")
            out += '>';
        else if (ent == "quot")
            out += '"';
        else if (ent == "apos")
            out += '\'';
        else if (ent.size() >= 2 && ent[0] == '#') {
            const bool hex = ent[1] == 'x';
            const std::string_view digits = ent.substr(hex ? 2 : 1);
            if (digits.empty() || digits.size() > 8) return false;
            std::uint32_t cp = 0;
            for (char c : digits) {
                const int v = hex ? detail::hex_value(c) : c >= '0' && c <= '9' ? c - '0' : -1;
                if (v < 0) return false;
                cp = cp * (hex ? 16 : 10) + static_cast<std::uint32_t>(v);
            }
            if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
            append_utf8(out, cp);
        } else {
            return false;
        }
        i = semi + 1;
    }
    return true;
}

// Reads a ListBucketResult in the plain shape S3 and compatible servers
// send: elements without namespace prefixes or attributes (the root's
// xmlns aside), text with the predefined entities and character
// references, unknown elements skipped whole. Anything else (comments,
// CDATA, a field twice, a value the document parser would reject) makes it
// decline, and the page is read by the document parser instead.
class page_scanner {
public:
    explicit page_scanner(std::string_view s) : s_(s) {}

    bool run(list_objects_v2_result& out) {
        skip_space();
        if (starts("<?xml")) {
            auto end = s_.find("?>", i_);
            if (end == std::string_view::npos) return false;
            i_ = end + 2;
            skip_space();
        }
        if (!starts("<ListBucketResult")) return false;
        i_ += 17;
        if (!root_attributes()) return false;
        std::string token, key_count, truncated, encoding;
        bool has_token = false, has_count = false, has_truncated = false, has_encoding = false;
        std::string_view name;
        bool empty = false;
        for (;;) {
            skip_space();
            if (starts("</ListBucketResult>")) {
                i_ += 19;
                skip_space();
                if (i_ != s_.size()) return false;
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
                if (seen) return false;
                seen = true;
                if (!empty && !text_until_close(name, field)) return false;
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
    std::string_view s_;
    std::size_t i_ = 0;
    std::string size_;  // a <Size>'s text, reused

    // After the root's name: its attributes (xmlns), name="value" or
    // name='value' each after white space, then '>'.
    bool root_attributes() {
        for (;;) {
            const std::size_t before = i_;
            skip_space();
            if (i_ >= s_.size()) return false;
            if (s_[i_] == '>') {
                ++i_;
                return true;
            }
            if (i_ == before) return false;  // no space before an attribute
            const std::size_t name = i_;
            while (i_ < s_.size() && (is_name_char(s_[i_]) || s_[i_] == ':')) ++i_;
            if (i_ == name || i_ >= s_.size() || s_[i_] != '=') return false;
            ++i_;
            if (i_ >= s_.size() || (s_[i_] != '"' && s_[i_] != '\'')) return false;
            const std::size_t close = s_.find(s_[i_], i_ + 1);
            if (close == std::string_view::npos) return false;
            const std::string_view value = s_.substr(i_ + 1, close - i_ - 1);
            if (value.find_first_of("<&") != std::string_view::npos) return false;
            i_ = close + 1;
        }
    }
    void skip_space() {
        while (i_ < s_.size() && is_xml_space(s_[i_])) ++i_;
    }
    bool starts(std::string_view t) const { return s_.substr(i_, t.size()) == t; }

    // "<Name>" or "<Name/>" (empty) at the cursor, past it; false for
    // anything else (a closing tag, a comment, CDATA, attributes, a prefix).
    bool open_tag(std::string_view& name, bool& empty) {
        if (i_ >= s_.size() || s_[i_] != '<') return false;
        std::size_t j = i_ + 1;
        while (j < s_.size() && is_name_char(s_[j])) ++j;
        if (j == i_ + 1 || j >= s_.size()) return false;
        name = s_.substr(i_ + 1, j - i_ - 1);
        if (s_[j] == '>') {
            empty = false;
            i_ = j + 1;
            return true;
        }
        if (s_[j] == '/' && j + 1 < s_.size() && s_[j + 1] == '>') {
            empty = true;
            i_ = j + 2;
            return true;
        }
        return false;
    }
    bool close_tag(std::string_view name) {
        if (!starts("</") || s_.substr(i_ + 2, name.size()) != name || i_ + 2 + name.size() >= s_.size() ||
            s_[i_ + 2 + name.size()] != '>')
            return false;
        i_ += name.size() + 3;
        return true;
    }
    // The element's text up to its closing tag, decoded.
    bool text_until_close(std::string_view name, std::string& out) {
        const std::size_t lt = s_.find('<', i_);
        if (lt == std::string_view::npos) return false;
        const std::string_view text = s_.substr(i_, lt - i_);
        if (text.find('&') == std::string_view::npos)
            out.assign(text);
        else if (!decode_text(text, out))
            return false;
        i_ = lt;
        return close_tag(name);
    }
    // An element nobody reads, after its opening tag: its text and child
    // elements up to its closing tag.
    bool skip_element(std::string_view name, int depth) {
        if (depth > 8) return false;
        for (;;) {
            const std::size_t lt = s_.find('<', i_);
            if (lt == std::string_view::npos) return false;
            i_ = lt;
            if (starts("</")) return close_tag(name);
            std::string_view child;
            bool empty = false;
            if (!open_tag(child, empty)) return false;
            if (!empty && !skip_element(child, depth + 1)) return false;
        }
    }
    bool contents(list_objects_v2_result& out) {
        object_entry e;
        bool has_key = false, has_size = false, has_etag = false, has_modified = false, has_class = false;
        std::string_view name;
        bool empty = false;
        for (;;) {
            skip_space();
            if (starts("</Contents>")) {
                i_ += 11;
                break;
            }
            if (!open_tag(name, empty)) return false;
            std::string* field = nullptr;
            bool* seen = nullptr;
            if (name == "Key")
                field = &e.key, seen = &has_key;
            else if (name == "Size")
                field = &size_, seen = &has_size;
            else if (name == "ETag")
                field = &e.etag, seen = &has_etag;
            else if (name == "LastModified")
                field = &e.last_modified, seen = &has_modified;
            else if (name == "StorageClass")
                field = &e.storage_class, seen = &has_class;
            if (!field) {
                if (!empty && !skip_element(name, 2)) return false;
                continue;
            }
            if (*seen) return false;
            *seen = true;
            if (empty)
                field->clear();
            else if (!text_until_close(name, *field))
                return false;
        }
        if (!has_key || !has_size || !detail::parse_u64(size_, e.size)) return false;
        if (has_etag) detail::strip_etag_quotes_in_place(e.etag);
        if (e.storage_class.empty()) e.storage_class = "STANDARD";
        out.objects.push_back(std::move(e));
        return true;
    }
};

}  // namespace

bool scan_list_objects_v2(std::string_view body, list_objects_v2_result& out) {
    out = list_objects_v2_result{};
    // Line ends (the parser normalises CR) and NUL bytes are the document
    // parser's to read.
    if (body.find('\r') != std::string_view::npos || body.find('\0') != std::string_view::npos) return false;
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
