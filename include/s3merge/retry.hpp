// Retry policy, sans-io: whether to retry and how long to wait. Exponential
// backoff with full jitter (delay uniformly drawn in [0, min(cap, base*2^n))).
// The random source is a parameter so tests are deterministic.
#pragma once

#include <chrono>
#include <cstdint>
#include <system_error>

namespace s3merge {

struct retry_policy {
    int max_attempts = 10;  // total attempts, including the first
    std::chrono::milliseconds base{100};
    std::chrono::milliseconds cap{20000};
    // Throttling gets a larger base: the server asked us to slow down.
    std::chrono::milliseconds throttle_base{500};

    // `attempt` is the number of attempts already made (1 after the first).
    bool should_retry(std::error_code ec, int attempt) const;
    // `unit` is a uniform random number in [0, 1).
    std::chrono::milliseconds delay(std::error_code ec, int attempt, double unit) const;
};

}  // namespace s3merge

namespace s3merge {

// Transport failures: the host did not answer (DNS, connect, timeout, a
// connection reset or cut short, malformed HTTP). Not S3 errors.
bool is_transport_failure(std::error_code ec) noexcept;
// Of those, the ones that say the host itself is unreachable: no address, no
// connection, or no answer in time. A connection accepted and then cut is
// the request's failure (the host is there), not the host's.
bool is_host_unreachable(std::error_code ec) noexcept;

// Whether a host is down, sans-io (the clock is an input): a streak of
// unreachable-host failures (is_host_unreachable) with no answer in between, at least min_failures long
// and lasting at least `window`, says the host is gone. Requests to a host
// that is down fail at once instead of retrying for minutes; the job stops.
class host_health {
public:
    using clock = std::chrono::steady_clock;
    struct params {
        std::chrono::milliseconds window{15000};
        int min_failures = 3;
    };
    host_health() = default;
    explicit host_health(params p) : p_(p) {}

    // A transport failure. True when it starts a streak (say so once).
    bool on_failure(clock::time_point now);
    // Any HTTP answer, even an error status: the host is there.
    void on_success() { failures_ = 0; }
    bool down(clock::time_point now) const {
        return failures_ >= p_.min_failures && now - streak_start_ >= p_.window;
    }
    int failures() const { return failures_; }
    // Which streak is running (a new number each time one starts), so a
    // request can tell "no answer from this host since my first failure".
    std::uint64_t streak_id() const { return streaks_; }
    bool in_streak(std::uint64_t id) const { return failures_ > 0 && streaks_ == id; }
    std::chrono::milliseconds streak(clock::time_point now) const {
        return failures_ ? std::chrono::duration_cast<std::chrono::milliseconds>(now - streak_start_)
                         : std::chrono::milliseconds(0);
    }

private:
    params p_;
    int failures_ = 0;
    std::uint64_t streaks_ = 0;
    clock::time_point streak_start_{};
};

}  // namespace s3merge
