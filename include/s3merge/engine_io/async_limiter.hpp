// A counting semaphore for coroutines on one executor, whose limit can change
// at run time (AIMD). Waiters are served FIFO; a release hands the slot
// directly to the first waiter. Not thread-safe: one executor.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

namespace s3merge::engine {

class async_limiter {
public:
    async_limiter(boost::asio::any_io_executor ex, std::size_t limit)
        : ex_(std::move(ex)), limit_(limit ? limit : 1) {}

    boost::asio::awaitable<void> acquire();
    // A slot now, if one is free and nobody waits for one; never waits.
    bool try_acquire();
    void release();
    void set_limit(std::size_t limit);

    std::size_t limit() const { return limit_; }
    std::size_t in_use() const { return in_use_; }
    std::size_t waiting() const { return waiters_.size(); }

private:
    struct waiter {
        explicit waiter(boost::asio::any_io_executor ex) : timer(ex) {}
        boost::asio::steady_timer timer;
        bool granted = false;
    };
    void grant();

    boost::asio::any_io_executor ex_;
    std::size_t limit_;
    std::size_t in_use_ = 0;
    std::deque<std::shared_ptr<waiter>> waiters_;
};

}  // namespace s3merge::engine
