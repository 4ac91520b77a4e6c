#include "s3/xml_scan.hpp"

#include <cstdint>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "s3/xml_util.hpp"

namespace s3merge::s3::detail {

namespace {

constexpr bool is_xml_space(char c) {
    return c == ' ' || c == '\t' || c == '\n';  // '\r' never gets here (see scannable)
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

}  // namespace

bool decode_text(std::string_view t, std::string& out) {
    // An ETag as S3 sends it, "&quot;<hex>&quot;", in one step: most texts
    // with an entity are that.
    constexpr std::string_view quot = "&quot;";
    if (t.size() >= 2 * quot.size() && t.starts_with(quot) && t.ends_with(quot)) {
        const std::string_view inner = t.substr(quot.size(), t.size() - 2 * quot.size());
        if (inner.find('&') == std::string_view::npos) {
            out.clear();
            out.reserve(inner.size() + 2);
            out += '"';
            out += inner;
            out += '"';
            return true;
        }
    }
    out.clear();
    // Decoding only shortens: one allocation at most (an ETag's "&quot;"
    // would otherwise grow the string twice).
    out.reserve(t.size());
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

bool scannable(std::string_view body) {
    return body.find('\r') == std::string_view::npos && body.find('\0') == std::string_view::npos;
}

bool xml_scanner::root(std::string_view name) {
    skip_space();
    if (starts("<?xml")) {
        auto end = s_.find("?>", i_);
        if (end == std::string_view::npos) return false;
        i_ = end + 2;
        skip_space();
    }
    if (!starts("<") || s_.substr(i_ + 1, name.size()) != name) return false;
    i_ += 1 + name.size();
    return root_attributes();
}

bool xml_scanner::at_end() {
    skip_space();
    return i_ == s_.size();
}

bool xml_scanner::root_attributes() {
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

void xml_scanner::skip_space() {
    while (i_ < s_.size() && is_xml_space(s_[i_])) ++i_;
}

bool xml_scanner::open_tag(std::string_view& name, bool& empty) {
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

bool xml_scanner::close_tag(std::string_view name) {
    if (!starts("</") || s_.substr(i_ + 2, name.size()) != name || i_ + 2 + name.size() >= s_.size() ||
        s_[i_ + 2 + name.size()] != '>')
        return false;
    i_ += name.size() + 3;
    return true;
}

namespace {
// The first '<' or '&' at or after `from`, or s.size(): one pass, sixteen
// bytes at a time, where finding the '<' and then looking for an '&' in the
// text took two (a listing reads five texts per key).
std::size_t first_lt_or_amp(std::string_view s, std::size_t from) {
    std::size_t i = from;
#if defined(__SSE2__)
    const __m128i lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&');
    for (; i + 16 <= s.size(); i += 16) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i));
        const unsigned hit = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp))));
        if (hit) return i + static_cast<std::size_t>(__builtin_ctz(hit));
    }
#endif
    for (; i < s.size(); ++i)
        if (s[i] == '<' || s[i] == '&') return i;
    return s.size();
}
}  // namespace

bool xml_scanner::text_until_close(std::string_view name, std::string& out) {
    std::size_t lt = first_lt_or_amp(s_, i_);
    if (lt == s_.size()) return false;
    const bool has_entity = s_[lt] == '&';
    if (has_entity) {
        lt = s_.find('<', lt);
        if (lt == std::string_view::npos) return false;
    }
    const std::string_view text = s_.substr(i_, lt - i_);
    if (!has_entity)
        out.assign(text);
    else if (!decode_text(text, out))
        return false;
    i_ = lt;
    return close_tag(name);
}

bool xml_scanner::read_once(std::string_view name, bool empty, std::string& out, bool& seen) {
    if (seen) return false;
    seen = true;
    if (!empty) return text_until_close(name, out);
    out.clear();
    return true;
}

bool xml_scanner::skip_element(std::string_view name, int depth) {
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

}  // namespace s3merge::s3::detail
