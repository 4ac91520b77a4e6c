#include "s3merge/engine_io/parallel_for.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace s3merge::engine {

namespace asio = boost::asio;

asio::awaitable<void> parallel_for(std::size_t n, std::size_t limit,
                                   std::function<asio::awaitable<void>(std::size_t)> fn) {
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer all_done(ex, asio::steady_timer::time_point::max());
    std::size_t next = 0, running = 0;
    std::size_t workers = std::min(n, std::max<std::size_t>(limit, 1));
    for (std::size_t w = 0; w < workers; ++w) {
        ++running;
        // co_spawn posts: the workers start once this coroutine waits below.
        asio::co_spawn(
            ex,
            [&]() -> asio::awaitable<void> {
                while (next < n) {
                    auto i = next++;
                    co_await fn(i);
                }
                if (--running == 0) all_done.cancel();
            },
            asio::detached);
    }
    if (running) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace s3merge::engine
