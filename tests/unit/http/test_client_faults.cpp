// The HTTP client against in-process loopback peers that shape exact faults:
// hangs, resets, Connection: close, oversized bodies, slow trickles. These
// complement the integration tests against a real S3 server.
#include <doctest/doctest.h>

#include <boost/asio/as_tuple.hpp>
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

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fake_peer.hpp"
#include "s3merge/http/client.hpp"

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using namespace s3merge;
using namespace std::chrono_literals;
using namespace s3merge::test;

namespace {

const std::string ok_response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nx-amz-request-id: r1\r\n\r\nok";

struct result {
    std::error_code ec;
    http_response resp;
    diagnostics diag;
};

// Answers keep-alive, then silently closes the connection (as S3 does with
// idle connections): the next request on it finds it closed.
asio::awaitable<bool> answer_then_close(tcp::socket& s, int, int) {
    co_await write_all(s, ok_response);
    co_return false;
}

// Runs `n` requests concurrently (or sequentially) and returns the results.
std::vector<result> run_requests(asio::io_context& io, http::client& c, std::uint16_t port, int n,
                                 bool sequential = false, std::string method = "GET") {
    std::vector<result> results(n);
    http::origin o{false, "127.0.0.1", port};
    int finished = 0;
    auto one = [&](int i) -> asio::awaitable<void> {
        http_request req;
        req.method = method;
        req.host = "127.0.0.1:" + std::to_string(port);
        req.path = "/bucket/key " + std::to_string(i);
        results[i].ec = co_await c.send(o, req, results[i].resp, results[i].diag);
        if (++finished == n) io.stop();  // the fake peer keeps the context busy
    };
    if (sequential) {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                for (int i = 0; i < n; ++i) co_await one(i);
            },
            asio::detached);
    } else {
        for (int i = 0; i < n; ++i) asio::co_spawn(io, one(i), asio::detached);
    }
    io.run_for(10s);
    io.restart();
    return results;
}

}  // namespace

TEST_CASE("keep-alive: sequential requests reuse one connection") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) { return write_all(s, ok_response); });
    http::client c(io.get_executor(), {});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 5, true);
    for (auto& x : r) {
        CHECK_FALSE(x.ec);
        CHECK(x.resp.status == 200);
        CHECK(x.resp.body == "ok");
        REQUIRE(x.resp.find_header("x-amz-request-id"));
    }
    CHECK(peer.connections == 1);
    CHECK(c.stats().connections_opened == 1);
    CHECK(c.stats().connections_reused == 4);
}

TEST_CASE("the pool never opens more than the per-host cap; all requests complete") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        co_await sleep_for(20ms);
        co_return co_await write_all(s, ok_response);
    });
    http::client_options opts;
    opts.max_connections_per_host = 3;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 20);
    int ok = 0;
    for (auto& x : r) ok += (!x.ec && x.resp.status == 200);
    CHECK(ok == 20);
    CHECK(peer.max_open == 3);
    CHECK(peer.connections == 3);
    CHECK(peer.requests == 20);
}

TEST_CASE("Connection: close is honoured: the connection is not reused") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        co_return false;  // and close
    });
    http::client c(io.get_executor(), {});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 3, true);
    for (auto& x : r) CHECK_FALSE(x.ec);
    CHECK(peer.connections == 3);
    CHECK(c.stats().connections_reused == 0);
    CHECK(c.stats().stale_retries == 0);
}

TEST_CASE("a pooled connection closed by the server is retried once on a fresh one") {
    // Reused soon after, its answer's first read waits before it reads
    // (reply_read.hpp); reused after more than a second, it reads first.
    for (auto idle : {50ms, 1100ms}) {
        CAPTURE(idle.count());
        asio::io_context io;
        fake_peer peer(io, answer_then_close);
        http::client c(io.get_executor(), {});
        diagnostics d;
        REQUIRE_FALSE(c.init(d));
        auto first = run_requests(io, c, peer.port(), 1, true);
        CHECK_FALSE(first[0].ec);
        io.run_for(idle);  // let the close arrive
        io.restart();
        auto second = run_requests(io, c, peer.port(), 1, true);
        CHECK_FALSE(second[0].ec);
        CHECK(second[0].resp.body == "ok");
        CHECK(c.stats().stale_retries == 1);
        CHECK(peer.connections == 2);
    }
}

namespace {

// One request to a peer that sends `first` and then nothing for 5 s, with
// the two timeouts given; returns the outcome and how long it took.
struct stalled_outcome {
    std::error_code ec;
    std::string detail;
    std::chrono::steady_clock::duration took;
};
stalled_outcome stalled_request(std::string first, std::chrono::milliseconds first_byte,
                                std::chrono::milliseconds idle) {
    asio::io_context io;
    fake_peer peer(io, [first](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        if (!first.empty()) co_await write_all(s, first);
        co_await sleep_for(5s);
        co_return false;
    });
    http::client_options opts;
    opts.first_byte_timeout = first_byte;
    opts.idle_read_timeout = idle;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto t0 = std::chrono::steady_clock::now();
    auto r = run_requests(io, c, peer.port(), 1, true);
    return {r[0].ec, r[0].diag.detail, std::chrono::steady_clock::now() - t0};
}

}  // namespace

TEST_CASE("a server that never answers trips the first-byte timeout, far below the idle timeout") {
    auto r = stalled_request("", 150ms, 60s);
    CHECK(r.ec == errc::timeout);
    CHECK(r.detail.find("no answer from 127.0.0.1:") != std::string::npos);
    CHECK(r.took < 3s);
}

TEST_CASE("a pooled connection idles past every timeout unharmed, and its next request still times out") {
    // A connection stays on the deadline sweeper's list between requests,
    // without a deadline: a sweep while it sits idle must not cut it, and
    // the next request on it must be watched again (a server that goes
    // silent on it is found by the first-byte timeout).
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int request, int) -> asio::awaitable<bool> {
        if (request == 2) {
            co_await sleep_for(5s);  // the third request: no answer
            co_return false;
        }
        co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        co_return true;
    });
    http::client_options opts;
    opts.first_byte_timeout = 100ms;
    opts.idle_read_timeout = 100ms;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    http::origin o{false, "127.0.0.1", peer.port()};
    std::vector<std::error_code> ecs;
    std::vector<std::chrono::steady_clock::duration> took;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 3; ++i) {
                // Idle between requests for several sweeps' worth of time.
                if (i > 0) co_await sleep_for(400ms);
                http_request req;
                req.method = "GET";
                req.host = "127.0.0.1:" + std::to_string(peer.port());
                req.path = "/bucket/key";
                http_response resp;
                diagnostics diag;
                const auto t0 = std::chrono::steady_clock::now();
                ecs.push_back(co_await c.send(o, req, resp, diag));
                took.push_back(std::chrono::steady_clock::now() - t0);
            }
            io.stop();
        },
        asio::detached);
    io.run_for(10s);
    REQUIRE(ecs.size() == 3);
    CHECK_FALSE(ecs[0]);
    CHECK_FALSE(ecs[1]);  // idled 400 ms (four timeouts' length) in the pool: still good
    CHECK(peer.connections == 1);
    CHECK(c.stats().connections_reused == 2);
    CHECK(ecs[2] == errc::timeout);  // the silent answer on the reused connection
    CHECK(took[2] < 3s);
}

TEST_CASE("a server that stops in the middle of an answer trips the idle read timeout") {
    auto r = stalled_request("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 60s, 150ms);
    CHECK(r.ec == errc::timeout);
    CHECK(r.detail.find("timed out") != std::string::npos);
    CHECK(r.detail.find("127.0.0.1") != std::string::npos);
    CHECK(r.took < 3s);
}

TEST_CASE("a trickling server is cut off by the whole-request timeout") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        for (int i = 0; i < 100; ++i) {
            co_await sleep_for(30ms);
            if (!co_await write_all(s, "x")) co_return false;
        }
        co_return false;
    });
    http::client_options opts;
    opts.idle_read_timeout = 200ms;  // never trips: a byte every 30 ms
    opts.request_timeout = 400ms;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 1, true);
    CHECK(r[0].ec == errc::timeout);
}

TEST_CASE("a body over the limit is refused") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        co_return co_await write_all(
            s, "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
    });
    http::client_options opts;
    opts.max_body_bytes = 1000;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 1, true);
    CHECK(r[0].ec == errc::body_too_large);
}

// A body of this size or more is received straight into the response (large
// reads, no second copy); these bodies must arrive byte for byte whatever
// the pieces the server sends them in.
std::string patterned_body(std::size_t n, int seed) {
    std::string b(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        b[i] = static_cast<char>('a' + (i * 7 + static_cast<std::size_t>(seed)) % 26);
    return b;
}

TEST_CASE("large bodies arrive whole, in any pieces, and the connection is reused") {
    asio::io_context io;
    // Request i gets a body of sizes[i] bytes, sent in pieces of pieces[i]
    // bytes with a pause between them (the header alone first, or with part
    // of the body, or everything in one write).
    const std::vector<std::size_t> sizes = {300000, 16384, 16383, 70000, 1, 250001};
    const std::vector<std::size_t> pieces = {4096, 100, 16383, 0, 0, 65536};
    fake_peer peer(io, [&](tcp::socket& s, int i, int) -> asio::awaitable<bool> {
        std::string body = patterned_body(sizes[static_cast<std::size_t>(i)], i);
        std::string all =
            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
        std::size_t step = pieces[static_cast<std::size_t>(i)];
        if (step == 0) co_return co_await write_all(s, all);
        for (std::size_t off = 0; off < all.size(); off += step) {
            if (!co_await write_all(s, all.substr(off, step))) co_return false;
            co_await sleep_for(1ms);
        }
        co_return true;
    });
    http::client c(io.get_executor(), http::client_options{});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), static_cast<int>(sizes.size()), true);
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        CAPTURE(i);
        REQUIRE_FALSE(r[i].ec);
        CHECK(r[i].resp.status == 200);
        CHECK(r[i].resp.body.size() == sizes[i]);
        CHECK(r[i].resp.body == patterned_body(sizes[i], static_cast<int>(i)));
    }
    CHECK(peer.connections == 1);  // each body was read to its end: keep-alive held
}

TEST_CASE("a large body cut short by the server is an error, not a short body") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'x'));
        co_await sleep_for(20ms);
        co_await write_all(s, std::string(40000, 'y'));
        co_return false;  // closes the connection 59,000 bytes early
    });
    http::client c(io.get_executor(), http::client_options{});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 1, true);
    CHECK(r[0].ec);
    CHECK(r[0].diag.detail.find("reading response from") != std::string::npos);
}

TEST_CASE("HEAD responses with a Content-Length carry no body and do not hang") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) {
        return write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 12345\r\nETag: \"e\"\r\n\r\n");
    });
    http::client_options opts;
    opts.idle_read_timeout = 1s;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 2, true, "HEAD");
    for (auto& x : r) {
        CHECK_FALSE(x.ec);
        CHECK(x.resp.status == 200);
        CHECK(x.resp.body.empty());
        REQUIRE(x.resp.find_header("content-length"));
        CHECK(*x.resp.find_header("content-length") == "12345");
    }
    CHECK(peer.connections == 1);
}

TEST_CASE("connection refused is connect_failed with the address") {
    asio::io_context io;
    std::uint16_t port;
    {
        tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        port = a.local_endpoint().port();
    }  // closed: nothing listens there now
    http::client c(io.get_executor(), {});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, port, 1, true);
    CHECK(r[0].ec == errc::connect_failed);
    CHECK(r[0].diag.detail.find("connect 127.0.0.1:" + std::to_string(port)) == 0);
}

TEST_CASE("garbage instead of HTTP is a protocol error") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        co_await write_all(s, "SSH-2.0-OpenSSH\r\n\r\n");
        co_return false;
    });
    http::client c(io.get_executor(), {});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = run_requests(io, c, peer.port(), 1, true);
    CHECK(r[0].ec == errc::protocol_error);
}

TEST_CASE("DNS answers are cached per host") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) -> asio::awaitable<bool> {
        co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        co_return false;
    });
    http::client c(io.get_executor(), {});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    std::vector<result> results(3);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            http::origin o{false, "localhost", peer.port()};
            for (auto& r : results) {
                http_request req;
                req.host = "localhost";
                r.ec = co_await c.send(o, req, r.resp, r.diag);
            }
        },
        asio::detached);
    io.run_for(2s);
    for (auto& r : results) CHECK_FALSE(r.ec);
    CHECK(c.stats().dns_lookups == 1);
    CHECK(c.stats().dns_cache_hits == 2);
}

TEST_CASE("a missing CA bundle is a clear TLS configuration error") {
    asio::io_context io;
    http::client_options opts;
    opts.ca_bundle = "/nonexistent/ca.pem";
    http::client c(io.get_executor(), opts);
    diagnostics d;
    CHECK(c.init(d) == errc::tls_error);
    CHECK(d.detail.find("/nonexistent/ca.pem") != std::string::npos);
}

namespace {

// A peer that waits `read_after` before it reads anything, then reads one
// request with its body and answers with the body's size and a checksum;
// with read_after past the client's timeouts it never reads at all.
struct slow_reader {
    // With `answer_first`, it answers as soon as it has the request's
    // headers (as a server refusing an upload does), then reads the body
    // after `read_after`.
    slow_reader(asio::io_context& io, std::chrono::milliseconds read_after, bool answer_first = false)
        : acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          wait(read_after),
          early(answer_first) {
        asio::co_spawn(io, serve(), asio::detached);
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }
    asio::awaitable<void> serve() {
        auto [aec, sock] = co_await acceptor.async_accept(tuple_awaitable);
        if (aec) co_return;
        if (!early) co_await sleep_for(wait);
        asio::streambuf buf;
        auto [ec, n] = co_await asio::async_read_until(sock, buf, "\r\n\r\n", tuple_awaitable);
        if (ec) co_return;
        std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
        buf.consume(n);
        if (early) {
            co_await write_all(sock, "HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nearly");
            co_await sleep_for(wait);
        }
        auto at = head.find("Content-Length: ");
        std::size_t len = at == std::string::npos ? 0 : std::stoul(head.substr(at + 16));
        if (buf.size() < len) {
            auto [ec2, m] = co_await asio::async_read(sock, buf, asio::transfer_exactly(len - buf.size()),
                                                      tuple_awaitable);
            (void)m;
            if (ec2) co_return;
        }
        std::uint64_t sum = 0;
        std::string body(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + len);
        for (unsigned char ch : body) sum = sum * 31 + ch;
        received = len;
        if (early) {
            co_await sleep_for(1s);
            co_return;
        }
        const std::string answer = std::to_string(len) + " " + std::to_string(sum);
        std::string reply =
            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) + "\r\n\r\n" + answer;
        co_await write_all(sock, std::move(reply));
        co_await sleep_for(1s);
    }
    tcp::acceptor acceptor;
    std::chrono::milliseconds wait;
    bool early;
    std::size_t received = 0;
};

result put_big(asio::io_context& io, http::client& c, std::uint16_t port, const std::string& body) {
    result out;
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            http::origin o{false, "127.0.0.1", port};
            http_request req;
            req.method = "PUT";
            req.host = "127.0.0.1:" + std::to_string(port);
            req.path = "/bucket/big";
            req.body = body;
            out.ec = co_await c.send(o, req, out.resp, out.diag);
            finished = true;
            io.stop();
        },
        asio::detached);
    io.run_for(20s);
    REQUIRE(finished);
    return out;
}

}  // namespace

TEST_CASE("a request larger than the socket buffers waits for the peer to read, then arrives whole") {
    asio::io_context io;
    slow_reader peer(io, 300ms);
    std::string body(32u << 20, '\0');
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < body.size(); ++i) {
        body[i] = static_cast<char>((i * 7919u) >> 3);
        sum = sum * 31 + static_cast<unsigned char>(body[i]);
    }
    http::client_options opts;
    opts.idle_read_timeout = 5s;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto r = put_big(io, c, peer.port(), body);
    CHECK_FALSE(r.ec);
    CHECK(r.resp.status == 200);
    CHECK(r.resp.body == std::to_string(body.size()) + " " + std::to_string(sum));
    CHECK(peer.received == body.size());
}

TEST_CASE("an answer that arrives while a large request is still being sent is read, not waited for") {
    // Its arrival comes while the client waits to write, with no read
    // waiting: the first read after the request must read at once (an
    // answer's first read otherwise waits for the next arrival, and there
    // is none: the idle timeout would end the request).
    asio::io_context io;
    slow_reader peer(io, 300ms, /*answer_first=*/true);
    const std::string body(32u << 20, 'x');
    http::client_options opts;
    opts.idle_read_timeout = 3s;
    opts.first_byte_timeout = 3s;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    const auto t0 = std::chrono::steady_clock::now();
    auto r = put_big(io, c, peer.port(), body);
    CHECK_FALSE(r.ec);
    CHECK(r.resp.status == 400);
    CHECK(r.resp.body == "early");
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE("a peer that never reads a large request trips the idle timeout while sending") {
    asio::io_context io;
    slow_reader peer(io, 10s);
    http::client_options opts;
    opts.idle_read_timeout = 200ms;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    auto t0 = std::chrono::steady_clock::now();
    auto r = put_big(io, c, peer.port(), std::string(64u << 20, 'x'));
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(r.ec == errc::timeout);
    CHECK(r.diag.detail.find("sending request to 127.0.0.1") != std::string::npos);
    CHECK(took < 5s);
}

#include "http/reply_read.hpp"

#ifdef S3MERGE_LAZY_REPLY_READ
namespace {

// A connected pair of loopback sockets, the client's non-blocking as the
// HTTP client's are, and a way to run the event loop for a while.
struct socket_pair {
    asio::io_context io;
    tcp::acceptor acc{io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)};
    tcp::socket client{io}, server{io};
    socket_pair() {
        client.connect(acc.local_endpoint());
        acc.accept(server);
        client.non_blocking(true);
    }
    void settle(std::chrono::milliseconds d) {
        asio::steady_timer t(io, d);
        t.async_wait([](const boost::system::error_code&) {});
        io.run_for(d + 20ms);
        io.restart();
    }
};

}  // namespace

TEST_CASE(
    "an answer's first read waits for bytes that arrive after it starts; it makes no read before the wait") {
    // Bytes already in the socket, whose arrival the event loop has already
    // seen, are not read by an attempt before the wait (there is none): the
    // read completes when the next bytes arrive, with both. async_read_some
    // would have returned the first ones at once.
    socket_pair sp;
    asio::write(sp.server, asio::buffer(std::string("early")));
    sp.settle(50ms);  // the event loop sees "early" arrive, with no read pending
    char buf[64];
    bool done = false;
    std::size_t got = 0;
    boost::system::error_code got_ec;
    http::detail::async_read_reply(sp.client, asio::buffer(buf),
                                   [&](boost::system::error_code ec, std::size_t n) {
                                       done = true;
                                       got_ec = ec;
                                       got = n;
                                   });
    sp.settle(100ms);
    CHECK_FALSE(done);
    asio::write(sp.server, asio::buffer(std::string("late")));
    sp.settle(100ms);
    REQUIRE(done);
    CHECK_FALSE(got_ec);
    CHECK(std::string(buf, got) == "earlylate");
}

TEST_CASE("an answer's first read is cancelled like any socket read, and sees the peer's close") {
    socket_pair sp;
    char buf[64];
    std::vector<boost::system::error_code> results;
    auto handler = [&](boost::system::error_code ec, std::size_t) { results.push_back(ec); };
    http::detail::async_read_reply(sp.client, asio::buffer(buf), handler);
    sp.settle(50ms);
    CHECK(results.empty());
    sp.client.cancel();  // what the client's deadline sweeper does
    sp.settle(50ms);
    REQUIRE(results.size() == 1);
    CHECK(results[0] == asio::error::operation_aborted);
    http::detail::async_read_reply(sp.client, asio::buffer(buf), handler);
    sp.settle(50ms);
    sp.server.close();  // the peer goes away: a new event, the read ends
    sp.settle(50ms);
    REQUIRE(results.size() == 2);
    CHECK(results[1] == asio::error::eof);
}
#endif

namespace {

// Writes a numbered GET (or a PUT with a body of `body` bytes of 'b') into
// its one buffer, as s3::client's signing writer does, counting its calls.
struct counting_writer final : http::wire_writer {
    std::string buffer;
    int calls = 0;
    std::size_t body = 0;
    std::string_view write() override {
        ++calls;
        if (body) {
            buffer = "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n";
            buffer.append(body, 'b');
        } else {
            buffer = "GET /w" + std::to_string(calls) + " HTTP/1.1\r\nHost: x\r\n\r\n";
        }
        return buffer;
    }
};

// Starts one send of `req` through `w`; the context stops when it ends.
void spawn_send(asio::io_context& io, http::client& c, const http::origin& o, const http_request& req,
                http::wire_writer& w, result& r) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            r.ec = co_await c.send(o, req, r.resp, r.diag, &w);
            io.stop();
        },
        asio::detached);
}

}  // namespace

TEST_CASE("a wire_writer's bytes go out as written; a re-send on a fresh connection is written again") {
    asio::io_context io;
    fake_peer peer(io, answer_then_close);  // the second request finds the connection closed
    http::client c(io.get_executor(), {});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    counting_writer w;
    http::origin o{false, "127.0.0.1", peer.port()};
    http_request req;  // what the writer does not write: never serialized here
    req.path = "/not-sent";
    auto one = [&]() {
        result r;
        spawn_send(io, c, o, req, w, r);
        io.run_for(10s);
        io.restart();
        return r;
    };
    auto first = one();
    CHECK_FALSE(first.ec);
    CHECK(w.calls == 1);
    CHECK(peer.last_request.rfind("GET /w1 HTTP/1.1\r\n", 0) == 0);
    io.run_for(50ms);  // the close arrives
    io.restart();
    auto second = one();
    CHECK_FALSE(second.ec);
    CHECK(second.resp.body == "ok");
    CHECK(c.stats().stale_retries == 1);
    // Written for the closed connection (2), then again for the fresh one (3).
    CHECK(w.calls == 3);
    CHECK(peer.last_request.rfind("GET /w3 HTTP/1.1\r\n", 0) == 0);
    CHECK(peer.connections == 2);
}

TEST_CASE("a request larger than the socket takes at once goes out whole though its writer writes again") {
    asio::io_context io;
    constexpr std::size_t size = std::size_t{32} << 20;  // more than loopback's socket buffers
    body_peer peer(io, [&](const http_req& r) {
        const bool whole = r.body.size() == size && r.body.find_first_not_of('b') == std::string::npos;
        return whole ? ok("whole") : reply(400, "Bad Request", "damaged");
    });
    http::client c(io.get_executor(), {});
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    counting_writer w;
    w.body = size;
    http::origin o{false, "127.0.0.1", peer.port()};
    http_request req;
    result r;
    bool overwritten = false;
    spawn_send(io, c, o, req, w, r);
    // Runs once the send waits for the socket: the writer's buffer is
    // written over (another request's write would do that).
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            std::fill(w.buffer.begin(), w.buffer.end(), 'X');
            overwritten = true;
            co_return;
        },
        asio::detached);
    io.run_for(30s);
    CHECK(overwritten);
    REQUIRE_FALSE(r.ec);
    CHECK(r.resp.status == 200);
    CHECK(r.resp.body == "whole");
    CHECK(w.calls == 1);
}
