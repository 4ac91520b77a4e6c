// Telemetry recording (pure). See include/s3merge/engine/telemetry.hpp.
#include "s3merge/engine/telemetry.hpp"

#include <algorithm>

namespace s3merge::engine {

void op_stats::record(std::uint64_t micros, std::uint64_t sent, std::uint64_t throttled, bool failed,
                      std::string_view code, std::string_view throttle_code) {
    ++calls;
    requests += sent;
    throttles += throttled;
    if (throttled)
        throttle_codes.add(throttle_code.empty() ? std::string_view("unknown") : throttle_code, throttled);
    latency.record(micros);
    if (!failed) return;
    ++errors;
    codes.add(code.empty() ? std::string_view("unknown") : code);
}

timeline::timeline(std::size_t max_points, std::uint64_t interval_ms)
    : max_points_(std::max<std::size_t>(max_points, 4)),
      interval_ms_(std::max<std::uint64_t>(interval_ms, 1)),
      next_ms_(interval_ms_) {
    points_.reserve(max_points_);
}

void timeline::offer(const timeline_point& p) {
    if (p.t_ms < next_ms_) return;
    points_.push_back(p);
    next_ms_ = (p.t_ms / interval_ms_ + 1) * interval_ms_;
    if (points_.size() >= max_points_) compact();
}

void timeline::finish(const timeline_point& p) {
    if (!points_.empty() && points_.back().t_ms >= p.t_ms) return;
    points_.push_back(p);
    if (points_.size() >= max_points_) compact();
}

void timeline::compact() {
    // Points sit at the first tick of each interval; with the interval
    // doubled, those of odd-numbered new intervals' starts are kept.
    interval_ms_ *= 2;
    std::vector<timeline_point> kept;
    kept.reserve(max_points_);
    std::uint64_t next = interval_ms_;
    for (const auto& p : points_) {
        if (p.t_ms < next) continue;
        kept.push_back(p);
        next = (p.t_ms / interval_ms_ + 1) * interval_ms_;
    }
    // The newest point is always kept: it is the latest state.
    if (!points_.empty() && (kept.empty() || kept.back().t_ms != points_.back().t_ms))
        kept.push_back(points_.back());
    points_ = std::move(kept);
    next_ms_ = points_.empty() ? interval_ms_ : (points_.back().t_ms / interval_ms_ + 1) * interval_ms_;
}

token_bucket::token_bucket(double rate, double burst)
    : rate_(rate > 0 ? rate : 1), burst_(std::max(burst, 1.0)), tokens_(burst_) {}

token_bucket::duration token_bucket::reserve(std::uint64_t now_ns, double cost) {
    if (!started_) {
        started_ = true;
        last_ns_ = now_ns;
    }
    if (now_ns > last_ns_) {
        tokens_ = std::min(burst_, tokens_ + double(now_ns - last_ns_) * rate_ / 1e9);
        last_ns_ = now_ns;
    }
    tokens_ -= cost;
    if (tokens_ >= 0) return duration(0);
    return duration(static_cast<std::int64_t>(-tokens_ / rate_ * 1e9));
}

}  // namespace s3merge::engine
