#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "s3merge/engine_io/async_limiter.hpp"

namespace asio = boost::asio;
using s3merge::engine::async_limiter;
using namespace std::chrono_literals;

TEST_CASE("async_limiter never exceeds its limit, serves FIFO, and follows limit changes") {
    asio::io_context io;
    async_limiter lim(io.get_executor(), 3);
    int running = 0, peak = 0, finished = 0;
    std::vector<int> order;
    auto task = [&](int id) -> asio::awaitable<void> {
        co_await lim.acquire();
        order.push_back(id);
        ++running;
        peak = std::max(peak, running);
        asio::steady_timer t(io);
        t.expires_after(5ms);
        co_await t.async_wait(asio::use_awaitable);
        --running;
        lim.release();
        ++finished;
    };
    for (int i = 0; i < 12; ++i) asio::co_spawn(io, task(i), asio::detached);
    io.run();
    CHECK(finished == 12);
    CHECK(peak == 3);
    std::vector<int> expected(12);
    for (int i = 0; i < 12; ++i) expected[i] = i;
    CHECK(order == expected);
    CHECK(lim.in_use() == 0);

    // Shrinking takes effect as slots come back; growing wakes waiters.
    io.restart();
    peak = 0;
    finished = 0;
    lim.set_limit(1);
    for (int i = 0; i < 4; ++i) asio::co_spawn(io, task(i), asio::detached);
    io.run();
    CHECK(peak == 1);
    CHECK(finished == 4);
    io.restart();
    peak = 0;
    lim.set_limit(0);  // treated as 1: never a deadlock
    CHECK(lim.limit() == 1);
    lim.set_limit(5);
    for (int i = 0; i < 10; ++i) asio::co_spawn(io, task(i), asio::detached);
    io.run();
    CHECK(peak == 5);
}

TEST_CASE("async_limiter::try_acquire takes a free slot at once and never jumps the queue") {
    asio::io_context io;
    async_limiter lim(io.get_executor(), 2);
    CHECK(lim.try_acquire());
    CHECK(lim.try_acquire());
    CHECK_FALSE(lim.try_acquire());  // full
    bool waited = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await lim.acquire();
            waited = true;
        },
        asio::detached);
    io.run_for(10ms);
    io.restart();
    CHECK_FALSE(waited);
    CHECK(lim.waiting() == 1);
    lim.release();  // goes to the waiter, not to a later try_acquire
    io.run_for(10ms);
    CHECK(waited);
    CHECK_FALSE(lim.try_acquire());
    CHECK(lim.in_use() == 2);
}
