// The INI dialect of the AWS CLI's config and credentials files, as Python's
// configparser.RawConfigParser reads it for botocore (configloader.py):
//
//   - "[name]" starts a section; the name is kept as written (trimmed).
//   - "key = value" or "key: value"; the key is lower-cased, both trimmed.
//     No inline comments: "region = us-east-1 # prod" keeps the '#'.
//   - Lines whose first non-blank character is '#' or ';' are comments.
//   - A line indented deeper than the key above it continues that key. If
//     the key's own value was empty, the continuation lines are a nested
//     block ("s3 =\n  addressing_style = path") stored as "s3.addressing_style";
//     otherwise they extend the value, joined with '\n'.
//   - Any other line is an error, reported by line number only: the line
//     may hold a secret, so its text is never echoed.
//
// Where we differ: configparser rejects duplicate keys and sections; here a
// repeated section is merged and a later key replaces the earlier one (the
// contract in config.hpp). A UTF-8 byte order mark is skipped.
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "s3merge/aws/config.hpp"
#include "s3merge/ascii.hpp"

namespace s3merge::aws {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

std::string_view trim(std::string_view s) {
    std::size_t b = 0;
    while (b < s.size() && is_blank(s[b])) ++b;
    std::size_t e = s.size();
    while (e > b && is_blank(s[e - 1])) --e;
    return s.substr(b, e - b);
}

std::string lower(std::string_view s) {
    return ascii_lower(s);
}

using section_map = std::map<std::string, std::string>;

// Removes "key" and its nested "key.*" entries, so a redefinition replaces
// the whole previous value (a nested block or a plain value).
void erase_key(section_map& sec, const std::string& key) {
    sec.erase(key);
    const std::string prefix = key + '.';
    for (auto it = sec.lower_bound(prefix); it != sec.end() && it->first.starts_with(prefix);)
        it = sec.erase(it);
}

std::error_code fail(diagnostics& diag, std::size_t line_no, std::string_view what) {
    diag.detail = "line " + std::to_string(line_no) + ": ";
    diag.detail += what;
    return make_error_code(errc::config_error);
}

}  // namespace

const std::string* ini_file::get(std::string_view section, std::string_view key) const {
    auto s = sections.find(std::string(section));
    if (s == sections.end()) return nullptr;
    auto k = s->second.find(lower(key));
    return k == s->second.end() ? nullptr : &k->second;
}

std::error_code parse_ini(std::string_view text, ini_file& out, diagnostics& diag) {
    out.sections.clear();
    ini_file result;

    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);

    section_map* section = nullptr;
    // The key the next deeper-indented line would continue.
    std::string key;
    bool have_key = false;
    std::size_t key_indent = 0;
    enum class cont { none, plain, nested } mode = cont::none;

    std::size_t line_no = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        // Lines end at "\n", "\r\n" or a lone "\r" (Python's universal newlines).
        std::size_t end = pos;
        while (end < text.size() && text[end] != '\n' && text[end] != '\r') ++end;
        std::string_view line = text.substr(pos, end - pos);
        pos = end;
        if (pos < text.size()) {
            if (text[pos] == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
            ++pos;
        }
        ++line_no;

        std::size_t indent = 0;
        while (indent < line.size() && is_blank(line[indent])) ++indent;
        const std::string_view body = trim(line);
        // Blank lines and comments never end a continuation block.
        if (body.empty() || body.front() == '#' || body.front() == ';') continue;

        if (have_key && indent > key_indent) {
            std::string& parent = (*section)[key];
            if (mode == cont::none) mode = parent.empty() ? cont::nested : cont::plain;
            if (mode == cont::plain) {
                parent += '\n';
                parent += body;
                continue;
            }
            const auto eq = body.find('=');
            if (eq == std::string_view::npos)
                return fail(diag, line_no, "expected 'name = value' in the nested block under '" + key + "'");
            const std::string child = lower(trim(body.substr(0, eq)));
            if (child.empty()) return fail(diag, line_no, "missing name before '=' in a nested block");
            section->erase(key);  // the block replaces the empty parent value
            (*section)[key + '.' + child] = std::string(trim(body.substr(eq + 1)));
            continue;
        }

        have_key = false;
        mode = cont::none;

        if (body.front() == '[') {
            const auto close = body.find(']');
            if (close == std::string_view::npos)
                return fail(diag, line_no, "section header without a closing ']'");
            const std::string_view name = trim(body.substr(1, close - 1));
            if (name.empty()) return fail(diag, line_no, "empty section name");
            const std::string_view rest = trim(body.substr(close + 1));
            if (!rest.empty() && rest.front() != '#' && rest.front() != ';')
                return fail(diag, line_no, "unexpected text after the section header");
            section = &result.sections[std::string(name)];
            continue;
        }

        const auto delim = body.find_first_of("=:");
        if (delim == std::string_view::npos)
            return fail(diag, line_no,
                        "expected '[section]', 'key = value', a comment or an indented continuation line");
        if (section == nullptr) return fail(diag, line_no, "'key = value' before any [section] header");
        key = lower(trim(body.substr(0, delim)));
        if (key.empty()) return fail(diag, line_no, "missing key name before '='");
        erase_key(*section, key);
        (*section)[key] = std::string(trim(body.substr(delim + 1)));
        have_key = true;
        key_indent = indent;
    }

    out = std::move(result);
    return {};
}

}  // namespace s3merge::aws
