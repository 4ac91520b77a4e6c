#include "s3merge/engine/merge_join.hpp"

#include <algorithm>

#include "s3merge/http_message.hpp"

namespace s3merge::engine {

namespace {

bool full_object(std::string_view value, std::string_view type) {
    if (value.empty()) return false;
    if (type == "FULL_OBJECT") return true;
    if (!type.empty()) return false;  // COMPOSITE or unknown
    return value.find('-') == std::string_view::npos;
}

std::error_code out_of_order(const char* side, std::string_view prev, std::string_view key,
                             diagnostics& diag) {
    diag.operation = "ListObjectsV2";
    diag.key = std::string(key);
    diag.detail = std::string(side) + " listing is not in ascending key order: '" + std::string(key) +
                  "' came after '" + std::string(prev) + "'";
    return errc::malformed_response;
}

std::error_code after_done(const char* side, diagnostics& diag) {
    diag.operation = "merge-join";
    diag.detail = std::string(side) + " page pushed after the " + side + " side was marked done";
    return errc::invalid_argument;
}

}  // namespace

const char* to_string(action a) {
    switch (a) {
        case action::copy:
            return "copy";
        case action::skip:
            return "skip";
        case action::replace:
            return "replace";
        case action::check:
            return "check";
    }
    return "?";
}

const char* to_string(reason r) {
    switch (r) {
        case reason::missing:
            return "missing";
        case reason::overwrite:
            return "overwrite";
        case reason::size_differs:
            return "size differs";
        case reason::etag_differs:
            return "etag differs";
        case reason::same_etag:
            return "same size and etag";
        case reason::unverifiable:
            return "same size, etag not comparable";
    }
    return "?";
}

bool is_single_part_etag(std::string_view etag) {
    return !etag.empty() && etag.find('-') == std::string_view::npos;
}

checksum_verdict identity_from_checksums(const object_checksums& a, const object_checksums& b) {
    const std::pair<const std::string*, const std::string*> pairs[] = {
        {&a.crc64nvme, &b.crc64nvme}, {&a.crc32c, &b.crc32c}, {&a.crc32, &b.crc32},
        {&a.sha256, &b.sha256},       {&a.sha1, &b.sha1},
    };
    bool same = false;
    for (const auto& [x, y] : pairs) {
        if (!full_object(*x, a.type) || !full_object(*y, b.type)) continue;
        if (*x != *y) return checksum_verdict::different;  // base64: case matters
        same = true;
    }
    return same ? checksum_verdict::identical : checksum_verdict::unknown;
}

decision compare_objects(s3::object_entry source, std::string dest_key, std::uint64_t dest_size,
                         std::string_view dest_etag) {
    decision d;
    d.dest_key = std::move(dest_key);
    if (source.size != dest_size) {
        d.what = action::replace;
        d.why = reason::size_differs;
    } else if (!source.etag.empty() && iequals(source.etag, dest_etag)) {
        // Equal MD5s, or equal multipart ETags (the MD5 of the same part
        // MD5s, in the same layout): the same bytes.
        d.what = action::skip;
        d.why = reason::same_etag;
    } else if (is_single_part_etag(source.etag) && is_single_part_etag(dest_etag)) {
        d.what = action::replace;
        d.why = reason::etag_differs;
    } else {
        // A multipart ETag depends on the part layout as well as the
        // content, and an empty one says nothing: same size is no evidence.
        d.what = action::check;
        d.why = reason::unverifiable;
    }
    d.source = std::move(source);
    return d;
}

merge_join::merge_join(key_map map, merge_options opt) : map_(std::move(map)), opt_(opt) {}

std::error_code merge_join::push_source(std::vector<s3::object_entry> page, diagnostics& diag) {
    if (source_done_) return after_done("source", diag);
    // Validate the whole page first so a bad page leaves the state unchanged.
    const std::string* prev = any_src_ ? &last_src_ : nullptr;
    for (const auto& o : page) {
        if (auto ec = check_source_key("", o.key, map_.source_prefix(), diag)) return ec;
        if (prev && compare_keys(*prev, o.key) >= 0) return out_of_order("source", *prev, o.key, diag);
        prev = &o.key;
    }
    if (page.empty()) return {};
    last_src_ = page.back().key;
    any_src_ = true;
    for (auto& o : page) src_.push_back(std::move(o));
    advance();
    return {};
}

std::error_code merge_join::push_dest(std::vector<s3::object_entry> page, diagnostics& diag) {
    if (dest_done_) return after_done("destination", diag);
    std::vector<dest_entry> mapped;
    mapped.reserve(page.size());
    const std::string* prev = any_dst_ ? &last_dst_ : nullptr;
    for (auto& o : page) {
        dest_entry e;
        // Keys outside the destination prefix cannot match any source key.
        if (!map_.move_to_source(std::move(o.key), e.key)) continue;
        if (prev && compare_keys(*prev, e.key) >= 0) return out_of_order("destination", *prev, e.key, diag);
        e.size = o.size;
        e.etag = std::move(o.etag);
        mapped.push_back(std::move(e));
        prev = &mapped.back().key;
    }
    if (mapped.empty()) return {};
    last_dst_ = mapped.back().key;
    any_dst_ = true;
    if (opt_.overwrite) return {};  // not needed
    for (auto& e : mapped) dst_.push_back(std::move(e));
    advance();
    return {};
}

void merge_join::source_done() {
    source_done_ = true;
    advance();
}

void merge_join::dest_done() {
    dest_done_ = true;
    advance();
}

std::vector<decision> merge_join::pop_decisions() {
    std::vector<decision> r;
    r.swap(out_);
    return r;
}

void merge_join::advance() {
    auto emit_copy = [&](reason why) {
        decision d;
        d.dest_key = map_.to_dest(src_.front().key);
        d.source = std::move(src_.front());
        d.what = action::copy;
        d.why = why;
        out_.push_back(std::move(d));
        src_.pop_front();
    };
    // At most one decision per buffered source entry: one allocation per page
    // rather than a vector doubling its way up to ~1,000 entries.
    out_.reserve(out_.size() + src_.size());
    if (opt_.overwrite) {
        while (!src_.empty()) emit_copy(reason::overwrite);
        dst_.clear();
        return;
    }
    while (!src_.empty() && !dst_.empty()) {
        int c = compare_keys(src_.front().key, dst_.front().key);
        if (c < 0) {
            emit_copy(reason::missing);
        } else if (c > 0) {
            dst_.pop_front();  // destination-only key
        } else {
            auto& d = dst_.front();
            std::string dest_key = map_.to_dest(src_.front().key);
            out_.push_back(compare_objects(std::move(src_.front()), std::move(dest_key), d.size, d.etag));
            src_.pop_front();
            dst_.pop_front();
        }
    }
    if (dest_done_)
        while (!src_.empty()) emit_copy(reason::missing);
    if (source_done_) dst_.clear();
}

}  // namespace s3merge::engine
