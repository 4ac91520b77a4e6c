// S3 request-rate model (pure). See s3_model.hpp.
#include "s3_model.hpp"

#include <algorithm>
#include <cmath>

namespace s3bench {

namespace {
constexpr std::size_t sample_size = 256;
}

rate_model::rate_model(model_params p) : p_(p) {
    partition first;
    first.write_tokens = p_.write_rate;
    first.read_tokens = p_.read_rate;
    parts_.push_back(std::move(first));
}

std::size_t rate_model::find(std::string_view key) const {
    // The last partition whose lo <= key.
    auto it =
        std::upper_bound(parts_.begin(), parts_.end(), key,
                         [](std::string_view k, const partition& pt) { return k < std::string_view(pt.lo); });
    return static_cast<std::size_t>(it - parts_.begin()) - 1;
}

std::vector<std::string> rate_model::boundaries() const {
    std::vector<std::string> out;
    for (const auto& pt : parts_) out.push_back(pt.lo);
    return out;
}

void rate_model::close_window(std::size_t i, double t) {
    auto& pt = parts_[i];
    const double len = std::max(1e-9, t - pt.window_start);
    const bool hot = double(pt.window_writes) / len >= p_.hot_fraction * p_.write_rate ||
                     double(pt.window_reads) / len >= p_.hot_fraction * p_.read_rate;
    if (!hot) {
        pt.hot_since = -1;
    } else if (pt.hot_since < 0) {
        pt.hot_since = pt.window_start;
    }
    const bool split = hot && pt.hot_since >= 0 && t - pt.hot_since >= p_.split_after_s &&
                       parts_.size() < p_.max_partitions && pt.seen.size() >= 2;
    std::string at;
    if (split) {
        std::vector<std::string> keys = pt.seen;
        std::sort(keys.begin(), keys.end());
        at = keys[keys.size() / 2];
        // A range of one hot key cannot be split below it.
        if (at == keys.front()) at.clear();
    }
    pt.window_start = t;
    pt.window_writes = pt.window_reads = 0;
    pt.seen.clear();
    pt.seen_total = 0;
    if (at.empty() || at <= pt.lo) return;
    partition upper;
    upper.lo = at;
    upper.write_tokens = p_.write_rate;
    upper.read_tokens = p_.read_rate;
    upper.last_t = t;
    upper.window_start = t;
    pt.hot_since = -1;
    pt.write_tokens = p_.write_rate;
    pt.read_tokens = p_.read_rate;
    parts_.insert(parts_.begin() + static_cast<std::ptrdiff_t>(i) + 1, std::move(upper));
}

bool rate_model::admit(std::string_view key, request_kind kind, double t) {
    std::size_t i = find(key);
    if (t - parts_[i].window_start >= 1.0) {
        close_window(i, t);
        i = find(key);
    }
    auto& pt = parts_[i];
    const double dt = std::max(0.0, t - pt.last_t);
    pt.last_t = std::max(pt.last_t, t);
    pt.write_tokens = std::min(p_.write_rate, pt.write_tokens + dt * p_.write_rate);
    pt.read_tokens = std::min(p_.read_rate, pt.read_tokens + dt * p_.read_rate);
    // Load counts what was asked for, admitted or not: that is what S3 sees.
    (kind == request_kind::write ? pt.window_writes : pt.window_reads) += 1;
    // A reservoir sample of the window's keys: where to split.
    ++pt.seen_total;
    if (pt.seen.size() < sample_size) {
        pt.seen.emplace_back(key);
    } else {
        rng_ = rng_ * 6364136223846793005ull + 1442695040888963407ull;
        const std::uint64_t slot = (rng_ >> 33) % pt.seen_total;
        if (slot < sample_size) pt.seen[slot].assign(key);
    }
    double& tokens = kind == request_kind::write ? pt.write_tokens : pt.read_tokens;
    if (tokens >= 1.0) {
        tokens -= 1.0;
        ++admitted_;
        return true;
    }
    ++throttled_;
    return false;
}

double optimum_seconds(std::uint64_t n, const model_params& p, double client_rate) {
    // Partitions double every split_after_s while the partitions, not the
    // client, are the limit; integrate the capacity in small steps.
    const double dt = 0.01;
    double t = 0, done = 0, partitions = 1, saturated_since = 0;
    while (done < double(n)) {
        const double capacity = std::min(client_rate, p.write_rate * partitions);
        const bool partition_bound = p.write_rate * partitions < client_rate;
        if (partition_bound && partitions < double(p.max_partitions)) {
            if (t - saturated_since >= p.split_after_s) {
                partitions = std::min(partitions * 2, double(p.max_partitions));
                saturated_since = t;
            }
        } else {
            saturated_since = t;
        }
        done += capacity * dt;
        t += dt;
        if (t > 1e9) break;
    }
    // The last step overshoots by at most one step's work.
    const double capacity = std::min(client_rate, p.write_rate * partitions);
    return t - (done - double(n)) / capacity;
}

}  // namespace s3bench
