#include "s3merge/engine_io/async_limiter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace s3merge::engine {

namespace asio = boost::asio;

asio::awaitable<void> async_limiter::acquire() {
    if (in_use_ < limit_ && waiters_.empty()) {
        ++in_use_;
        co_return;
    }
    auto w = std::make_shared<waiter>(ex_);
    w->timer.expires_at(asio::steady_timer::time_point::max());
    waiters_.push_back(w);
    while (!w->granted) co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
}

bool async_limiter::try_acquire() {
    if (in_use_ >= limit_ || !waiters_.empty()) return false;
    ++in_use_;
    return true;
}

void async_limiter::grant() {
    while (in_use_ < limit_ && !waiters_.empty()) {
        auto w = waiters_.front();
        waiters_.pop_front();
        ++in_use_;
        w->granted = true;
        w->timer.cancel();
    }
}

void async_limiter::release() {
    if (in_use_ > 0) --in_use_;
    grant();
}

void async_limiter::set_limit(std::size_t limit) {
    limit_ = limit ? limit : 1;
    grant();
}

}  // namespace s3merge::engine
