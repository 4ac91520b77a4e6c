#include "s3merge/retry.hpp"

#include <algorithm>

#include "s3merge/error.hpp"

namespace s3merge {

bool retry_policy::should_retry(std::error_code ec, int attempt) const {
    return ec && is_retryable(ec) && attempt < max_attempts;
}

std::chrono::milliseconds retry_policy::delay(std::error_code ec, int attempt, double unit) const {
    auto b = is_throttle(ec) ? throttle_base : base;
    // Grow as base * 2^(attempt-1), saturating at the cap (no overflow for
    // large attempt counts).
    std::int64_t ceiling = b.count();
    for (int i = 1; i < attempt && ceiling < cap.count(); ++i) ceiling *= 2;
    ceiling = std::min<std::int64_t>(ceiling, cap.count());
    unit = std::clamp(unit, 0.0, 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(unit * static_cast<double>(ceiling)));
}

}  // namespace s3merge

namespace s3merge {

bool is_transport_failure(std::error_code ec) noexcept {
    if (ec.category() != s3merge_category()) return false;
    switch (static_cast<errc>(ec.value())) {
        case errc::resolve_failed:
        case errc::connect_failed:
        case errc::timeout:
        case errc::connection_closed:
        case errc::protocol_error:
            return true;
        default:
            return false;
    }
}

bool is_host_unreachable(std::error_code ec) noexcept {
    return ec == errc::resolve_failed || ec == errc::connect_failed || ec == errc::timeout;
}

bool host_health::on_failure(clock::time_point now) {
    if (failures_++ == 0) {
        streak_start_ = now;
        ++streaks_;
        return true;
    }
    return false;
}

}  // namespace s3merge
