// Object filters (pure). See include/s3merge/engine/object_filter.hpp.
#include "s3merge/engine/object_filter.hpp"

#include <algorithm>

namespace s3merge::engine {

namespace {

// One character of a bracket set at p (just after '['); sets `end` to the
// index after ']'. A set without its ']' is no set (the '[' is literal).
bool set_matches(std::string_view pat, std::size_t p, char c, std::size_t& end, bool& valid) {
    std::size_t i = p;
    bool negate = false;
    if (i < pat.size() && (pat[i] == '!' || pat[i] == '^')) negate = true, ++i;
    bool matched = false, first = true;
    while (i < pat.size() && (pat[i] != ']' || first)) {
        first = false;
        char lo = pat[i];
        if (i + 2 < pat.size() && pat[i + 1] == '-' && pat[i + 2] != ']') {
            char hi = pat[i + 2];
            if (lo <= c && c <= hi) matched = true;
            i += 3;
        } else {
            if (lo == c) matched = true;
            ++i;
        }
    }
    valid = i < pat.size();
    end = i + 1;
    return matched != negate;
}

}  // namespace

bool glob_match(std::string_view pat, std::string_view s) {
    // Iterative matching with one backtrack point for the last '*'.
    std::size_t p = 0, t = 0, star = std::string_view::npos, star_t = 0;
    while (t < s.size()) {
        if (p < pat.size()) {
            char pc = pat[p];
            if (pc == '*') {
                star = p++;
                star_t = t;
                continue;
            }
            if (pc == '?') {
                ++p, ++t;
                continue;
            }
            if (pc == '[') {
                std::size_t end = 0;
                bool valid = false;
                bool m = set_matches(pat, p + 1, s[t], end, valid);
                if (valid) {
                    if (m) {
                        p = end, ++t;
                        continue;
                    }
                } else if (s[t] == '[') {
                    ++p, ++t;
                    continue;
                }
            } else if (pc == s[t]) {
                ++p, ++t;
                continue;
            }
        }
        if (star == std::string_view::npos) return false;
        p = star + 1;
        t = ++star_t;
    }
    while (p < pat.size() && pat[p] == '*') ++p;
    return p == pat.size();
}

bool key_range::meets_prefix(std::string_view prefix) const {
    // Keys under prefix run from prefix itself to prefix + "\xff...".
    if (!to.empty() && std::string_view(to) <= prefix) return false;
    if (from.empty() || prefix >= std::string_view(from)) return true;
    return std::string_view(from).starts_with(prefix);
}

bool object_filter::admits(std::string_view rel, std::string_view last_modified) const {
    bool in = true;
    for (const auto& r : rules)
        if (glob_match(r.pattern, rel)) in = r.include;
    if (!in) return false;
    if (modified_after || modified_before) {
        sys_time t;
        if (!parse_iso8601(last_modified, t)) return false;
        if (modified_after && t < *modified_after) return false;
        if (modified_before && !(t < *modified_before)) return false;
    }
    return true;
}

std::string object_filter::identity() const {
    std::string s;
    for (const auto& r : rules)
        s += (r.include ? "+" : "-") + std::to_string(r.pattern.size()) + ":" + r.pattern;
    if (modified_after) s += ">" + format_iso8601(*modified_after);
    if (modified_before) s += "<" + format_iso8601(*modified_before);
    return s;
}

bool parse_time_bound(std::string_view text, sys_time& out) {
    if (text.size() == 10) return parse_iso8601(std::string(text) + "T00:00:00Z", out);
    return parse_iso8601(text, out);
}

}  // namespace s3merge::engine
