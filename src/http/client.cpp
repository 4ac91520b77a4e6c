// The HTTP/1.1 client: the only translation unit (with asio_impl.cpp) that
// includes Beast and Asio SSL. See include/s3merge/http/client.hpp.
#include "s3merge/http/client.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

#include "s3merge/http/pool_state.hpp"
#include "s3merge/http/wire.hpp"

namespace s3merge::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// S3 closes idle keep-alive connections after ~20 s; do not reuse one that
// sat idle longer than this.
constexpr auto max_idle_age = std::chrono::seconds(15);

// Parses a response straight into an http_response: no intermediate
// header container, the body appended in place.
class response_sink : public bhttp::basic_parser<false> {
public:
    explicit response_sink(http_response& r) : resp_(r) {
        resp_.status = 0;
        resp_.headers.clear();
        resp_.body.clear();
    }

private:
    void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int, beast::error_code&) override {}
    void on_response_impl(int code, beast::string_view, int, beast::error_code&) override {
        resp_.status = static_cast<unsigned>(code);
        resp_.headers.reserve(12);
    }
    void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                       beast::error_code&) override {
        resp_.headers.push_back({std::string(name), std::string(value)});
    }
    void on_header_impl(beast::error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast::error_code&) override {
        if (length) resp_.body.reserve(static_cast<std::size_t>(*length));
    }
    std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
        resp_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
        resp_.body.append(body.data(), body.size());
        return body.size();
    }
    void on_finish_impl(beast::error_code&) override {}

    http_response& resp_;
};

struct connection {
    std::uint64_t id = 0;
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    clock::time_point last_used = clock::now();

    beast::tcp_stream& lowest() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
    void close() {
        beast::error_code ignored;
        lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
        lowest().socket().close(ignored);
    }
};
using connection_ptr = std::unique_ptr<connection>;

struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    connection_ptr handed;  // an idle connection passed over by release
    bool slot = false;      // permission to open a new connection
};

struct host_pool {
    explicit host_pool(std::size_t max) : state(max) {}
    pool_state state;
    std::unordered_map<std::uint64_t, connection_ptr> idle;
    std::unordered_map<std::uint64_t, std::shared_ptr<waiter>> waiters;
    std::uint64_t next_slot_id = 1ull << 40;  // ids for slot-opened connections
};

struct dns_entry {
    tcp::resolver::results_type results;
    clock::time_point expires;
};

bool is_ip_literal(const std::string& host) {
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

std::string origin_key(const origin& o) {
    return (o.tls ? "https://" : "http://") + o.host + ":" + std::to_string(o.port);
}

std::chrono::milliseconds remaining(clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

std::chrono::milliseconds step(std::chrono::milliseconds step_timeout, clock::time_point deadline) {
    return std::min(step_timeout, remaining(deadline));
}

bool is_closed_error(const beast::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

// Maps a transport error to errc and writes a one-line detail.
std::error_code map_error(const beast::error_code& ec, std::string_view during, const origin& o,
                          diagnostics& diag, const SSL* ssl = nullptr) {
    std::string where = std::string(during) + " " + o.host + ":" + std::to_string(o.port);
    errc e = errc::protocol_error;
    std::string what = ec.message();
    if (ec == beast::error::timeout || ec == asio::error::timed_out) {
        e = errc::timeout;
        what = "timed out";
    } else if (ec == asio::error::operation_aborted) {
        e = errc::cancelled;
    } else if (is_closed_error(ec)) {
        e = errc::connection_closed;
    } else if (ec == bhttp::error::body_limit || ec == bhttp::error::buffer_overflow ||
               ec == bhttp::error::header_limit) {
        e = errc::body_too_large;
    } else if (ec.category() == asio::error::get_ssl_category()) {
        e = errc::tls_error;
        if (ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
            e = errc::tls_verify_failed;
            if (ssl) {
                long vr = SSL_get_verify_result(ssl);
                what = std::string("certificate verify failed: ") + X509_verify_cert_error_string(vr);
            }
        }
    } else if (ec.category() == asio::error::get_netdb_category() ||
               ec.category() == asio::error::get_addrinfo_category()) {
        e = errc::resolve_failed;
    } else if (during == "connect") {
        e = errc::connect_failed;
    } else if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
        e = errc::protocol_error;
    } else {
        e = errc::connection_closed;  // other socket errors: treat as a lost connection
    }
    diag.detail = where + ": " + what;
    return make_error_code(e);
}

} // namespace

struct client::impl {
    impl(asio::any_io_executor ex, client_options o)
        : executor(std::move(ex)), opts(std::move(o)), ssl_ctx(asio::ssl::context::tls_client),
          resolver(executor) {}

    asio::any_io_executor executor;
    client_options opts;
    asio::ssl::context ssl_ctx;
    tcp::resolver resolver;
    std::map<std::string, std::unique_ptr<host_pool>> pools;
    std::map<std::string, dns_entry> dns;
    client_stats stats;
    bool tls_ready = false;

    // Loading a CA store parses every certificate in it (~100 ms of CPU for
    // a system bundle): done on the first TLS connection, not for plain HTTP.
    std::error_code prepare_tls(diagnostics& diag) {
        if (tls_ready) return {};
        beast::error_code ec;
        ssl_ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
        if (!opts.ca_bundle.empty()) {
            ssl_ctx.load_verify_file(opts.ca_bundle, ec);
            if (ec) {
                diag.detail = "cannot load CA bundle " + opts.ca_bundle + ": " + ec.message();
                return make_error_code(errc::tls_error);
            }
        } else {
            ssl_ctx.set_default_verify_paths(ec);
            if (ec) {
                diag.detail = "cannot load the system CA store: " + ec.message();
                return make_error_code(errc::tls_error);
            }
        }
        tls_ready = true;
        return {};
    }

    host_pool& pool_for(const origin& o) {
        auto& p = pools[origin_key(o)];
        if (!p) p = std::make_unique<host_pool>(opts.max_connections_per_host);
        return *p;
    }

    asio::awaitable<std::error_code> resolve(const origin& o, tcp::resolver::results_type& out,
                                             diagnostics& diag) {
        std::string key = o.host + ":" + std::to_string(o.port);
        auto it = dns.find(key);
        if (it != dns.end() && it->second.expires > clock::now()) {
            ++stats.dns_cache_hits;
            out = it->second.results;
            co_return std::error_code{};
        }
        ++stats.dns_lookups;
        auto flags = is_ip_literal(o.host) ? tcp::resolver::numeric_host : tcp::resolver::flags{};
        auto [ec, results] =
            co_await resolver.async_resolve(o.host, std::to_string(o.port), flags, use_tuple);
        if (ec) co_return map_error(ec, "resolve", o, diag);
        if (dns.size() > 1024) dns.clear();  // bounded
        dns[key] = dns_entry{results, clock::now() + opts.dns_ttl};
        out = std::move(results);
        co_return std::error_code{};
    }

    asio::awaitable<std::error_code> open(const origin& o, connection& c, clock::time_point deadline,
                                          diagnostics& diag) {
        tcp::resolver::results_type endpoints;
        if (auto ec = co_await resolve(o, endpoints, diag)) co_return ec;
        if (o.tls) {
            if (auto ec = prepare_tls(diag)) co_return ec;
            c.secure.emplace(executor, ssl_ctx);
            // Asio asks OpenSSL to free a connection's record buffers whenever
            // they are empty, that is after every request and every response:
            // two ~17 KiB allocations per exchange, each of which makes glibc
            // consolidate its fast bins. A pooled connection keeps them.
            SSL_clear_mode(c.secure->native_handle(), SSL_MODE_RELEASE_BUFFERS);
        } else {
            c.plain.emplace(executor);
        }
        auto& low = c.lowest();
        low.expires_after(step(opts.connect_timeout, deadline));
        auto [ec, ep] = co_await low.async_connect(endpoints, use_tuple);
        if (ec) co_return map_error(ec, "connect", o, diag);
        low.socket().set_option(tcp::no_delay(true));
        ++stats.connections_opened;
        if (o.tls) {
            SSL* ssl = c.secure->native_handle();
            if (!is_ip_literal(o.host)) {
                if (!SSL_set_tlsext_host_name(ssl, o.host.c_str())) {
                    diag.detail = "TLS " + o.host + ": cannot set SNI";
                    co_return make_error_code(errc::tls_error);
                }
            }
            if (opts.verify_peer) {
                c.secure->set_verify_mode(asio::ssl::verify_peer);
                c.secure->set_verify_callback(asio::ssl::host_name_verification(o.host));
            } else {
                c.secure->set_verify_mode(asio::ssl::verify_none);
            }
            low.expires_after(step(opts.connect_timeout, deadline));
            auto [hec] = co_await c.secure->async_handshake(asio::ssl::stream_base::client, use_tuple);
            if (hec) co_return map_error(hec, "TLS handshake with", o, diag, ssl);
        }
        co_return std::error_code{};
    }

    void wake(host_pool& p, std::uint64_t waiter_id, connection_ptr handed) {
        auto it = p.waiters.find(waiter_id);
        if (it == p.waiters.end()) return;
        auto w = it->second;
        p.waiters.erase(it);
        if (handed) {
            w->handed = std::move(handed);
        } else {
            w->slot = true;
        }
        w->timer.cancel();
    }

    void release(host_pool& p, connection_ptr c, bool healthy) {
        if (healthy) {
            c->last_used = clock::now();
            auto id = c->id;
            if (auto w = p.state.release_idle(id)) {
                wake(p, w, std::move(c));
            } else {
                p.idle[id] = std::move(c);
            }
        } else {
            c->close();
            auto id = c->id;
            c.reset();
            if (auto w = p.state.release_closed(id)) wake(p, w, nullptr);
        }
    }

    // Takes idle connection `id` out of the pool. Returns false, with `out`
    // closed and reset, when it sat idle too long to trust; its slot is then
    // the caller's to open a new connection in.
    bool take_idle(host_pool& p, std::uint64_t id, connection_ptr& out) {
        auto it = p.idle.find(id);
        out = std::move(it->second);
        p.idle.erase(it);
        if (clock::now() - out->last_used < max_idle_age) {
            ++stats.connections_reused;
            return true;
        }
        out->close();
        out.reset();
        return false;
    }

    // Gets a connection for `o` after the pool's decision `r` when no fresh
    // idle one was taken (send takes those itself, without this coroutine):
    // a new one, or waits for one.
    asio::awaitable<std::error_code> acquire(host_pool& p, pool_state::acquire_result r, const origin& o,
                                             connection_ptr& out, bool& reused, clock::time_point deadline,
                                             diagnostics& diag) {
        std::uint64_t new_id = 0;
        switch (r.what) {
        case pool_state::decision::reuse_idle:  // it sat idle too long: a new one in its slot
        case pool_state::decision::open_new:
            new_id = r.id;
            break;
        case pool_state::decision::wait: {
            auto w = std::make_shared<waiter>(executor);
            p.waiters[r.waiter] = w;
            w->timer.expires_after(remaining(deadline));
            co_await w->timer.async_wait(use_tuple);
            if (w->handed) {
                out = std::move(w->handed);
                reused = true;
                ++stats.connections_reused;
                co_return std::error_code{};
            }
            if (!w->slot) {
                p.state.cancel_wait(r.waiter);
                p.waiters.erase(r.waiter);
                diag.detail = "waiting for a connection to " + o.host + ":" + std::to_string(o.port) +
                              ": timed out";
                co_return make_error_code(errc::timeout);
            }
            new_id = p.next_slot_id++;
            break;
        }
        }
        out = std::make_unique<connection>();
        out->id = new_id;
        reused = false;
        if (auto ec = co_await open(o, *out, deadline, diag)) {
            release(p, std::move(out), false);
            co_return ec;
        }
        co_return std::error_code{};
    }

    template <class Stream>
    asio::awaitable<beast::error_code> exchange_on(Stream& stream, connection& c,
                                                   const std::string& wire,
                                                   response_sink& parser,
                                                   clock::time_point deadline, bool& wrote) {
        auto& low = c.lowest();
        low.expires_after(step(opts.idle_read_timeout, deadline));
        auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(wire), use_tuple);
        (void)wn;
        if (wec) co_return wec;
        wrote = true;
        while (!parser.is_done()) {
            // The idle timer restarts on every chunk, the deadline does not.
            low.expires_after(step(opts.idle_read_timeout, deadline));
            auto [rec, rn] = co_await bhttp::async_read_some(stream, c.buffer, parser, use_tuple);
            (void)rn;
            if (rec) co_return rec;
            if (parser.is_header_done() && !parser.is_done()) grow_for_body(c, parser);
        }
        low.expires_never();
        co_return beast::error_code{};
    }

    // A large body of known length (a listing page, ~250 KB) is read in
    // large pieces: the connection buffer, small for the usual short
    // responses, grows for it (and is shrunk again once the response is
    // read). Its reads are bounded by the free space in it.
    static void grow_for_body(connection& c, response_sink& parser) {
        constexpr std::uint64_t large_body = 16 * 1024;
        constexpr std::size_t max_read = 64 * 1024;
        auto left = parser.content_length_remaining();
        if (!left || *left < large_body) return;
        std::size_t want = c.buffer.size() + std::min<std::size_t>(static_cast<std::size_t>(*left), max_read);
        if (c.buffer.capacity() < want) c.buffer.reserve(want);
    }

    asio::awaitable<std::error_code> send(const origin& o, const http_request& req,
                                          http_response& resp, diagnostics& diag) {
        ++stats.requests;
        auto deadline = clock::now() + opts.request_timeout;
        // The whole request in one buffer: one write, no per-field allocations.
        std::string wire;  // sized once by serialize_request
        if (auto ec = serialize_request(req, opts.user_agent, wire, diag)) co_return ec;
        const bool head = req.method == "HEAD";

        auto& pool = pool_for(o);
        for (int attempt = 0;; ++attempt) {
            connection_ptr c;
            bool reused = false;
            // The usual case, a fresh idle connection, is settled here without
            // the acquire coroutine. One idle too long is replaced in its slot.
            auto r = pool.state.acquire();
            if (r.what == pool_state::decision::reuse_idle && take_idle(pool, r.id, c)) {
                reused = true;
            } else if (auto ec = co_await acquire(pool, r, o, c, reused, deadline, diag)) {
                co_return ec;
            }

            response_sink parser(resp);
            parser.body_limit(opts.max_body_bytes);
            parser.header_limit(64 * 1024);
            if (head) parser.skip(true);
            bool wrote = false;
            beast::error_code ec;
            if (c->secure)
                ec = co_await exchange_on(*c->secure, *c, wire, parser, deadline, wrote);
            else
                ec = co_await exchange_on(*c->plain, *c, wire, parser, deadline, wrote);

            if (ec) {
                SSL* ssl = c->secure ? c->secure->native_handle() : nullptr;
                bool stale = reused && attempt == 0 && is_closed_error(ec) && !parser.got_some();
                auto mapped = map_error(ec, wrote ? "reading response from" : "sending request to", o,
                                        diag, ssl);
                release(pool, std::move(c), false);
                if (stale) {
                    // The server closed the pooled connection while it sat
                    // idle; nothing was processed. Re-send once, fresh.
                    ++stats.stale_retries;
                    diag.detail.clear();
                    continue;
                }
                co_return mapped;
            }
            bool keep = parser.keep_alive();
            c->buffer.clear();
            // A buffer grown for a listing page goes back to nothing: pooled
            // connections mostly carry short responses, and 128 of them
            // holding 64 KiB each would be 8 MiB for nothing.
            if (c->buffer.capacity() > 16 * 1024) c->buffer.shrink_to_fit();
            release(pool, std::move(c), keep);
            co_return std::error_code{};
        }
    }
};

client::client(asio::any_io_executor ex, client_options opts)
    : impl_(std::make_unique<impl>(std::move(ex), std::move(opts))) {}

client::~client() = default;

std::error_code client::init(diagnostics& diag) {
    // The CA bundle is loaded on the first TLS connection; a missing or
    // unreadable file is reported now.
    const auto& path = impl_->opts.ca_bundle;
    if (!path.empty()) {
        if (FILE* f = std::fopen(path.c_str(), "rb")) {
            std::fclose(f);
        } else {
            diag.detail = "cannot load CA bundle " + path + ": cannot open the file";
            return make_error_code(errc::tls_error);
        }
    }
    return {};
}

asio::awaitable<std::error_code> client::send(const origin& o, const http_request& req,
                                              http_response& resp, diagnostics& diag) {
    return impl_->send(o, req, resp, diag);
}

void client::close_idle() {
    for (auto& [key, p] : impl_->pools) {
        for (auto& [id, c] : p->idle) {
            c->close();
            p->state.drop_idle(id);
        }
        p->idle.clear();
    }
}

const client_stats& client::stats() const { return impl_->stats; }
const client_options& client::options() const { return impl_->opts; }

} // namespace s3merge::http
