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
#include <deque>
#include <string>
#include <string_view>
#include <system_error>

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
    std::size_t window() const { return window_.size(); }
    // Every listed key is done.
    bool idle() const { return window_.empty(); }

private:
    struct slot {
        std::string key;
        bool done = false;
    };
    std::deque<slot> window_;  // ascending keys, front not done
    std::string watermark_;
    std::string last_listed_;
};

}  // namespace s3merge::engine
