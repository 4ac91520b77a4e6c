// Which listed objects a job takes (pure): --include/--exclude glob
// patterns with the AWS CLI's semantics, --modified-after/--modified-before
// on LastModified, and key ranges (CloudTrail --from-date/--to-date).
//
// Patterns (AWS CLI `s3 cp --recursive`): every object is included until a
// filter says otherwise; filters apply in the order given and the last one
// that matches decides. A pattern is matched against the key relative to
// the source prefix, as fnmatch without FNM_PATHNAME: `*` matches any run
// of characters, '/' included; `?` one character; `[abc]`, `[a-z]`, `[!a]`
// one character of (not of) a set.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3merge/time.hpp"

namespace s3merge::engine {

bool glob_match(std::string_view pattern, std::string_view text);

struct filter_rule {
    bool include = false;
    std::string pattern;
    friend bool operator==(const filter_rule&, const filter_rule&) = default;
};

// Keys whose text from `from` (inclusive) to `to` (exclusive; empty: no
// end). The text compared is what follows `base` and then `skip` more path
// components: with base "AWSLogs/1/CloudTrail/" and skip 1 (the region),
// "AWSLogs/1/CloudTrail/eu-west-1/2024/03/05/x" compares as "2024/03/05/x".
struct key_range {
    std::string from, to;
    std::string base;
    unsigned skip = 0;
    bool empty() const { return from.empty() && to.empty(); }
    // A key not under base, or with fewer components, is not held.
    bool holds(std::string_view key) const;
    // Whether any key starting with `prefix` can be in the range (a prefix
    // above the compared text can).
    bool meets_prefix(std::string_view prefix) const;
};

struct object_filter {
    std::vector<filter_rule> rules;
    std::optional<sys_time> modified_after;   // LastModified >= this
    std::optional<sys_time> modified_before;  // LastModified < this

    bool empty() const { return rules.empty() && !modified_after && !modified_before; }
    // relative_key: the key without the source prefix; last_modified as
    // listed (ISO 8601). An object whose LastModified cannot be read is
    // kept out when a time bound is set.
    bool admits(std::string_view relative_key, std::string_view last_modified) const;
    // A canonical text of the filter, part of the job's identity.
    std::string identity() const;
};

// "2024-05-01" (midnight UTC) or an ISO 8601 time ("2024-05-01T12:00:00Z").
bool parse_time_bound(std::string_view text, sys_time& out);

}  // namespace s3merge::engine
