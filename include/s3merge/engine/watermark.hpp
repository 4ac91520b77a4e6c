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
#include <cstdint>
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

    // A key's place in the listing (0, 1, 2, ... per tracker), for done().
    static constexpr std::uint64_t no_seq = ~std::uint64_t{0};

    // errc::invalid_argument when key is not greater than the previous
    // listed key or the initial watermark. seq (optional): the key's place.
    std::error_code listed(std::string_view key, std::uint64_t* seq = nullptr);
    // errc::invalid_argument when key is not in the window or already done.
    // seq, when known (from listed()), finds the key's slot without a search
    // of the window (which reads a key per step, each in memory of its own);
    // a seq that does not name this key is ignored and the key searched.
    std::error_code done(std::string_view key, std::uint64_t seq = no_seq);

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
    std::uint64_t first_seq_ = 0;  // the place of the window's front key
    slot& at(std::size_t i) { return ring_[(head_ + i) % ring_.size()]; }
    std::string watermark_;
};

}  // namespace s3merge::engine
