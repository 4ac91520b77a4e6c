// The HTTP/1.1 client. See include/s3merge/http/client.hpp.
//
// Rooms: tls_transport (TLS over the connection's own buffers: BIO,
// handshake steps, encrypt/decrypt), connection (the socket and its
// buffers, and the deadline sweeper that times out waits without a timer
// per operation), pool_state (which connections exist, which are idle, who
// waits: the pool's pure state machine). This file holds the pools, DNS,
// opening connections, and send = write_request, read_response, recycle.
//
// The transport is lean on purpose, since it runs once per copied object:
// a request is serialized into the connection's own reused buffer and
// written with one send, straight from the coroutine (it waits for
// writability only when the socket is full); the response is read with
// async_read_some into the connection's buffer and fed to Beast's parser
// (its first read without the attempt before the wait: reply_read.hpp).
#include "s3merge/http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "http/connection.hpp"
#include "http/reply_read.hpp"
#include "s3merge/http/pool_state.hpp"
#include "s3merge/http/wire.hpp"

namespace s3merge::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;
using namespace detail;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// S3 closes idle keep-alive connections after ~20 s; do not reuse one that
// sat idle longer than this.
constexpr auto max_idle_age = std::chrono::seconds(15);
// A connection back in use within this long reads its answer without the
// read before the wait (reply_read.hpp); one idle longer may hold a close
// from the server that arrived while it sat in the pool, and reads at once.
constexpr auto max_idle_for_lazy_read = std::chrono::seconds(1);

// Parses a response straight into an http_response: no intermediate
// header container, the body appended in place.
class response_sink : public bhttp::basic_parser<false> {
public:
    // `r` may be a reused response: its header strings are overwritten in
    // place (keeping their capacity) and the list cut to what arrived.
    response_sink(http_response& r, body_sink* sink) : resp_(r), sink_(sink) {
        resp_.status = 0;
        resp_.body.clear();
    }
    ~response_sink() override { resp_.headers.resize(fields_); }

private:
    void on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                         beast::error_code&) override {}
    void on_response_impl(int code, beast::string_view, int, beast::error_code&) override {
        resp_.status = static_cast<unsigned>(code);
        if (resp_.headers.capacity() == 0) resp_.headers.reserve(12);
    }
    void on_field_impl(bhttp::field, beast::string_view name, beast::string_view value,
                       beast::error_code&) override {
        if (fields_ < resp_.headers.size()) {
            auto& h = resp_.headers[fields_];
            h.name.assign(name.data(), name.size());
            h.value.assign(value.data(), value.size());
        } else {
            resp_.headers.push_back({std::string(name), std::string(value)});
        }
        ++fields_;
    }
    void on_header_impl(beast::error_code&) override { resp_.headers.resize(fields_); }
    void on_body_init_impl(const boost::optional<std::uint64_t>& length, beast::error_code&) override {
        streaming_ = sink_ && resp_.status / 100 == 2;
        if (streaming_)
            sink_->begin();
        else if (length)
            resp_.body.reserve(static_cast<std::size_t>(*length));
    }
    std::size_t on_body_impl(beast::string_view body, beast::error_code&) override {
        take(body);
        return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code&) override {
        take(body);
        return body.size();
    }
    void take(beast::string_view body) {
        if (streaming_)
            sink_->data(std::string_view(body.data(), body.size()));
        else
            resp_.body.append(body.data(), body.size());
    }
    void on_finish_impl(beast::error_code&) override {}

    http_response& resp_;
    body_sink* sink_;
    bool streaming_ = false;
    std::size_t fields_ = 0;
};

bool is_ip_literal(const std::string& host) {
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    connection_ptr handed;   // an idle connection passed over by release
    std::uint64_t slot = 0;  // or: the id of a new connection to open in a freed slot
};

// One origin's pool: the state machine decides, this holds the objects.
struct host_pool {
    explicit host_pool(std::size_t max) : state(max) {}
    pool_state state;
    // Idle connections, in the order pool_state hands them out (LIFO): the
    // one asked for is almost always the last.
    std::vector<connection_ptr> idle;
    std::unordered_map<std::uint64_t, std::shared_ptr<waiter>> waiters;
    std::uint64_t opened = 0;  // connections opened to this origin
};

struct dns_entry {
    tcp::resolver::results_type results;
    clock::time_point expires;
};

std::string origin_key(const origin& o) {
    return (o.tls ? "https://" : "http://") + o.host + ":" + std::to_string(o.port);
}

std::chrono::milliseconds remaining(clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
    return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

clock::time_point step_deadline(std::chrono::milliseconds step, clock::time_point deadline) {
    auto t = clock::now() + step;
    return t < deadline ? t : deadline;
}

bool is_closed_error(const beast::error_code& ec) {
    return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::error::connection_aborted || ec == asio::ssl::error::stream_truncated;
}

// Maps a transport error to errc and writes a one-line detail.
std::error_code map_error(const beast::error_code& ec, std::string_view during, const origin& o,
                          diagnostics& diag, const connection* c = nullptr) {
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
        if (is_verify_failure(ec)) {
            e = errc::tls_verify_failed;
            what = verify_failure_text(c && c->tls ? c->tls->native() : nullptr);
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

// The read size for the next piece of a response: small for the usual
// short answers; a large body of known length (a listing page, ~250 KB)
// is read in 64 KiB pieces.
std::size_t read_size(const response_sink& parser) {
    constexpr std::size_t small = 4 * 1024;
    constexpr std::size_t large = 64 * 1024;
    if (!parser.is_header_done()) return small;
    auto left = parser.content_length_remaining();
    if (!left) return small;
    return *left > large ? large : std::max<std::size_t>(small, static_cast<std::size_t>(*left));
}

// How one exchange on a connection went.
struct exchange {
    bool wrote = false;      // the whole request went out
    bool got_bytes = false;  // some of the answer came back
};

}  // namespace

struct client::impl {
    impl(asio::any_io_executor ex, client_options o)
        : executor(std::move(ex)),
          opts(std::move(o)),
          resolver(executor),
          sweeper(executor, sweep_period(opts)) {}

    // Timeouts are checked this often: a tenth of the shortest one, within
    // 5 ms and 500 ms.
    static std::chrono::milliseconds sweep_period(const client_options& o) {
        auto shortest =
            std::min({o.connect_timeout, o.first_byte_timeout, o.idle_read_timeout, o.request_timeout});
        return std::clamp(shortest / 10, std::chrono::milliseconds(5), std::chrono::milliseconds(500));
    }

    asio::any_io_executor executor;
    client_options opts;
    tls_context tls;
    tcp::resolver resolver;
    std::map<std::string, std::unique_ptr<host_pool>, std::less<>> pools;
    // The last origin asked for and its pool: a job mostly talks to one.
    origin last_origin;
    host_pool* last_pool = nullptr;
    std::map<std::string, dns_entry> dns;
    client_stats stats;
    deadline_sweeper sweeper;
    // Every request's TLS records are written here, then sent: one buffer,
    // warm in the CPU's cache; a connection keeps only what its socket did
    // not take (its tx).
    std::string tls_out;

    // --- connections ----------------------------------------------------
    host_pool& pool_for(const origin& o) {
        if (last_pool && last_origin.port == o.port && last_origin.tls == o.tls && last_origin.host == o.host)
            return *last_pool;
        auto& p = pools[origin_key(o)];
        if (!p) p = std::make_unique<host_pool>(opts.max_connections_per_host);
        last_origin = o;
        last_pool = p.get();
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

    // Sends what the TLS session has to say, waiting for the socket while it is full.
    asio::awaitable<beast::error_code> flush(connection& c) {
        for (;;) {
            io_want w = io_want::nothing;
            auto ec = try_send(c, w);
            if (ec || w == io_want::nothing) co_return ec;
            auto [wec] = co_await c.sock.async_wait(tcp::socket::wait_write, use_tuple);
            if (auto r = wait_result(c, wec)) co_return r;
        }
    }

    // The handshake: its messages go out from tx and come in through rx,
    // within the connect timeout.
    asio::awaitable<beast::error_code> handshake(connection& c) {
        for (;;) {
            bool done = false;
            io_want want = io_want::nothing;
            auto ec = c.tls->handshake_step(done, want);
            if (!ec) ec = co_await flush(c);
            if (ec || done) co_return ec;
            if (want == io_want::read) {
                auto [rec, n] = co_await c.sock.async_read_some(c.tls->buffers().rx_space(), use_tuple);
                if (auto r = wait_result(c, rec)) co_return r;
                c.tls->buffers().rx_end += n;
            }
        }
    }

    asio::awaitable<std::error_code> open(const origin& o, connection& c, clock::time_point deadline,
                                          diagnostics& diag) {
        tcp::resolver::results_type endpoints;
        if (auto ec = co_await resolve(o, endpoints, diag)) co_return ec;
        if (o.tls) {
            if (auto ec = tls.prepare(opts.ca_bundle, diag)) co_return ec;
        }
        // Each address in turn, within the connect timeout (which covers the
        // TLS handshake too).
        sweeper.watch(c, step_deadline(opts.connect_timeout, deadline));
        beast::error_code cec = asio::error::host_not_found;
        for (const auto& entry : endpoints) {
            beast::error_code ignored;
            if (c.sock.is_open()) c.sock.close(ignored);
            c.sock.open(entry.endpoint().protocol(), cec);
            if (cec) continue;
            auto [ec] = co_await c.sock.async_connect(entry.endpoint(), use_tuple);
            cec = wait_result(c, ec);
            if (!cec || cec == asio::error::timed_out) break;
        }
        if (cec) {
            sweeper.unwatch(c);
            co_return map_error(cec, "connect", o, diag);
        }
        c.sock.set_option(tcp::no_delay(true));
        c.sock.non_blocking(true);
        ++stats.connections_opened;
        ++pool_for(o).opened;
        if (o.tls) {
            c.tls = std::make_unique<tls_session>();
            if (auto ec = c.tls->start(tls.get(), o.host, is_ip_literal(o.host), opts.verify_peer, diag)) {
                sweeper.unwatch(c);
                co_return ec;
            }
            if (auto hec = co_await handshake(c)) {
                sweeper.unwatch(c);
                co_return map_error(hec, "TLS handshake with", o, diag, &c);
            }
        }
        sweeper.unwatch(c);
        co_return std::error_code{};
    }

    void wake(host_pool& p, pool_state::handoff h, connection_ptr handed) {
        auto it = p.waiters.find(h.waiter);
        if (it == p.waiters.end()) return;
        auto w = it->second;
        p.waiters.erase(it);
        if (handed)
            w->handed = std::move(handed);
        else
            w->slot = h.id;
        w->timer.cancel();
    }

    void release(host_pool& p, connection_ptr c, bool healthy) {
        sweeper.unwatch(*c);
        if (healthy) {
            c->last_used = clock::now();
            if (auto h = p.state.release_idle(c->id))
                wake(p, h, std::move(c));
            else
                p.idle.push_back(std::move(c));
        } else {
            c->close();
            auto id = c->id;
            c.reset();
            if (auto h = p.state.release_closed(id)) wake(p, h, nullptr);
        }
    }

    // Takes idle connection `id` out of the pool. Returns false, with `out`
    // closed and reset, when it sat idle too long to trust; its slot is then
    // the caller's to open a new connection in.
    bool take_idle(host_pool& p, std::uint64_t id, connection_ptr& out, clock::time_point now) {
        for (auto i = p.idle.size(); i-- > 0;) {
            if (p.idle[i]->id != id) continue;
            out = std::move(p.idle[i]);
            p.idle.erase(p.idle.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
        if (now - out->last_used < max_idle_age) {
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
        std::uint64_t new_id = r.id;  // open_new, or an idle one too old: a new one in its slot
        if (r.what == pool_state::decision::wait) {
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
                diag.detail =
                    "waiting for a connection to " + o.host + ":" + std::to_string(o.port) + ": timed out";
                co_return make_error_code(errc::timeout);
            }
            new_id = w->slot;
        }
        out = std::make_unique<connection>(executor);
        out->id = new_id;
        reused = false;
        if (auto ec = co_await open(o, *out, deadline, diag)) {
            release(p, std::move(out), false);
            co_return ec;
        }
        co_return std::error_code{};
    }

    // --- one exchange ---------------------------------------------------
    // The hot path makes no coroutine call: starting the write, taking what
    // TLS can decrypt, feeding the parser are plain calls; send awaits only
    // the socket itself.

    // The request's bytes (under TLS, its records, written into the
    // client's one buffer for them) sent as far as the socket takes them;
    // want = write when it is full, with the rest kept in the connection's
    // outbox (the TLS tx, or c.wire) for try_send.
    beast::error_code start_write(connection& c, std::string_view bytes, io_want& want) {
        if (c.tls) {
            c.tls->buffers().tx.clear();
            tls_out.clear();
            if (auto ec = c.tls->encrypt(bytes, tls_out)) return ec;
            auto ec = send_or_keep(c, tls_out, c.tls->buffers().tx, want);
            // Kept small: a large upload's records are not held between requests.
            if (tls_out.capacity() > 64 * 1024) std::string().swap(tls_out);
            return ec;
        }
        return send_or_keep(c, bytes, c.wire, want);
    }

    // Sends `bytes` as far as the socket takes them now; what it does not
    // take is copied to `keep` (the connection's outbox, unless `bytes` is
    // it already) for try_send, with want = write.
    static beast::error_code send_or_keep(connection& c, std::string_view bytes, std::string& keep,
                                          io_want& want) {
        c.written = 0;
        want = io_want::nothing;
        std::size_t sent = 0;
        if (auto ec = send_now(c.sock, bytes, sent)) return ec;
        if (bytes.data() == keep.data()) {
            c.written = sent;
        } else {
            keep.assign(bytes.substr(sent));  // empty when all of it went
        }
        if (sent < bytes.size()) want = io_want::write;
        return {};
    }

    // Plaintext that TLS can give from what has arrived: got > 0, or none
    // (more ciphertext needed; what OpenSSL wants to say meanwhile is sent).
    static beast::error_code take_plaintext(connection& c, const response_sink& parser, exchange& x,
                                            bool& got) {
        got = false;
        if (c.tls->has_input()) {
            auto space = c.buffer.prepare(read_size(parser));
            std::size_t n = 0;
            io_want want = io_want::nothing;
            if (auto ec = c.tls->decrypt(static_cast<char*>(space.data()), space.size(), n, want)) return ec;
            if (n) {
                c.buffer.commit(n);
                x.got_bytes = got = true;
                return {};
            }
        }
        if (!c.tls->buffers().tx.empty()) {
            // OpenSSL had something to say (a key update, an alert).
            io_want want = io_want::nothing;
            auto ec = try_send(c, want);
            if (!ec && want != io_want::nothing) ec = asio::error::no_buffer_space;
            return ec;
        }
        return {};
    }

    // Feeds what the buffer holds to the parser; an incomplete header stays
    // in the buffer until more arrives.
    static beast::error_code parse_buffered(connection& c, response_sink& parser) {
        beast::error_code ec;
        while (c.buffer.size() > 0 && !parser.is_done()) {
            auto used = parser.put(c.buffer.data(), ec);
            c.buffer.consume(used);
            if (ec == bhttp::error::need_more) return {};
            if (ec || used == 0) break;
        }
        return ec;
    }

    // Reading a response, without waiting: decrypts and parses what has
    // arrived. need_read: the socket must be read next (read_target says
    // where, then took_bytes takes what arrived).
    beast::error_code advance_response(connection& c, response_sink& parser, exchange& x, bool& need_read) {
        need_read = false;
        if (c.tls) {
            bool got = false;
            auto ec = take_plaintext(c, parser, x, got);
            if (ec) return ec;
            if (got) return parse_buffered(c, parser);
            c.tls->buffers().rx_size(read_size(parser) > tls_buffers::rx_small ? tls_buffers::rx_large
                                                                               : tls_buffers::rx_small);
        }
        need_read = true;
        // Until the first byte of the answer, a shorter wait: a server that
        // accepts and never answers is found early. The deadline bounds both.
        sweeper.watch(c, step_deadline(x.got_bytes ? opts.idle_read_timeout : opts.first_byte_timeout,
                                       c.request_deadline));
        return {};
    }

    static asio::mutable_buffer read_target(connection& c, const response_sink& parser) {
        return c.tls ? c.tls->buffers().rx_space() : c.buffer.prepare(read_size(parser));
    }

    // What one socket read brought.
    static beast::error_code took_bytes(connection& c, response_sink& parser, exchange& x,
                                        beast::error_code ec, std::size_t n) {
        // Under TLS the end of the TCP stream is not the end of the data:
        // only a close_notify (seen by decrypt as eof) is.
        if (c.tls && ec == asio::error::eof) ec = asio::ssl::error::stream_truncated;
        if (ec) return ec;
        if (c.tls) {
            c.tls->buffers().rx_end += n;  // decrypted by the next advance
            return {};
        }
        c.buffer.commit(n);
        x.got_bytes = true;
        return parse_buffered(c, parser);
    }

    // The end of reading: a response delimited by the end of the stream is
    // whole when the server closed (plain TCP, or TLS with close_notify). A
    // TLS stream cut without close_notify (stream_truncated) does not end
    // such a body: it may have been cut on the way. It stays an error.
    static beast::error_code finish_response(response_sink& parser, const exchange& x, beast::error_code ec) {
        if (ec == asio::error::eof && x.got_bytes) {
            parser.put_eof(ec);
            if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
        }
        return ec;
    }

    // A connection that may carry the next request goes back to the pool,
    // with buffers grown for a large message given back.
    void recycle(host_pool& pool, connection_ptr c, const response_sink& parser) {
        bool keep = parser.keep_alive() && c->buffer.size() == 0;
        c->buffer.clear();
        // 128 pooled connections holding 64 KiB each would be 8 MiB for
        // nothing: they mostly carry short messages.
        if (c->buffer.capacity() > 16 * 1024) c->buffer.shrink_to_fit();
        if (c->wire.capacity() > 16 * 1024) std::string().swap(c->wire);
        if (c->tls) {
            auto& b = c->tls->buffers();
            b.rx_size(tls_buffers::rx_small);
            if (b.tx.capacity() > 16 * 1024) std::string().swap(b.tx);
        }
        release(pool, std::move(c), keep);
    }

    asio::awaitable<std::error_code> send(const origin& o, const http_request& req, http_response& resp,
                                          diagnostics& diag, wire_writer* writer) {
        ++stats.requests;
        // One reading of the clock for the request's start: its deadline and
        // the idle time of the connection it takes.
        const auto started = clock::now();
        const auto deadline = started + opts.request_timeout;
        // What the answer's reading needs of the request, taken now: a
        // writer may let the request go once it has written it.
        body_sink* const sink = req.sink;
        const bool head = req.method == "HEAD";
        auto& pool = pool_for(o);
        for (int attempt = 0;; ++attempt) {
            connection_ptr c;
            bool reused = false;
            // The usual case, a fresh idle connection, is settled here without
            // the acquire coroutine. One idle too long is replaced in its slot.
            auto r = pool.state.acquire();
            const auto now = attempt == 0 ? started : clock::now();
            bool waited = false;  // for a connection: the clock read above is old
            if (r.what == pool_state::decision::reuse_idle && take_idle(pool, r.id, c, now)) {
                reused = true;
            } else if (auto ec = co_await acquire(pool, r, o, c, reused, deadline, diag)) {
                co_return ec;
            } else {
                waited = true;
            }
            // Written now, with nothing awaited before the send below.
            std::string_view bytes = writer ? writer->write() : std::string_view();
            if (bytes.empty()) {
                if (auto ec = serialize_request(req, opts.user_agent, c->wire, diag)) {
                    release(pool, std::move(c), true);
                    co_return ec;
                }
                bytes = c->wire;
            }
            response_sink parser(resp, sink);
            // A streamed body is not held: no limit on its size.
            if (sink)
                parser.body_limit(boost::none);
            else
                parser.body_limit(opts.max_body_bytes);
            parser.header_limit(64 * 1024);
            if (head) parser.skip(true);
            parser.eager(true);

            exchange x;
            // The first read of the answer waits before it reads (no recv
            // that finds nothing): the connection is fresh or was idle only
            // briefly, everything of its previous answer was read, and the
            // request goes out in one send (below).
            bool lazy_first_read =
                !reused || (waited ? clock::now() : now) - c->last_used < max_idle_for_lazy_read;
            io_want want = io_want::nothing;
            auto ec = start_write(*c, bytes, want);
            while (!ec && want == io_want::write) {
                // The socket is full: wait until it takes more. An answer
                // may come while the rest is sent (an early error to a
                // large upload), its arrival seen with no read waiting: the
                // first read then reads at once.
                lazy_first_read = false;
                sweeper.watch(*c, step_deadline(opts.idle_read_timeout, deadline));
                auto [wec] = co_await c->sock.async_wait(tcp::socket::wait_write, use_tuple);
                ec = wait_result(*c, wec);
                if (!ec) ec = try_send(*c, want);
            }
            if (!ec) {
                // read_response: steps that do not wait, and watched socket
                // reads in between (no coroutine call per piece or request).
                x.wrote = true;
                c->request_deadline = deadline;
                while (!ec && !parser.is_done()) {
                    bool need_read = false;
                    ec = advance_response(*c, parser, x, need_read);
                    if (ec || !need_read) continue;
                    auto into = read_target(*c, parser);
                    auto [rec, n] = lazy_first_read ? co_await async_read_reply(c->sock, into, use_tuple)
                                                    : co_await c->sock.async_read_some(into, use_tuple);
                    lazy_first_read = false;
                    ec = took_bytes(*c, parser, x, wait_result(*c, rec), n);
                }
                ec = finish_response(parser, x, ec);
            }
            if (!ec) {
                recycle(pool, std::move(c), parser);
                co_return std::error_code{};
            }
            bool stale = reused && attempt == 0 && is_closed_error(ec) && !x.got_bytes;
            auto mapped =
                map_error(ec, x.wrote ? "reading response from" : "sending request to", o, diag, c.get());
            if (mapped == errc::timeout && x.wrote && !x.got_bytes && !sweeper.aborting())
                diag.detail = "no answer from " + o.host + ":" + std::to_string(o.port) + " within " +
                              std::to_string(opts.first_byte_timeout.count() / 1000) + " s of the request";
            release(pool, std::move(c), false);
            if (stale) {
                // The server closed the pooled connection while it sat idle;
                // nothing was processed. Re-send once, fresh.
                ++stats.stale_retries;
                diag.detail.clear();
                continue;
            }
            co_return mapped;
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

asio::awaitable<std::error_code> client::send(const origin& o, const http_request& req, http_response& resp,
                                              diagnostics& diag, wire_writer* writer) {
    return impl_->send(o, req, resp, diag, writer);
}

void client::abort_in_flight() {
    impl_->sweeper.abort_all();
}

void client::close_idle() {
    for (auto& [key, p] : impl_->pools) {
        for (auto& c : p->idle) {
            c->close();
            p->state.drop_idle(c->id);
        }
        p->idle.clear();
    }
}

const client_stats& client::stats() const {
    return impl_->stats;
}

std::uint64_t client::connections_opened(const origin& o) const {
    auto it = impl_->pools.find(origin_key(o));
    return it == impl_->pools.end() ? 0 : it->second->opened;
}
const client_options& client::options() const {
    return impl_->opts;
}

}  // namespace s3merge::http
