// The per-job and per-source progress counters shared by the journal (so a
// resumed job continues counting) and the report.
#pragma once

#include <cstdint>

#include "s3merge/engine/key_map.hpp"

namespace s3merge::engine {

struct counters {
    std::uint64_t listed = 0;   // source objects listed
    std::uint64_t copied = 0;   // copied or replaced
    std::uint64_t skipped = 0;  // already identical at the destination
    std::uint64_t deleted = 0;  // source objects deleted (move)
    std::uint64_t failed = 0;   // permanently failed
    std::uint64_t bytes_copied = 0;

    counters& operator+=(const counters& o) {
        listed += o.listed, copied += o.copied, skipped += o.skipped;
        deleted += o.deleted, failed += o.failed, bytes_copied += o.bytes_copied;
        return *this;
    }
    // Takes back what was counted (saturating: never below zero).
    counters& operator-=(const counters& o) {
        auto sub = [](std::uint64_t& a, std::uint64_t b) { a = a > b ? a - b : 0; };
        sub(listed, o.listed), sub(copied, o.copied), sub(skipped, o.skipped);
        sub(deleted, o.deleted), sub(failed, o.failed), sub(bytes_copied, o.bytes_copied);
        return *this;
    }
    friend bool operator==(const counters&, const counters&) = default;
};

// The counters of one source of a job.
struct source_progress {
    location source;
    engine::counters counters;
    friend bool operator==(const source_progress&, const source_progress&) = default;
};

}  // namespace s3merge::engine
