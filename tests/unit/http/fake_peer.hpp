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
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>
#include <cctype>

namespace s3merge::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

// One behaviour per accepted connection: reads requests (headers only; the
// tests send bodiless requests) and answers through `respond`.
struct fake_peer {
    using handler =
        std::function<asio::awaitable<bool>(tcp::socket&, int request_index, int connection_index)>;

    fake_peer(asio::io_context& io, handler h)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)), respond(std::move(h)) {
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

// A request as body_peer read it.
struct http_req {
    std::string method, target, body;
    std::string head;  // request line and headers
    bool is(std::string_view m, std::string_view query_part) const {
        return method == m && target.find(query_part) != std::string::npos;
    }
};

// Like fake_peer, but reads request bodies (Content-Length) too, keeps every
// request, and can hold POST or PUT answers back to measure requests in flight.
struct body_peer {
    using handler = std::function<std::string(const http_req&)>;

    body_peer(asio::io_context& io, handler h,
              std::chrono::milliseconds post_delay = std::chrono::milliseconds(0))
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          respond(std::move(h)),
          delay(post_delay) {
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(tuple_awaitable);
            if (ec) co_return;
            asio::co_spawn(acceptor.get_executor(), serve(std::move(sock)), asio::detached);
        }
    }
    static std::size_t content_length(const std::string& head) {
        std::string lower;
        for (char c : head) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        auto p = lower.find("\r\ncontent-length:");
        return p == std::string::npos ? 0 : std::stoul(head.substr(p + 17));
    }
    asio::awaitable<void> serve(tcp::socket sock) {
        asio::streambuf buf;
        for (;;) {
            auto [ec, n] = co_await asio::async_read_until(sock, buf, "\r\n\r\n", tuple_awaitable);
            if (ec) break;
            std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
            buf.consume(n);
            const std::size_t len = content_length(head);
            if (buf.size() < len) {
                auto [ec2, m] = co_await asio::async_read(sock, buf, asio::transfer_exactly(len - buf.size()),
                                                          tuple_awaitable);
                (void)m;
                if (ec2) break;
            }
            http_req r;
            auto sp1 = head.find(' '), sp2 = head.find(' ', sp1 + 1);
            r.method = head.substr(0, sp1);
            r.target = head.substr(sp1 + 1, sp2 - sp1 - 1);
            r.head = head;
            r.body.assign(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + len);
            buf.consume(len);
            std::string answer = respond(r);
            const bool held_listing = list_delay > std::chrono::milliseconds(0) && r.method == "GET" &&
                                      r.target.find("delimiter=") != std::string::npos;
            requests.push_back(std::move(r));
            lists_answered_before.push_back(lists_answered);
            if (requests.back().method == "POST" && delay > std::chrono::milliseconds(0)) {
                max_posts = std::max(max_posts, ++posts_now);
                co_await sleep_for(delay);
                --posts_now;
            }
            if (requests.back().method == "PUT" && put_delay > std::chrono::milliseconds(0)) {
                max_puts = std::max(max_puts, ++puts_now);
                co_await sleep_for(put_delay);
                --puts_now;
            }
            if (held_listing) {
                co_await sleep_for(list_delay);
                ++lists_answered;
            }
            if (!co_await write_all(sock, std::move(answer))) break;
        }
        boost::system::error_code ignored;
        sock.close(ignored);
    }
    int count(std::string_view method, std::string_view query_part = "") const {
        return static_cast<int>(std::count_if(requests.begin(), requests.end(),
                                              [&](const http_req& r) { return r.is(method, query_part); }));
    }

    tcp::acceptor acceptor;
    handler respond;
    std::chrono::milliseconds delay;
    std::vector<http_req> requests;
    int posts_now = 0, max_posts = 0;
    // PUT answers held back this long (0: at once), and the most held at once.
    std::chrono::milliseconds put_delay{0};
    int puts_now = 0, max_puts = 0;
    // Listings with a delimiter answered after list_delay (0: at once), and
    // per request (parallel to `requests`) how many of those had been
    // answered when it came: listings asked for together all saw the same.
    std::chrono::milliseconds list_delay{0};
    int lists_answered = 0;
    std::vector<int> lists_answered_before;
};

// An HTTP/1.1 answer with a Content-Length and S3's request id header.
inline std::string reply(int status, const std::string& reason, const std::string& body,
                         const std::string& extra_headers = "") {
    return "HTTP/1.1 " + std::to_string(status) + " " + reason +
           "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nx-amz-request-id: req-" +
           std::to_string(status) + "\r\n" + extra_headers + "\r\n" + body;
}
inline std::string ok(const std::string& body) {
    return reply(200, "OK", body);
}
inline std::string error_doc(const std::string& code, const std::string& msg) {
    return "<Error><Code>" + code + "</Code><Message>" + msg + "</Message></Error>";
}

}  // namespace s3merge::test
