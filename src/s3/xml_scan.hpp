// A scanner for the plain XML S3 and compatible servers answer with
// (internal to src/s3): elements without namespace prefixes or attributes
// (the root's xmlns aside), text with the predefined entities and character
// references. Every method returns false for anything else (comments,
// CDATA, attributes, a prefix, an entity it does not know), and the caller
// then leaves the body to the XML document parser, which judges it: a scan
// reads only what the document parser would read to the same result.
//
// Why: a listing page holds up to 1,000 entries and every copy has a
// CopyObjectResult; building a document costs more than the rest of the
// work on them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace s3merge::s3::detail {

// Character data with the five predefined entities and character
// references decoded; false for anything else after a '&'.
bool decode_text(std::string_view t, std::string& out);

// Whether a body may be scanned at all: line ends (the document parser
// normalises CR) and NUL bytes are the document parser's to read.
bool scannable(std::string_view body);

class xml_scanner {
public:
    explicit xml_scanner(std::string_view s) : s_(s) {}

protected:
    std::string_view s_;
    std::size_t i_ = 0;

    // White space, an XML declaration, white space, then "<name" and the
    // root's attributes (xmlns) up to '>'.
    bool root(std::string_view name);
    // At "</": the root's closing tag, then only white space to the end.
    bool end_of_document(std::string_view root_name) { return close_tag(root_name) && at_end(); }
    // Only white space left.
    bool at_end();
    // After the root's name: its attributes (xmlns), name="value" or
    // name='value' each after white space, then '>'.
    bool root_attributes();
    void skip_space();
    bool starts(std::string_view t) const { return s_.substr(i_, t.size()) == t; }
    // "<Name>" or "<Name/>" (empty) at the cursor, past it; false for
    // anything else (a closing tag, a comment, CDATA, attributes, a prefix).
    bool open_tag(std::string_view& name, bool& empty);
    bool close_tag(std::string_view name);
    // The element's text up to its closing tag, decoded.
    bool text_until_close(std::string_view name, std::string& out);
    // A field's text after its opening tag (empty: "<Name/>"), read once:
    // false when it was seen before (twice: the document parser's to
    // judge) or its text cannot be read.
    bool read_once(std::string_view name, bool empty, std::string& out, bool& seen);
    // An element nobody reads, after its opening tag: its text and child
    // elements up to its closing tag.
    bool skip_element(std::string_view name, int depth);
    // An element's children up to its closing tag, each a field read once:
    // pick(name) gives the field's text and its seen flag, or {nullptr,
    // nullptr} for one nobody reads (skipped whole, `depth` deep).
    template <class Pick>
    bool fields_until_close(std::string_view parent, int depth, Pick pick) {
        std::string_view name;
        bool empty = false;
        for (;;) {
            skip_space();
            if (starts("</")) return close_tag(parent);
            if (!open_tag(name, empty)) return false;
            const auto [field, seen] = pick(name);
            if (!field) {
                if (!empty && !skip_element(name, depth)) return false;
            } else if (!read_once(name, empty, *field, *seen)) {
                return false;
            }
        }
    }
};

}  // namespace s3merge::s3::detail
