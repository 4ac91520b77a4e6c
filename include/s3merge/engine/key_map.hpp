// Source key → destination key mapping and the checks that make it safe.
//
// A job copies every key under s3://src_bucket/src_prefix to
// s3://dst_bucket/dst_prefix + (key minus src_prefix). Prefixes are plain
// string prefixes, not path components: "logs" covers "logs/x" and "logs2".
// Keys compare as unsigned bytes, which is the order S3 lists them in
// (UTF-8 binary order: "z" < "é").
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <system_error>

#include "s3merge/error.hpp"

namespace s3merge::engine {

// Byte-wise (unsigned) key order, as ListObjectsV2 sorts.
inline int compare_keys(std::string_view a, std::string_view b) {
    std::size_t n = a.size() < b.size() ? a.size() : b.size();
    int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
    if (c != 0) return c < 0 ? -1 : 1;
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}
inline bool key_less(std::string_view a, std::string_view b) {
    return compare_keys(a, b) < 0;
}
// key_less as an ordered container's comparator.
struct key_order {
    bool operator()(const std::string& a, const std::string& b) const { return key_less(a, b); }
};

// A bucket and a key prefix (possibly empty), e.g. from s3://bucket/prefix.
struct location {
    std::string bucket;
    std::string prefix;
    std::string uri() const { return "s3://" + bucket + "/" + prefix; }
    friend bool operator==(const location&, const location&) = default;
};

// Errors (errc::invalid_argument, with diag.detail naming both URIs and the
// fix) when the destination range overlaps the source range: same bucket and
// one prefix is a prefix of the other (an empty prefix covers the bucket).
// Copying a range into itself would re-list its own copies.
std::error_code check_overlap(std::string_view src_bucket, std::string_view src_prefix,
                              std::string_view dst_bucket, std::string_view dst_prefix, diagnostics& diag);
inline std::error_code check_overlap(const location& src, const location& dst, diagnostics& diag) {
    return check_overlap(src.bucket, src.prefix, dst.bucket, dst.prefix, diag);
}

inline bool key_in_prefix(std::string_view key, std::string_view prefix) {
    return key.starts_with(prefix);
}
// errc::malformed_response when a listed key is outside the prefix it was
// listed under (a server bug that would otherwise produce a wrong dest key).
std::error_code check_source_key(std::string_view bucket, std::string_view key, std::string_view prefix,
                                 diagnostics& diag);

// The mapping for one (source prefix, destination prefix) pair. It is
// order-preserving in both directions: stripping a common prefix and
// prepending another keeps byte order.
class key_map {
public:
    key_map() = default;
    key_map(std::string src_prefix, std::string dst_prefix)
        : src_(std::move(src_prefix)), dst_(std::move(dst_prefix)) {}

    const std::string& source_prefix() const { return src_; }
    const std::string& dest_prefix() const { return dst_; }

    // Precondition: key_in_prefix(source_key, source_prefix()).
    std::string to_dest(std::string_view source_key) const;
    // Maps a destination key back into source key space; false when the key
    // is not under dest_prefix().
    bool to_source(std::string_view dest_key, std::string& out) const;
    // The same, taking the key: with the same prefix on both sides (a bucket
    // into a bucket, a prefix into the same prefix) it is moved, not rebuilt.
    bool move_to_source(std::string&& dest_key, std::string& out) const;

private:
    std::string src_;
    std::string dst_;
};

}  // namespace s3merge::engine
