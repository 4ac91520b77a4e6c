// An in-memory ListObjectsV2 for engine tests: prefix, delimiter,
// start-after, continuation tokens and max-keys with S3's semantics (keys in
// unsigned byte order; with a delimiter, keys whose remainder after the
// prefix contains it roll up into one common prefix, which counts as one
// entry against max-keys and is returned once).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "s3merge/engine/key_map.hpp"

namespace enginetest {

struct bytes_less {
    bool operator()(const std::string& a, const std::string& b) const {
        return s3merge::engine::key_less(a, b);
    }
};
using key_set = std::set<std::string, bytes_less>;

struct list_request {
    std::string prefix;
    std::string delimiter;
    std::string start_after;
    std::string continuation_token;
    std::size_t max_keys = 1000;
};

struct list_page {
    std::vector<std::string> keys;
    std::vector<std::string> common_prefixes;
    bool is_truncated = false;
    std::string next_continuation_token;
};

// The token is the last key or common prefix returned, tagged 'K' or 'P'.
inline list_page list_objects(const key_set& keys, const list_request& rq) {
    list_page page;
    std::string after = rq.start_after;
    std::string skip_prefix;  // a common prefix already returned
    if (!rq.continuation_token.empty()) {
        after = rq.continuation_token.substr(1);
        if (rq.continuation_token[0] == 'P') skip_prefix = after;
    }
    auto it = after.empty() ? keys.lower_bound(rq.prefix) : keys.upper_bound(after);
    if (s3merge::engine::key_less(after, rq.prefix)) it = keys.lower_bound(rq.prefix);
    std::size_t count = 0;
    std::string last;
    for (; it != keys.end(); ++it) {
        const std::string& k = *it;
        if (!k.starts_with(rq.prefix)) {
            if (s3merge::engine::key_less(rq.prefix, k)) break;
            continue;
        }
        if (!skip_prefix.empty() && k.starts_with(skip_prefix)) continue;
        std::string cp;
        if (!rq.delimiter.empty()) {
            auto pos = k.find(rq.delimiter, rq.prefix.size());
            if (pos != std::string::npos) cp = k.substr(0, pos + rq.delimiter.size());
        }
        if (!cp.empty() && !page.common_prefixes.empty() && page.common_prefixes.back() == cp) continue;
        if (count == rq.max_keys) {
            page.is_truncated = true;
            page.next_continuation_token = last;
            break;
        }
        ++count;
        if (!cp.empty()) {
            page.common_prefixes.push_back(cp);
            skip_prefix = cp;
            last = "P" + cp;
        } else {
            page.keys.push_back(k);
            last = "K" + k;
        }
    }
    return page;
}

// Every key of a listing, all pages.
inline std::vector<std::string> list_all(const key_set& keys, list_request rq) {
    std::vector<std::string> out;
    for (;;) {
        list_page p = list_objects(keys, rq);
        out.insert(out.end(), p.keys.begin(), p.keys.end());
        if (!p.is_truncated) return out;
        rq.continuation_token = p.next_continuation_token;
    }
}

}  // namespace enginetest
