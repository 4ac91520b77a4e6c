#include "s3merge/engine/key_map.hpp"

namespace s3merge::engine {

std::error_code check_overlap(std::string_view src_bucket, std::string_view src_prefix,
                              std::string_view dst_bucket, std::string_view dst_prefix, diagnostics& diag) {
    if (src_bucket != dst_bucket) return {};
    if (!src_prefix.starts_with(dst_prefix) && !dst_prefix.starts_with(src_prefix)) return {};
    std::string src = "s3://" + std::string(src_bucket) + "/" + std::string(src_prefix);
    std::string dst = "s3://" + std::string(dst_bucket) + "/" + std::string(dst_prefix);
    diag.operation = "check source and destination";
    diag.bucket = std::string(src_bucket);
    // A suggestion that is itself allowed: no prefix of a whole-bucket
    // source is, and "copy/" is not when the source prefix is "c".
    std::string example;
    for (std::string_view candidate : {"copy/", "s3merge-copy/", "_copy/", "~copy/"}) {
        if (!src_prefix.empty() && !candidate.starts_with(src_prefix) && !src_prefix.starts_with(candidate)) {
            example = "s3://" + std::string(dst_bucket) + "/" + std::string(candidate);
            break;
        }
    }
    diag.detail =
        "destination " + dst + " overlaps source " + src +
        ": the copies would land inside the range being listed. " +
        (example.empty()
             ? std::string("The source is the whole bucket: choose another bucket as the destination")
             : "Choose a destination prefix that neither starts with the source prefix nor is a "
               "prefix of it (e.g. " +
                   example + "), or another bucket");
    return errc::invalid_argument;
}

std::error_code check_source_key(std::string_view bucket, std::string_view key, std::string_view prefix,
                                 diagnostics& diag) {
    if (key_in_prefix(key, prefix)) return {};
    diag.operation = "ListObjectsV2";
    diag.bucket = std::string(bucket);
    diag.key = std::string(key);
    diag.detail = "listed key is outside the requested prefix '" + std::string(prefix) + "'";
    return errc::malformed_response;
}

std::string key_map::to_dest(std::string_view source_key) const {
    // Defensive for a broken precondition: never throw or underflow; callers
    // validate listed keys with check_source_key first.
    std::string_view rel = key_in_prefix(source_key, src_) ? source_key.substr(src_.size()) : source_key;
    std::string out;
    out.reserve(dst_.size() + rel.size());
    out += dst_;
    out += rel;
    return out;
}

bool key_map::move_to_source(std::string&& dest_key, std::string& out) const {
    if (src_ != dst_) return to_source(std::string_view(dest_key), out);
    if (!dest_key.starts_with(dst_)) return false;
    out = std::move(dest_key);
    return true;
}

bool key_map::to_source(std::string_view dest_key, std::string& out) const {
    if (!dest_key.starts_with(dst_)) return false;
    out.clear();
    out += src_;
    out += dest_key.substr(dst_.size());
    return true;
}

}  // namespace s3merge::engine
