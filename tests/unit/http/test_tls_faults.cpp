// The HTTP client's TLS path against an in-process loopback TLS peer that
// shapes exact faults: a record cut short, a close without close_notify, a
// pooled TLS connection the server closed, a handshake that never finishes,
// alerts, renegotiation. The certificate is made at run time (EC P-256,
// self-signed, for 127.0.0.1) and given to the client as its CA bundle, so
// peer and host name verification stay on.
#include <doctest/doctest.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <ostream>
#include <string>

#include "fake_peer.hpp"
#include "s3merge/http/client.hpp"

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using namespace s3merge;
using namespace std::chrono_literals;
using namespace s3merge::test;

namespace {

// A self-signed certificate and its key, PEM.
struct identity {
    std::string cert, key;
};

void add_ext(X509* x, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
    X509_EXTENSION* ex = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    REQUIRE(ex);
    X509_add_ext(x, ex, -1);
    X509_EXTENSION_free(ex);
}

std::string bio_text(BIO* b) {
    char* data = nullptr;
    long n = BIO_get_mem_data(b, &data);
    std::string s(data, static_cast<std::size_t>(n));
    BIO_free(b);
    return s;
}

const identity& test_identity() {
    static const identity id = [] {
        EVP_PKEY* key = EVP_EC_gen("P-256");
        REQUIRE(key);
        X509* x = X509_new();
        X509_set_version(x, 2);
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
        X509_gmtime_adj(X509_getm_notBefore(x), -3600);
        X509_gmtime_adj(X509_getm_notAfter(x), 86400);
        X509_set_pubkey(x, key);
        X509_NAME* name = X509_get_subject_name(x);
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("s3merge test"), -1, -1, 0);
        X509_set_issuer_name(x, name);
        add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign");
        add_ext(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
        REQUIRE(X509_sign(x, key, EVP_sha256()) > 0);
        identity out;
        BIO* cb = BIO_new(BIO_s_mem());
        PEM_write_bio_X509(cb, x);
        out.cert = bio_text(cb);
        BIO* kb = BIO_new(BIO_s_mem());
        PEM_write_bio_PrivateKey(kb, key, nullptr, nullptr, 0, nullptr, nullptr);
        out.key = bio_text(kb);
        X509_free(x);
        EVP_PKEY_free(key);
        return out;
    }();
    return id;
}

std::string ca_file() {
    static const std::string path = [] {
        auto p = std::filesystem::temp_directory_path() /
                 ("s3merge-tls-test-" + std::to_string(::getpid()) + ".pem");
        std::ofstream(p) << test_identity().cert;
        return p.string();
    }();
    return path;
}

using tls_stream = ssl::stream<tcp::socket>;

// A TLS peer: each accepted connection is handed to `serve`, which does the
// handshake (or not) and whatever the fault needs.
struct tls_peer {
    using handler = std::function<asio::awaitable<void>(tls_stream&, int connection_index)>;

    tls_peer(asio::io_context& io, handler h, std::function<void(ssl::context&)> tune = nullptr)
        : ctx(ssl::context::tls_server),
          acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
          serve(std::move(h)) {
        const auto& id = test_identity();
        ctx.use_certificate_chain(asio::buffer(id.cert));
        ctx.use_private_key(asio::buffer(id.key), ssl::context::pem);
        if (tune) tune(ctx);
        asio::co_spawn(io, accept_loop(), asio::detached);
    }
    std::uint16_t port() const { return acceptor.local_endpoint().port(); }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, sock] = co_await acceptor.async_accept(tuple_awaitable);
            if (ec) co_return;
            int index = connections++;
            asio::co_spawn(acceptor.get_executor(), run(std::move(sock), index), asio::detached);
        }
    }
    asio::awaitable<void> run(tcp::socket sock, int index) {
        auto s = std::make_unique<tls_stream>(std::move(sock), ctx);
        co_await serve(*s, index);
    }

    ssl::context ctx;
    tcp::acceptor acceptor;
    handler serve;
    int connections = 0;
};

asio::awaitable<bool> handshake(tls_stream& s) {
    auto [ec] = co_await s.async_handshake(ssl::stream_base::server, tuple_awaitable);
    co_return !ec;
}

// Reads one request's head.
asio::awaitable<bool> read_request(tls_stream& s, asio::streambuf& buf) {
    auto [ec, n] = co_await asio::async_read_until(s, buf, "\r\n\r\n", tuple_awaitable);
    if (ec) co_return false;
    buf.consume(n);
    co_return true;
}

asio::awaitable<bool> write_tls(tls_stream& s, std::string data) {
    auto [ec, n] = co_await asio::async_write(s, asio::buffer(data), tuple_awaitable);
    (void)n;
    co_return !ec;
}

// Closes the TCP connection without a TLS close_notify.
void cut(tls_stream& s) {
    boost::system::error_code ignored;
    s.lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    s.lowest_layer().close(ignored);
}

struct result {
    std::error_code ec;
    http_response resp;
    diagnostics diag;
};

http::client_options tls_options() {
    http::client_options o;
    o.ca_bundle = ca_file();
    o.connect_timeout = 2s;
    o.first_byte_timeout = 2s;
    o.idle_read_timeout = 2s;
    o.request_timeout = 5s;
    return o;
}

// `n` requests one after another over TLS to the peer.
std::vector<result> run_tls(asio::io_context& io, http::client& c, std::uint16_t port, int n,
                            std::chrono::milliseconds pause = 0ms) {
    std::vector<result> results(n);
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            http::origin o{true, "127.0.0.1", port};
            for (int i = 0; i < n; ++i) {
                if (i && pause.count()) co_await sleep_for(pause);
                http_request req;
                req.method = "GET";
                req.host = "127.0.0.1:" + std::to_string(port);
                req.path = "/bucket/key" + std::to_string(i);
                results[i].ec = co_await c.send(o, req, results[i].resp, results[i].diag);
            }
            finished = true;
            io.stop();
        },
        asio::detached);
    io.run_for(20s);
    io.restart();
    REQUIRE(finished);
    return results;
}

const std::string ok_response = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";

}  // namespace

TEST_CASE("TLS: a verified keep-alive exchange reuses one connection") {
    asio::io_context io;
    tls_peer peer(io, [](tls_stream& s, int) -> asio::awaitable<void> {
        if (!co_await handshake(s)) co_return;
        asio::streambuf buf;
        while (co_await read_request(s, buf))
            if (!co_await write_tls(s, ok_response)) co_return;
    });
    http::client c(io.get_executor(), tls_options());
    auto r = run_tls(io, c, peer.port(), 3);
    for (auto& x : r) {
        CHECK(!x.ec);
        CHECK(x.resp.status == 200);
        CHECK(x.resp.body == "ok");
    }
    CHECK(c.stats().connections_opened == 1);
    CHECK(c.stats().connections_reused == 2);
    CHECK(peer.connections == 1);
}

TEST_CASE("TLS: a peer whose certificate the CA bundle does not hold is refused") {
    asio::io_context io;
    tls_peer peer(io, [](tls_stream& s, int) -> asio::awaitable<void> { co_await handshake(s); });
    auto o = tls_options();
    o.ca_bundle.clear();  // the system store: it does not know the test certificate
    http::client c(io.get_executor(), o);
    auto r = run_tls(io, c, peer.port(), 1);
    CHECK(r[0].ec == errc::tls_verify_failed);
    CHECK(r[0].diag.detail.find("certificate verify failed") != std::string::npos);
}

TEST_CASE("TLS: a record cut short is an error, not a response") {
    asio::io_context io;
    tls_peer peer(io, [](tls_stream& s, int) -> asio::awaitable<void> {
        if (!co_await handshake(s)) co_return;
        asio::streambuf buf;
        if (!co_await read_request(s, buf)) co_return;
        // An application-data record header announcing 64 bytes, then 10.
        const std::string partial(
            "\x17\x03\x03\x00\x40"
            "0123456789",
            15);
        co_await write_all(s.next_layer(), partial);
        cut(s);
    });
    http::client c(io.get_executor(), tls_options());
    auto r = run_tls(io, c, peer.port(), 1);
    CHECK(r[0].ec == errc::connection_closed);
    CHECK(r[0].resp.status == 0);
}

TEST_CASE("TLS: a body that runs to the end of the stream needs close_notify to be whole") {
    const std::string head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
    SUBCASE("cut without close_notify: an error (it may have been truncated on the way)") {
        asio::io_context io;
        tls_peer peer(io, [&](tls_stream& s, int) -> asio::awaitable<void> {
            if (!co_await handshake(s)) co_return;
            asio::streambuf buf;
            if (!co_await read_request(s, buf)) co_return;
            co_await write_tls(s, head + "part of a body");
            cut(s);
        });
        http::client c(io.get_executor(), tls_options());
        auto r = run_tls(io, c, peer.port(), 1);
        CHECK(r[0].ec == errc::connection_closed);
    }
    SUBCASE("closed with close_notify: the body is whole") {
        asio::io_context io;
        tls_peer peer(io, [&](tls_stream& s, int) -> asio::awaitable<void> {
            if (!co_await handshake(s)) co_return;
            asio::streambuf buf;
            if (!co_await read_request(s, buf)) co_return;
            co_await write_tls(s, head + "the whole body");
            co_await s.async_shutdown(tuple_awaitable);
            cut(s);
        });
        http::client c(io.get_executor(), tls_options());
        auto r = run_tls(io, c, peer.port(), 1);
        CHECK(!r[0].ec);
        CHECK(r[0].resp.body == "the whole body");
    }
    SUBCASE("a body of known length, then a cut without close_notify: whole") {
        asio::io_context io;
        tls_peer peer(io, [&](tls_stream& s, int) -> asio::awaitable<void> {
            if (!co_await handshake(s)) co_return;
            asio::streambuf buf;
            if (!co_await read_request(s, buf)) co_return;
            co_await write_tls(s, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nwhole");
            cut(s);
        });
        http::client c(io.get_executor(), tls_options());
        auto r = run_tls(io, c, peer.port(), 1);
        CHECK(!r[0].ec);
        CHECK(r[0].resp.body == "whole");
    }
}

TEST_CASE("TLS: a pooled connection the server closed is replaced once, the request re-sent") {
    for (bool notify : {true, false}) {
        INFO("close_notify: ", notify);
        asio::io_context io;
        tls_peer peer(io, [&](tls_stream& s, int) -> asio::awaitable<void> {
            if (!co_await handshake(s)) co_return;
            asio::streambuf buf;
            if (!co_await read_request(s, buf)) co_return;
            co_await write_tls(s, ok_response);
            // Then the server drops the idle connection.
            if (notify) co_await s.async_shutdown(tuple_awaitable);
            cut(s);
        });
        http::client c(io.get_executor(), tls_options());
        auto r = run_tls(io, c, peer.port(), 2, 200ms);
        CHECK(!r[0].ec);
        CHECK(!r[1].ec);
        CHECK(r[1].resp.body == "ok");
        CHECK(c.stats().stale_retries == 1);
        CHECK(c.stats().connections_opened == 2);
        CHECK(peer.connections == 2);
    }
}

TEST_CASE("TLS: a handshake the server never answers times out within the connect timeout") {
    asio::io_context io;
    tls_peer peer(io, [](tls_stream& s, int) -> asio::awaitable<void> {
        co_await sleep_for(3s);  // accepts, reads nothing, says nothing
        cut(s);
    });
    auto o = tls_options();
    o.connect_timeout = 300ms;
    http::client c(io.get_executor(), o);
    auto started = std::chrono::steady_clock::now();
    auto r = run_tls(io, c, peer.port(), 1);
    auto took = std::chrono::steady_clock::now() - started;
    CHECK(r[0].ec == errc::timeout);
    CHECK(r[0].diag.detail.find("TLS handshake") != std::string::npos);
    CHECK(took < 2s);
}

TEST_CASE("TLS: a peer that only speaks TLS 1.1 is refused with an alert") {
    asio::io_context io;
    tls_peer peer(
        io, [](tls_stream& s, int) -> asio::awaitable<void> { co_await handshake(s); },
        [](ssl::context& ctx) {
            SSL_CTX_set_security_level(ctx.native_handle(), 0);
            SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_1_VERSION);
            SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_1_VERSION);
        });
    http::client c(io.get_executor(), tls_options());
    auto r = run_tls(io, c, peer.port(), 1);
    CHECK(r[0].ec == errc::tls_error);
    CHECK(r[0].diag.detail.find("TLS handshake with 127.0.0.1") != std::string::npos);
}

TEST_CASE("TLS: an alert in place of the answer is a TLS error") {
    // The server wants a client certificate; under TLS 1.3 it says so with
    // an alert after the client's Finished, where the answer would be.
    asio::io_context io;
    tls_peer peer(
        io,
        [](tls_stream& s, int) -> asio::awaitable<void> {
            if (!co_await handshake(s)) co_return;
            asio::streambuf buf;
            co_await read_request(s, buf);
        },
        [](ssl::context& ctx) { ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert); });
    http::client c(io.get_executor(), tls_options());
    auto r = run_tls(io, c, peer.port(), 1);
    CHECK(r[0].ec == errc::tls_error);
    CHECK(r[0].resp.status == 0);
}

TEST_CASE("TLS: a server that asks to renegotiate is refused and the exchange goes on") {
    asio::io_context io;
    tls_peer peer(
        io,
        [](tls_stream& s, int) -> asio::awaitable<void> {
            if (!co_await handshake(s)) co_return;
            asio::streambuf buf;
            if (!co_await read_request(s, buf)) co_return;
            REQUIRE(SSL_renegotiate(s.native_handle()) == 1);
            co_await write_tls(s, ok_response);
            co_await sleep_for(500ms);
        },
        [](ssl::context& ctx) { SSL_CTX_set_max_proto_version(ctx.native_handle(), TLS1_2_VERSION); });
    http::client c(io.get_executor(), tls_options());
    auto r = run_tls(io, c, peer.port(), 1);
    CHECK(!r[0].ec);
    CHECK(r[0].resp.body == "ok");
}

namespace {

// Writes a PUT of `body` bytes of 'b', or (body 0) a GET, into its one
// buffer, as s3::client's signing writer does.
struct put_writer final : http::wire_writer {
    std::string buffer;
    std::size_t body = 0;
    std::string_view write() override {
        if (body) {
            buffer = "PUT /big HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body) + "\r\n\r\n";
            buffer.append(body, 'b');
        } else {
            buffer = "GET /small HTTP/1.1\r\nHost: x\r\n\r\n";
        }
        return buffer;
    }
};

}  // namespace

TEST_CASE("TLS: records the socket does not take at once go out whole while other requests are encrypted") {
    // A PUT far larger than loopback's socket buffers waits for the socket
    // with the rest of its records kept; meanwhile GETs on other
    // connections are encrypted into the same buffer the PUT's records were
    // written in. The peer answers "whole" only for the PUT's exact body.
    constexpr std::size_t size = std::size_t{24} << 20;
    asio::io_context io;
    tls_peer peer(io, [&](tls_stream& s, int) -> asio::awaitable<void> {
        if (!co_await handshake(s)) co_return;
        asio::streambuf buf;
        for (;;) {
            auto [ec, n] = co_await asio::async_read_until(s, buf, "\r\n\r\n", tuple_awaitable);
            if (ec) co_return;
            std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
            buf.consume(n);
            const std::size_t len = body_peer::content_length(head);
            if (buf.size() < len) {
                auto [ec2, m] = co_await asio::async_read(s, buf, asio::transfer_exactly(len - buf.size()),
                                                          tuple_awaitable);
                (void)m;
                if (ec2) co_return;
            }
            std::string body(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + len);
            buf.consume(len);
            std::string answer = len == 0 ? std::string("ok")
                                 : (body.size() == size && body.find_first_not_of('b') == std::string::npos)
                                     ? std::string("whole")
                                     : std::string("damaged");
            if (!co_await write_tls(s, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(answer.size()) +
                                           "\r\n\r\n" + answer))
                co_return;
        }
    });
    auto opts = tls_options();
    opts.request_timeout = 30s;
    opts.idle_read_timeout = 10s;
    http::client c(io.get_executor(), opts);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    http::origin o{true, "127.0.0.1", peer.port()};
    put_writer big, small;
    big.body = size;
    result put_result;
    std::vector<result> gets(4);
    int finished = 0;
    http_request req;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            put_result.ec = co_await c.send(o, req, put_result.resp, put_result.diag, &big);
            if (++finished == 5) io.stop();
        },
        asio::detached);
    for (auto& g : gets)
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await sleep_for(20ms);  // once the PUT waits for the socket
                g.ec = co_await c.send(o, req, g.resp, g.diag, &small);
                if (++finished == 5) io.stop();
            },
            asio::detached);
    io.run_for(60s);
    REQUIRE(finished == 5);
    REQUIRE_FALSE(put_result.ec);
    CHECK(put_result.resp.body == "whole");
    for (auto& g : gets) {
        CHECK_FALSE(g.ec);
        CHECK(g.resp.body == "ok");
    }
    CHECK(peer.connections >= 2);
}
