#include "s3merge/engine/aimd.hpp"

#include <algorithm>

#include "s3merge/s3/operations.hpp"

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

bool aimd::on_throttle(time_point now, double spread) {
    if (!(spread > 0.0)) spread = 0.0;
    spread = std::min(spread, 1.0);
    if (!in_window(now)) {
        window_start_ = now;
        window_base_ = limit_;
    }
    const double factor = 1.0 - (1.0 - p_.decrease) * spread;
    const int target = std::max(p_.floor, static_cast<int>(window_base_ * factor));
    if (target >= limit_) return false;
    limit_ = target;
    successes_ = 0;
    return true;
}

bool throttle_paces_copies(std::string_view operation) {
    return operation != s3::op::delete_objects::name && operation != s3::op::delete_object::name &&
           operation != s3::op::list_objects_v2::name && operation != s3::op::list_object_versions::name;
}

}  // namespace s3merge::engine
