// The one task group: runs fn(0..n-1) with at most `limit` running at once
// on the calling coroutine's executor, and returns when all have finished.
#pragma once

#include <cstddef>
#include <functional>

#include <boost/asio/awaitable.hpp>

namespace s3merge::engine {

boost::asio::awaitable<void> parallel_for(std::size_t n, std::size_t limit,
                                          std::function<boost::asio::awaitable<void>(std::size_t)> fn);

}  // namespace s3merge::engine
