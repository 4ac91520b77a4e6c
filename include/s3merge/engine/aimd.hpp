// Adaptive concurrency for one destination host: additive increase,
// multiplicative decrease (TCP-style), sans-io. The clock is a parameter.
//
//   on_success(): +1 to the limit per `limit()` successes, i.e. about +1 per
//                 round trip of a full window.
//   on_throttle(now): limit = max(floor, floor(limit * decrease)), at most
//                 once per cooldown window: the throttles that answer the
//                 requests of one window (a burst) count as one signal.
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
    // Returns true when the limit was reduced (false inside the cooldown).
    bool on_throttle(time_point now);

    const aimd_params& params() const { return p_; }

private:
    aimd_params p_;
    int limit_;
    int successes_ = 0;  // since the last change of limit_
    std::optional<time_point> last_decrease_;
};

// Whether a throttle of this S3 operation should lower the copy limit.
// Deletes (DeleteObjects, DeleteObject) go to the source bucket, whose
// partitions are not the destination's, and listings are reads with their
// own budget: a SlowDown there is waited out by that request's backoff, and
// halving the copies' concurrency for it would only slow the copies (a move
// ran at half speed while its delete batches were throttled).
bool throttle_paces_copies(std::string_view operation);

}  // namespace s3merge::engine
