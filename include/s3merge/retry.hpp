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

} // namespace s3merge
