#include "s3/xml_util.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstddef>
#include <cstring>
#include <limits>
#include <new>

#include "s3merge/s3/ops.hpp"

namespace s3merge::s3::detail {

namespace {

// parse_embed_pcdata: an element's first text is kept in the element itself
// rather than in a child node of its own (a listing entry is 11 nodes
// instead of 6); text_of reads both.
constexpr unsigned parse_options =
    pugi::parse_default | pugi::parse_ws_pcdata_single | pugi::parse_embed_pcdata;

// Writes pugixml's output, turning raw CR/LF (which can only come from text
// nodes, as format_raw adds no line breaks) into character references.
class crlf_escaping_writer final : public pugi::xml_writer {
public:
    explicit crlf_escaping_writer(std::string& out) : out_(out) {}
    void write(const void* data, size_t size) override {
        const char* p = static_cast<const char*>(data);
        for (size_t i = 0; i < size; ++i) {
            if (p[i] == '\r')
                out_ += "&#13;";
            else if (p[i] == '\n')
                out_ += "&#10;";
            else
                out_ += p[i];
        }
    }

private:
    std::string& out_;
};

// pugixml allocates a document's nodes in pages of ~32 KiB, so parsing even
// a CopyObject result of 200 bytes allocates one, and a copy of the buffer
// besides. Its allocations go through the program's operator new and a sized
// delete (the size is kept in a header), so the program's heap
// (src/cli/heap.cpp: small blocks by class, a few large ones such as these
// pages) serves them again instead of glibc's bins: a block of a page's size
// made glibc consolidate its fast bins, which then slowed every small
// allocation after it. The functions are installed before main, before any
// document exists (pugixml requires that: memory must be freed by the
// allocator that gave it).
class xml_memory {
public:
    static constexpr std::size_t header = 16;  // the block's size, keeping 16-byte alignment

    static void* allocate(size_t size) {
        void* b = ::operator new(size + header, std::nothrow);
        if (!b) return nullptr;
        *static_cast<std::size_t*>(b) = size;
        return static_cast<char*>(b) + header;
    }

    static void deallocate(void* p) {
        if (!p) return;
        void* b = static_cast<char*>(p) - header;
#if defined(__cpp_sized_deallocation)
        ::operator delete(b, *static_cast<std::size_t*>(b) + header);
#else  // clang without -fsized-deallocation (the fuzz build): the heap reads the size itself
        ::operator delete(b);
#endif
    }
};

[[maybe_unused]] const bool xml_memory_installed = [] {
    pugi::set_memory_management_functions(xml_memory::allocate, xml_memory::deallocate);
    return true;
}();

std::string code_point_name(std::uint32_t cp) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
    return buf;
}

}  // namespace

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

bool load_xml(std::string_view body, pugi::xml_document& doc, std::string& why) {
    pugi::xml_parse_result r = doc.load_buffer(body.data(), body.size(), parse_options, pugi::encoding_utf8);
    if (!r) {
        why = std::string(r.description()) + " at byte " + std::to_string(r.offset);
        return false;
    }
    if (!doc.document_element()) {
        why = "no root element";
        return false;
    }
    return true;
}

std::string_view local_name(const pugi::xml_node& n) {
    std::string_view name = n.name();
    auto colon = name.find(':');
    return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

pugi::xml_node child(const pugi::xml_node& parent, std::string_view name) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element && has_local_name(c, name)) return c;
    return {};
}

std::string text_of(const pugi::xml_node& element) {
    // With parse_embed_pcdata the first text, when it comes before any child
    // node, is the element's value; text after a child (CDATA) is a node.
    std::string out = element.type() == pugi::node_element ? element.value() : "";
    for (pugi::xml_node c = element.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_pcdata || c.type() == pugi::node_cdata) out += c.value();
    return out;
}

void text_into(const pugi::xml_node& element, std::string& out) {
    // The usual element holds its text in itself and has no child node.
    if (!element.first_child())
        out.assign(element.type() == pugi::node_element ? element.value() : "");
    else
        out = text_of(element);
}

std::string child_text(const pugi::xml_node& parent, std::string_view name, bool* present) {
    pugi::xml_node c = child(parent, name);
    if (present) *present = static_cast<bool>(c);
    return c ? text_of(c) : std::string();
}

std::error_code malformed(const http_response& resp, diagnostics& diag, std::string detail) {
    diag.http_status = resp.status;
    if (!diag.detail.empty()) diag.detail += "; ";
    diag.detail += detail;
    if (const std::string* id = resp.find_header("x-amz-request-id"); id && diag.request_id.empty())
        diag.request_id = *id;
    return make_error_code(errc::malformed_response);
}

std::error_code load_result(const http_response& resp, std::string_view operation,
                            std::string_view expected_root, pugi::xml_document& doc, diagnostics& diag) {
    std::string why;
    if (resp.body.empty())
        return malformed(resp, diag, std::string(operation) + " response has an empty body");
    if (!load_xml(resp.body, doc, why))
        return malformed(resp, diag, std::string(operation) + " response is not well-formed XML: " + why);
    pugi::xml_node root = doc.document_element();
    if (local_name(root) == "Error") return error_from_document(root, resp, diag);
    if (local_name(root) != expected_root)
        return malformed(resp, diag,
                         std::string(operation) + " response has root element <" +
                             std::string(local_name(root)) + ">, expected <" + std::string(expected_root) +
                             ">");
    return {};
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

bool parse_int(std::string_view s, int& out) {
    std::uint64_t v = 0;
    if (!parse_u64(s, v) || v > static_cast<std::uint64_t>(std::numeric_limits<int>::max())) return false;
    out = static_cast<int>(v);
    return true;
}

bool parse_bool(std::string_view s, bool& out) {
    if (iequals(s, "true")) {
        out = true;
        return true;
    }
    if (iequals(s, "false")) {
        out = false;
        return true;
    }
    return false;
}

namespace {
bool quoted(std::string_view etag) {
    return etag.size() >= 2 && etag.front() == '"' && etag.back() == '"';
}
}  // namespace

void strip_etag_quotes_in_place(std::string& etag) {
    if (quoted(etag)) {
        etag.pop_back();
        etag.erase(0, 1);
    }
}

std::string strip_etag_quotes(std::string_view etag) {
    std::string out(etag);
    strip_etag_quotes_in_place(out);
    return out;
}

std::string quote_etag(std::string_view etag) {
    std::string out;
    append_quoted_etag(out, etag);
    return out;
}

void append_quoted_etag(std::string& out, std::string_view etag) {
    if (quoted(etag)) {
        out += etag;
        return;
    }
    out.reserve(out.size() + etag.size() + 2);
    out += '"';
    out += etag;
    out += '"';
}

void page_frame::index_children() {
    children.clear();
    const char* last = nullptr;  // the raw name of the previous element: entries come in runs
    name_slot* last_slot = nullptr;
    for (pugi::xml_node c = root.first_child(); c; c = c.next_sibling()) {
        if (c.type() != pugi::node_element) continue;
        const char* raw = c.name();
        if (last && std::strcmp(raw, last) == 0) {
            ++last_slot->count;
            continue;
        }
        std::string_view name = local_name(c);
        auto it = std::find_if(children.begin(), children.end(),
                               [&](const name_slot& s) { return s.name == name; });
        if (it == children.end()) it = children.insert(children.end(), name_slot{std::string(name), c, 0});
        ++it->count;
        last = raw;
        last_slot = &*it;
    }
}

const page_frame::name_slot* page_frame::slot(std::string_view name) const {
    for (const auto& s : children)
        if (s.name == name) return &s;
    return nullptr;
}

pugi::xml_node page_frame::first(std::string_view name) const {
    const name_slot* s = slot(name);
    return s ? s->first : pugi::xml_node();
}

std::size_t page_frame::count(std::string_view name) const {
    const name_slot* s = slot(name);
    return s ? s->count : 0;
}

std::string page_frame::text(std::string_view name, bool* present) const {
    pugi::xml_node c = first(name);
    if (present) *present = static_cast<bool>(c);
    return c ? text_of(c) : std::string();
}

std::string page_frame::decode(std::string s) const {
    return url ? url_decode_plus(s) : s;
}

std::string url_decode_plus(std::string_view s) {
    std::string out(s);
    url_decode_plus_in_place(out);
    return out;
}

void url_decode_plus_in_place(std::string& s) {
    // Most keys have nothing encoded: two vector scans, no copy.
    // (find_first_of would call memchr once per byte of the key.)
    const char* pct = static_cast<const char*>(std::memchr(s.data(), '%', s.size()));
    const char* plus = static_cast<const char*>(std::memchr(s.data(), '+', s.size()));
    if (!pct && !plus) return;
    std::size_t i = static_cast<std::size_t>((!pct ? plus : !plus ? pct : std::min(pct, plus)) - s.data());
    std::size_t o = i;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c == '+') {
            s[o++] = ' ';
        } else if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            s[o++] = static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
            i += 2;
        } else {
            s[o++] = c;
        }
    }
    s.resize(o);
}

std::string xml_text_problem(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    for (std::size_t i = 0; i < n;) {
        unsigned char b = p[i];
        std::uint32_t cp = 0;
        std::size_t len = 0;
        if (b < 0x80) {
            cp = b;
            len = 1;
        } else if (b >= 0xC2 && b <= 0xDF) {
            cp = b & 0x1F;
            len = 2;
        } else if (b >= 0xE0 && b <= 0xEF) {
            cp = b & 0x0F;
            len = 3;
        } else if (b >= 0xF0 && b <= 0xF4) {
            cp = b & 0x07;
            len = 4;
        } else {
            return "is not valid UTF-8 at byte " + std::to_string(i);
        }
        if (i + len > n) return "is not valid UTF-8 at byte " + std::to_string(i) + " (truncated)";
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return "is not valid UTF-8 at byte " + std::to_string(i);
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        // Overlong forms, surrogates and values above U+10FFFF are not UTF-8.
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF))
            return "is not valid UTF-8 at byte " + std::to_string(i);
        bool allowed = cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
                       (cp >= 0xE000 && cp <= 0xFFFD) || cp >= 0x10000;
        if (!allowed)
            return "contains the character " + code_point_name(cp) + " at byte " + std::to_string(i) +
                   ", which XML 1.0 cannot carry";
        i += len;
    }
    return {};
}

std::string serialize(const pugi::xml_document& doc) {
    std::string out;
    crlf_escaping_writer w(out);
    doc.save(w, "", pugi::format_raw, pugi::encoding_utf8);
    return out;
}

pugi::xml_node start_document(pugi::xml_document& doc, const char* root_name) {
    doc.reset();
    pugi::xml_node decl = doc.append_child(pugi::node_declaration);
    decl.append_attribute("version") = "1.0";
    decl.append_attribute("encoding") = "UTF-8";
    pugi::xml_node root = doc.append_child(root_name);
    root.append_attribute("xmlns") = s3_xmlns;
    return root;
}

std::string meta_header_name(std::string_view name) {
    constexpr std::string_view prefix = "x-amz-meta-";
    if (name.size() >= prefix.size() && iequals(name.substr(0, prefix.size()), prefix))
        return std::string(name);
    return std::string(prefix) + std::string(name);
}

}  // namespace s3merge::s3::detail
