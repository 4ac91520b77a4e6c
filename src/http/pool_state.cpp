#include "s3merge/http/pool_state.hpp"

#include <algorithm>

namespace s3merge::http {

pool_state::acquire_result pool_state::acquire() {
    if (!idle_.empty()) {
        auto id = idle_.back();
        idle_.pop_back();
        return {decision::reuse_idle, id, 0};
    }
    if (live_ < max_) {
        ++live_;
        return {decision::open_new, next_id_++, 0};
    }
    auto w = next_waiter_++;
    waiters_.push_back(w);
    return {decision::wait, 0, w};
}

std::uint64_t pool_state::release_idle(std::uint64_t id) {
    if (!waiters_.empty()) {
        auto w = waiters_.front();
        waiters_.pop_front();
        return w;  // the connection passes to the waiter, still live
    }
    idle_.push_back(id);
    return 0;
}

std::uint64_t pool_state::release_closed(std::uint64_t /*id*/) {
    if (live_ > 0) --live_;
    if (!waiters_.empty()) {
        auto w = waiters_.front();
        waiters_.pop_front();
        ++live_;  // the waiter opens a new connection in this slot
        return w;
    }
    return 0;
}

void pool_state::cancel_wait(std::uint64_t waiter) {
    auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
    if (it != waiters_.end()) waiters_.erase(it);
}

void pool_state::drop_idle(std::uint64_t id) {
    auto it = std::find(idle_.begin(), idle_.end(), id);
    if (it != idle_.end()) {
        idle_.erase(it);
        if (live_ > 0) --live_;
    }
}

}  // namespace s3merge::http
