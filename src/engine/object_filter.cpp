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

namespace {

// What follows base and `skip` components of s; false when s is not under
// base or ends within the skipped components.
bool compared_text(std::string_view s, std::string_view base, unsigned skip, std::string_view& out) {
    if (!s.starts_with(base)) return false;
    s.remove_prefix(base.size());
    for (unsigned i = 0; i < skip; ++i) {
        auto slash = s.find('/');
        if (slash == std::string_view::npos) return false;
        s.remove_prefix(slash + 1);
    }
    out = s;
    return true;
}

}  // namespace

bool key_range::holds(std::string_view key) const {
    std::string_view t;
    if (!compared_text(key, base, skip, t)) return false;
    return t >= std::string_view(from) && (to.empty() || t < std::string_view(to));
}

bool key_range::meets_prefix(std::string_view prefix) const {
    // A prefix above base, or ending within the skipped components: it
    // holds keys of every day.
    if (std::string_view(base).starts_with(prefix) && prefix.size() <= base.size()) return true;
    std::string_view t;
    if (!prefix.starts_with(base)) return false;
    if (!compared_text(prefix, base, skip, t)) return true;
    // Keys under t run from t itself to t + "\xff...".
    if (!to.empty() && std::string_view(to) <= t) return false;
    if (from.empty() || t >= std::string_view(from)) return true;
    return std::string_view(from).starts_with(t);
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
