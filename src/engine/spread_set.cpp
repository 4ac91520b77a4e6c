// spread_set: an order-statistics tree (libstdc++'s policy-based tree) of
// keys in byte order. See spread_set.hpp.
#include "s3merge/engine/spread_set.hpp"

#include <cmath>
#include <ext/pb_ds/assoc_container.hpp>
#include <ext/pb_ds/tree_policy.hpp>

#include "s3merge/engine/key_map.hpp"

namespace s3merge::engine {

namespace {
// 1/φ: the step of the most evenly spread sequence of phases.
constexpr double golden_step = 0.6180339887498949;
}  // namespace

struct spread_set::impl {
    __gnu_pbds::tree<std::string, __gnu_pbds::null_type, key_order, __gnu_pbds::rb_tree_tag,
                     __gnu_pbds::tree_order_statistics_node_update>
        keys;
};

spread_set::spread_set() : p_(std::make_unique<impl>()) {}
spread_set::~spread_set() = default;
spread_set::spread_set(spread_set&&) noexcept = default;
spread_set& spread_set::operator=(spread_set&&) noexcept = default;

bool spread_set::insert(std::string key) {
    return p_->keys.insert(std::move(key)).second;
}

bool spread_set::erase(const std::string& key) {
    return p_->keys.erase(key) > 0;
}

std::size_t spread_set::size() const {
    return p_->keys.size();
}

std::optional<std::string> spread_set::take() {
    const std::size_t n = p_->keys.size();
    if (n == 0) return std::nullopt;
    const auto pos = std::min(n - 1, static_cast<std::size_t>(phase_ * static_cast<double>(n)));
    phase_ += golden_step;
    phase_ -= std::floor(phase_);
    auto it = p_->keys.find_by_order(pos);
    std::string key = *it;
    p_->keys.erase(it);
    return key;
}

}  // namespace s3merge::engine
