// Private helpers shared by the S3 request builders and response parsers:
// pugixml loading and reading, XML building, and the small value decoders
// (ETag quotes, url-encoded keys, integers). Pure; no I/O.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <pugixml.hpp>

#include "s3merge/ascii.hpp"
#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::s3::detail {

// An unsigned request for a key of the target's bucket ("" = the bucket).
inline http_request request_for(const target& t, std::string_view key, const char* method) {
    http_request req;
    req.method = method;
    req.host = t.host_header;
    req.path = t.object_path(key);
    // Room for the operation's headers and the five the signer adds (Host,
    // X-Amz-Date, x-amz-content-sha256, a session token, Authorization).
    req.headers.reserve(12);
    return req;
}

inline constexpr const char* s3_xmlns = "http://s3.amazonaws.com/doc/2006-03-01/";

// ---- reading --------------------------------------------------------------

// Parses `body` as UTF-8 XML (no DTD expansion: pugixml never loads external
// entities). Keeps whitespace-only text of leaf elements, so a key " " is not
// lost. On failure returns false and a one-line reason in `why`.
bool load_xml(std::string_view body, pugi::xml_document& doc, std::string& why);

// Element name without a namespace prefix ("s3:Key" -> "Key").
std::string_view local_name(const pugi::xml_node& n);
// local_name(n) == want, cheaper: the name as sent first (S3 sends none
// with a prefix), the part after a prefix only when there is one.
inline bool has_local_name(const pugi::xml_node& n, std::string_view want) {
    const char* name = n.name();
    if (std::strncmp(name, want.data(), want.size()) == 0 && name[want.size()] == '\0') return true;
    const char* colon = std::strchr(name, ':');
    return colon && std::string_view(colon + 1) == want;
}
// First child element with that local name; a null node when absent.
pugi::xml_node child(const pugi::xml_node& parent, std::string_view name);
// Concatenated character data (PCDATA and CDATA) of an element.
std::string text_of(const pugi::xml_node& element);
// out = text_of(element), without a temporary when the element holds its
// text in itself and has no child node (the usual case).
void text_into(const pugi::xml_node& element, std::string& out);
// text_of(child(parent, name)); `present` (if given) tells whether it exists.
std::string child_text(const pugi::xml_node& parent, std::string_view name, bool* present = nullptr);

// Calls fn(element) for every child element with that local name, in order.
template <class Fn>
void for_each_child(const pugi::xml_node& parent, std::string_view name, Fn&& fn) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling())
        if (c.type() == pugi::node_element && has_local_name(c, name)) fn(c);
}

// Loads a 2xx response body that must be a `<expected_root>` document.
// An <Error> document (S3 may answer 200 and fail later, e.g. CopyObject) is
// classified like any error response; an unparsable body or another root is
// malformed_response with diag.detail saying why.
std::error_code load_result(const http_response& resp, std::string_view operation,
                            std::string_view expected_root, pugi::xml_document& doc, diagnostics& diag);

// Fills diag from an <Error> element (and the x-amz-request-id / x-amz-id-2
// headers as fallbacks) and classifies it.
std::error_code error_from_document(const pugi::xml_node& error, const http_response& resp,
                                    diagnostics& diag);

// Sets diag for a malformed response and returns errc::malformed_response.
std::error_code malformed(const http_response& resp, diagnostics& diag, std::string detail);

// ---- listing pages ----------------------------------------------------------

// A listing page being read: its root element and whether its keys are
// URL-encoded (only when the answer says so in <EncodingType>: a server that
// ignores encoding-type=url sends raw keys).
struct page_frame {
    pugi::xml_node root;
    bool url = false;
    std::string decode(std::string s) const;

    // The root's children by local name, found in one pass: a page holds
    // up to 1,000 entries, and looking for each field the answer may lack
    // (<EncodingType>, <NextContinuationToken> on the last page) would walk
    // all of them again.
    struct name_slot {
        std::string name;
        pugi::xml_node first;
        std::size_t count = 0;
    };
    std::vector<name_slot> children;
    void index_children();
    const name_slot* slot(std::string_view name) const;  // null when absent
    // First child element with that local name (null when absent), how many
    // there are, and the first one's text (`present` tells whether it exists).
    pugi::xml_node first(std::string_view name) const;
    std::size_t count(std::string_view name) const;
    std::string text(std::string_view name, bool* present = nullptr) const;
    // Calls fn for each child element with that local name, in order.
    template <class Fn>
    void for_each(std::string_view name, Fn&& fn) const {
        for (pugi::xml_node c = first(name); c; c = c.next_sibling())
            if (c.type() == pugi::node_element && has_local_name(c, name)) fn(c);
    }
};

// What a paged listing's answer must carry.
struct page_spec {
    std::string_view operation;  // "ListObjectsV2"
    std::string_view root;       // "ListBucketResult"
    std::string_view marker;     // what a truncated page continues from: "NextContinuationToken"
};

// The skeleton every paged listing shares: the error model (check_response),
// the document and its root, the entries (read by `entries`, which returns
// "" or what is wrong), <IsTruncated>, and a truncated page that names no
// `spec.marker` (the caller would list the first page again, forever). A
// failure leaves `out` empty: never a partial page.
template <class Result, class Entries>
std::error_code parse_page(const http_response& resp, const page_spec& spec, Result& out, diagnostics& diag,
                           Entries&& entries);

// ---- values ---------------------------------------------------------------

// The value of a hex digit (either case), -1 for any other character.
int hex_value(char c);

// Decimal digits only, no sign, no overflow.
bool parse_u64(std::string_view s, std::uint64_t& out);
bool parse_int(std::string_view s, int& out);
// "true" / "false", ASCII case-insensitive.
bool parse_bool(std::string_view s, bool& out);

// `"abc"` -> `abc`. pugixml has already turned `&quot;` into '"'.
std::string strip_etag_quotes(std::string_view etag);
void strip_etag_quotes_in_place(std::string& etag);
// S3 compares ETags in CompleteMultipartUpload, x-amz-copy-source-if-match,
// If-Match and DeleteObjects' <ETag> with their double quotes; our parsers
// hand them out without.
std::string quote_etag(std::string_view etag);
void append_quoted_etag(std::string& out, std::string_view etag);

// Form-style percent-decoding, as botocore's unquote_str (= Python's
// urllib.parse.unquote_plus) applies to ListObjectsV2 with
// EncodingType=url: '+' is a space, %XX a byte; an invalid % sequence is kept
// verbatim. S3 itself encodes a literal '+' as %2B, so no key is lost.
std::string url_decode_plus(std::string_view s);
void url_decode_plus_in_place(std::string& s);

// ---- writing --------------------------------------------------------------

// Empty when `s` can be carried as XML 1.0 character data; otherwise why not
// ("is not valid UTF-8 at byte 3", "contains the control character U+0001").
// XML 1.0 allows only #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] |
// [#x10000-#x10FFFF], not even as character references.
std::string xml_text_problem(std::string_view s);

// Serializes without indentation. CR and LF inside text are written as
// &#13; / &#10; so the receiving parser's end-of-line normalisation cannot
// change a key (botocore's escape_xml_payload does the same). pugixml escapes
// & < > itself.
std::string serialize(const pugi::xml_document& doc);

// A new document with the declaration and a root element in the S3 namespace.
pugi::xml_node start_document(pugi::xml_document& doc, const char* root_name);

// ---- requests -------------------------------------------------------------

// "x-amz-meta-" + name, unless name already carries the prefix.
std::string meta_header_name(std::string_view name);

template <class Result, class Entries>
std::error_code parse_page(const http_response& resp, const page_spec& spec, Result& out, diagnostics& diag,
                           Entries&& entries) {
    out = Result{};
    auto ec = [&]() -> std::error_code {
        if (auto ec = check_response(resp, diag)) return ec;
        pugi::xml_document doc;
        if (auto ec = load_result(resp, spec.operation, spec.root, doc, diag)) return ec;
        page_frame f;
        f.root = doc.document_element();
        f.index_children();
        f.url = iequals(f.text("EncodingType"), "url");
        std::string problem = entries(f);
        if (!problem.empty()) return malformed(resp, diag, std::string(spec.operation) + ": " + problem);
        bool has_truncated = false;
        std::string truncated = f.text("IsTruncated", &has_truncated);
        if (has_truncated && !parse_bool(truncated, out.is_truncated))
            return malformed(resp, diag,
                             std::string(spec.operation) + ": invalid <IsTruncated> '" + truncated + "'");
        if (out.is_truncated && f.text(spec.marker).empty())
            return malformed(resp, diag,
                             std::string(spec.operation) + ": <IsTruncated> is true but there is no <" +
                                 std::string(spec.marker) + ">");
        return {};
    }();
    if (ec) out = Result{};
    return ec;
}

}  // namespace s3merge::s3::detail
