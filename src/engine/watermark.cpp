#include "s3merge/engine/watermark.hpp"

#include <algorithm>

#include "s3merge/engine/key_map.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

std::error_code watermark_tracker::listed(std::string_view key) {
    const std::string& floor = last_listed_.empty() ? watermark_ : last_listed_;
    if (key.empty() || (!floor.empty() && compare_keys(floor, key) >= 0)) return errc::invalid_argument;
    window_.push_back(slot{std::string(key), false});
    last_listed_.assign(key);  // reuses its capacity: no allocation per key
    return {};
}

std::error_code watermark_tracker::done(std::string_view key) {
    // The window is sorted (listing order), so a binary search finds the slot.
    auto it = std::lower_bound(window_.begin(), window_.end(), key,
                               [](const slot& s, std::string_view k) { return key_less(s.key, k); });
    if (it == window_.end() || it->key != key || it->done) return errc::invalid_argument;
    it->done = true;
    while (!window_.empty() && window_.front().done) {
        watermark_ = std::move(window_.front().key);
        window_.pop_front();
    }
    return {};
}

}  // namespace s3merge::engine
