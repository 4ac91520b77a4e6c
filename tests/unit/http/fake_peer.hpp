// A loopback TCP peer for tests that shape exact HTTP faults. Each accepted
// connection reads requests (request line and headers; bodiless requests
// only) and answers through a handler.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffers_iterator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <functional>
#include <string>

namespace s3merge::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// One behaviour per accepted connection: reads requests (headers only; the
// tests send bodiless requests) and answers through `respond`.
struct fake_peer {
    using handler = std::function<asio::awaitable<bool>(tcp::socket&, int request_index, int connection_index)>;

    fake_peer(asio::io_context& io, handler h) : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), respond(std::move(h)) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(tuple_awaitable);
            if (ec) co_return;
            int index = connections++;
            ++open_now;
            max_open = std::max(max_open, open_now);
            asio::co_spawn(acceptor.get_executor(), serve(std::move(sock), index), asio::detached);
        }
    }
    asio::awaitable<void> serve(tcp::socket sock, int conn_index) {
        asio::streambuf buf;
        for (;;) {
            auto [ec, n] = co_await asio::async_read_until(sock, buf, "\r\n\r\n", tuple_awaitable);
            if (ec) break;
            last_request.assign(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
            buf.consume(n);
            int index = requests++;
            if (!co_await respond(sock, index, conn_index)) break;
        }
        --open_now;
        boost::system::error_code ignored;
        sock.close(ignored);
    }

    tcp::acceptor acceptor;
    handler respond;
    std::string last_request;  // request line and headers of the latest request
    int connections = 0;
    int requests = 0;
    int open_now = 0;
    int max_open = 0;
};

inline asio::awaitable<bool> write_all(tcp::socket& s, std::string data) {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(data), tuple_awaitable);
    (void)n;
    co_return !ec;
}

inline asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor);
    t.expires_after(d);
    co_await t.async_wait(tuple_awaitable);
}

} // namespace s3merge::test
