// Adaptive concurrency for one destination host: additive increase,
// multiplicative decrease (TCP-style), sans-io. The clock is a parameter.
//
//   on_success(): +1 to the limit per `limit()` successes, i.e. about +1 per
//                 round trip of a full window.
//   on_throttle(now, spread): the throttles that answer the requests of one
//                 cooldown window (a burst) count as one signal. The first
//                 opens a window and remembers the limit as its base; each
//                 sets limit = max(floor, floor(base * (1 - (1 - decrease) *
//                 spread))) if that is lower. spread in [0, 1] is how much
//                 of the work in flight the throttling hits (the caller's
//                 measure; 1: all of it): a window throttled everywhere
//                 takes the limit to base * decrease, one throttled on an
//                 eighth of the key space to base * (1 - (1 - decrease) / 8).
//
// Why spread: S3 throttles per partition (a key range). Halving every copy
// because one partition of eight answers 503 takes the other seven below
// the load under which S3 splits them, and their splits come late (the
// 2,000,000-object model: 8 partitions at 90, 114 and 117 s rather than all
// at 90). Scaled by spread, one hot partition costs the others little.
// The limit stays within [floor, ceiling].
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace s3merge::engine {

struct aimd_params {
    int initial = 32;
    int floor = 1;
    int ceiling = 1024;
    double decrease = 0.5;
    std::chrono::milliseconds cooldown{1000};
};

class aimd {
public:
    using time_point = std::chrono::steady_clock::time_point;

    // Parameters are sanitised: floor >= 1, ceiling >= floor, initial clamped,
    // decrease in (0, 1) (else 0.5).
    explicit aimd(aimd_params p = {});

    int limit() const { return limit_; }
    void on_success();
    // Returns true when the limit was reduced (false when the window's
    // limit is as low as this spread takes it). spread is clamped to [0, 1]
    // (0: no decrease).
    bool on_throttle(time_point now, double spread = 1.0);
    // Whether a throttle at `now` falls in the current window (a caller
    // measuring spread over the window starts afresh when it does not).
    bool in_window(time_point now) const { return window_start_ && now - *window_start_ < p_.cooldown; }

    const aimd_params& params() const { return p_; }

private:
    aimd_params p_;
    int limit_;
    int successes_ = 0;  // since the last change of limit_
    std::optional<time_point> window_start_;
    int window_base_ = 0;  // the limit when the window opened
};

// Whether a throttle of this S3 operation should lower the copy limit.
// Deletes (DeleteObjects, DeleteObject) go to the source bucket, whose
// partitions are not the destination's, and listings are reads with their
// own budget: a SlowDown there is waited out by that request's backoff, and
// halving the copies' concurrency for it would only slow the copies (a move
// ran at half speed while its delete batches were throttled).
bool throttle_paces_copies(std::string_view operation);

}  // namespace s3merge::engine
