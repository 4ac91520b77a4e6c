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

bool aimd::on_throttle(time_point now) {
    if (last_decrease_ && now - *last_decrease_ < p_.cooldown) return false;
    last_decrease_ = now;
    limit_ = std::max(p_.floor, static_cast<int>(limit_ * p_.decrease));
    successes_ = 0;
    return true;
}

bool throttle_paces_copies(std::string_view operation) {
    return operation != s3::op::delete_objects::name && operation != s3::op::delete_object::name &&
           operation != s3::op::list_objects_v2::name && operation != s3::op::list_object_versions::name;
}

}  // namespace s3merge::engine
