#include "s3merge/engine/aimd.hpp"

#include <algorithm>

namespace s3merge::engine {

aimd::aimd(aimd_params p) : p_(p) {
    p_.floor = std::max(1, p_.floor);
    p_.ceiling = std::max(p_.floor, p_.ceiling);
    if (!(p_.decrease > 0.0 && p_.decrease < 1.0)) p_.decrease = 0.5;
    p_.initial = std::clamp(p_.initial, p_.floor, p_.ceiling);
    limit_ = p_.initial;
}

void aimd::on_success() {
    if (limit_ >= p_.ceiling) return;
    if (++successes_ >= limit_) {
        ++limit_;
        successes_ = 0;
    }
}

bool aimd::on_throttle(time_point now) {
    if (last_decrease_ && now - *last_decrease_ < p_.cooldown) return false;
    last_decrease_ = now;
    limit_ = std::max(p_.floor, static_cast<int>(limit_ * p_.decrease));
    successes_ = 0;
    return true;
}

bool throttle_paces_copies(std::string_view operation) {
    return operation != "DeleteObjects" && operation != "DeleteObject" && operation != "ListObjectsV2" &&
           operation != "ListObjectVersions";
}

}  // namespace s3merge::engine
