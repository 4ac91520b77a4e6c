#include "s3merge/engine/watermark.hpp"

#include <algorithm>

#include "s3merge/engine/key_map.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

std::error_code watermark_tracker::listed(std::string_view key, std::uint64_t* seq) {
    // Every key up to the watermark is done, so with an empty window the
    // last listed key is the watermark.
    const std::string& floor = size_ ? at(size_ - 1).key : watermark_;
    if (key.empty() || (!floor.empty() && compare_keys(floor, key) >= 0)) return errc::invalid_argument;
    if (size_ == ring_.size()) {
        std::vector<slot> bigger(std::max<std::size_t>(8, ring_.size() * 2));
        for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move(at(i));
        ring_ = std::move(bigger);
        head_ = 0;
    }
    slot& s = at(size_);
    s.key.assign(key);  // reuses the slot's capacity
    s.done = false;
    if (seq) *seq = first_seq_ + size_;
    ++size_;
    return {};
}

std::error_code watermark_tracker::done(std::string_view key, std::uint64_t seq) {
    std::size_t lo = 0;
    if (seq != no_seq && seq >= first_seq_ && seq - first_seq_ < size_ && at(seq - first_seq_).key == key) {
        lo = seq - first_seq_;
    } else {
        // The window is sorted (listing order), so a binary search finds the slot.
        std::size_t hi = size_;
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (key_less(at(mid).key, key))
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == size_ || at(lo).key != key) return errc::invalid_argument;
    }
    if (at(lo).done) return errc::invalid_argument;
    at(lo).done = true;
    while (size_ && at(0).done) {
        watermark_.swap(at(0).key);  // the old watermark's buffer goes back to the ring
        head_ = (head_ + 1) % ring_.size();
        --size_;
        ++first_seq_;
    }
    return {};
}

}  // namespace s3merge::engine
