// Per listing leaf, the resume watermark: the greatest key K such that every
// key <= K listed in this leaf is done (copied, skipped, or permanently
// failed and recorded in the report). Resuming lists the leaf with
// start-after = K.
//
// Keys are announced with listed() in listing order (strictly ascending,
// unsigned bytes) and finish with done() in any order, as parallel workers
// complete them. Memory is the window from the oldest unfinished key to the
// newest listed one; the engine bounds it by not listing more of a leaf
// while window() exceeds its cap (one slow key holds the window open).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace s3merge::engine {

class watermark_tracker {
public:
    // initial: the watermark a resumed leaf starts after ("" = from the start;
    // S3 keys are never empty).
    explicit watermark_tracker(std::string initial = {}) : watermark_(std::move(initial)) {}

    // errc::invalid_argument when key is not greater than the previous
    // listed key or the initial watermark.
    std::error_code listed(std::string_view key);
    // errc::invalid_argument when key is not in the window or already done.
    std::error_code done(std::string_view key);

    const std::string& watermark() const { return watermark_; }
    std::size_t window() const { return size_; }
    // Every listed key is done.
    bool idle() const { return size_ == 0; }

private:
    struct slot {
        std::string key;
        bool done = false;
    };
    // The window, ascending keys, front not done: a ring whose slots keep
    // their strings' capacity, and a popped key's buffer is swapped with
    // the old watermark's, so a leaf listing in steady state allocates
    // nothing per key.
    std::vector<slot> ring_;
    std::size_t head_ = 0, size_ = 0;
    slot& at(std::size_t i) { return ring_[(head_ + i) % ring_.size()]; }
    std::string watermark_;
};

}  // namespace s3merge::engine
