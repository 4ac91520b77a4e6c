#include "s3merge/http/pool_state.hpp"

#include <algorithm>

namespace s3merge::http {

pool_state::acquire_result pool_state::acquire() {
    if (!idle_.empty()) {
        auto id = idle_.back();
        idle_.pop_back();
        live_[id] = false;
        return {decision::reuse_idle, id, 0};
    }
    if (live_.size() < max_) {
        auto id = next_id_++;
        live_.emplace(id, false);
        return {decision::open_new, id, 0};
    }
    auto w = next_waiter_++;
    waiters_.push_back(w);
    return {decision::wait, 0, w};
}

pool_state::handoff pool_state::release_idle(std::uint64_t id) {
    auto it = live_.find(id);
    if (it == live_.end() || it->second) return {};  // unknown, or idle already
    if (!waiters_.empty()) {
        auto w = waiters_.front();
        waiters_.pop_front();
        return {w, id};  // the connection passes to the waiter, still live and busy
    }
    it->second = true;
    idle_.push_back(id);
    return {};
}

pool_state::handoff pool_state::release_closed(std::uint64_t id) {
    auto it = live_.find(id);
    if (it == live_.end()) return {};
    if (it->second) idle_.erase(std::find(idle_.begin(), idle_.end(), id));
    live_.erase(it);
    if (!waiters_.empty()) {
        auto w = waiters_.front();
        waiters_.pop_front();
        auto fresh = next_id_++;
        live_.emplace(fresh, false);  // the waiter opens a new connection in this slot
        return {w, fresh};
    }
    return {};
}

void pool_state::cancel_wait(std::uint64_t waiter) {
    auto it = std::find(waiters_.begin(), waiters_.end(), waiter);
    if (it != waiters_.end()) waiters_.erase(it);
}

void pool_state::drop_idle(std::uint64_t id) {
    auto it = std::find(idle_.begin(), idle_.end(), id);
    if (it != idle_.end()) {
        idle_.erase(it);
        live_.erase(id);
    }
}

}  // namespace s3merge::http
