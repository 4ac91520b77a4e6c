// The HTTP/1.1 client: the only translation unit (with asio_impl.cpp) that
// includes Beast's parser, Asio sockets and OpenSSL's TLS. See
// include/s3merge/http/client.hpp.
//
// The transport is lean on purpose, since it runs once per copied object:
// a connection is a non-blocking Asio socket. A request is serialized into
// the connection's own reused buffer and written with one send, straight
// from the coroutine (it waits for writability only when the socket is
// full); the response is read with async_read_some into the connection's
// buffer and fed to Beast's parser. TLS is OpenSSL working on the
// connection's own buffers (a small BIO; no memory-BIO engine and no
// composed operation per record in between). Timeouts do not arm a timer
// per operation: one sweep timer per client, running only while requests
// are in flight, cancels the wait of any connection past its deadline.
#include "s3merge/http/client.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

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
    // `r` may be a reused response: its header strings are overwritten in
    // place (keeping their capacity) and the list cut to what arrived.
    explicit response_sink(http_response& r) : resp_(r) {
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
    std::size_t fields_ = 0;
};

// --- TLS over the connection's own buffers --------------------------------
// OpenSSL reads ciphertext from `rx` (what the socket delivered) and writes
// it to `tx` (what goes out with the next send): the socket I/O stays with
// Asio's reactor, without a memory-BIO engine and its composed operations
// in between.
struct tls_buffers {
    std::unique_ptr<char[]> rx;  // ciphertext received, not yet taken by OpenSSL
    std::size_t rx_capacity = 0, rx_begin = 0, rx_end = 0;
    std::string tx;  // ciphertext to send
    // Short answers fit the small size; a handshake or a large body (a
    // listing page) reads a full TLS record at a time.
    static constexpr std::size_t rx_small = 4 * 1024;
    static constexpr std::size_t rx_large = 17 * 1024;

    // Resizes rx when it holds nothing (else keeps it as it is).
    void rx_size(std::size_t cap) {
        if (cap == rx_capacity || rx_end != rx_begin) return;
        rx.reset(new char[cap]);  // not zeroed: only what recv wrote is read
        rx_capacity = cap;
        rx_begin = rx_end = 0;
    }
    asio::mutable_buffer rx_space() { return asio::mutable_buffer(rx.get() + rx_end, rx_capacity - rx_end); }
};

int bio_write(BIO* b, const char* data, size_t n, size_t* written) {
    auto* t = static_cast<tls_buffers*>(BIO_get_data(b));
    t->tx.append(data, n);
    *written = n;
    return 1;
}

int bio_read(BIO* b, char* data, size_t n, size_t* got) {
    BIO_clear_retry_flags(b);
    auto* t = static_cast<tls_buffers*>(BIO_get_data(b));
    std::size_t have = t->rx_end - t->rx_begin;
    if (have == 0) {
        BIO_set_retry_read(b);
        return 0;
    }
    std::size_t take = n < have ? n : have;
    std::memcpy(data, t->rx.get() + t->rx_begin, take);
    t->rx_begin += take;
    if (t->rx_begin == t->rx_end) t->rx_begin = t->rx_end = 0;
    *got = take;
    return 1;
}

long bio_ctrl(BIO*, int cmd, long, void*) {
    return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

const BIO_METHOD* buffers_bio_method() {
    static const BIO_METHOD* method = [] {
        BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "s3merge buffers");
        if (!m) return static_cast<BIO_METHOD*>(nullptr);
        BIO_meth_set_write_ex(m, bio_write);
        BIO_meth_set_read_ex(m, bio_read);
        BIO_meth_set_ctrl(m, bio_ctrl);
        BIO_meth_set_create(m, bio_create);
        return m;
    }();
    return method;
}

bool is_ip_literal(const std::string& host) {
    beast::error_code ec;
    asio::ip::make_address(host, ec);
    return !ec;
}

struct connection;

// The connections in flight, which the sweeper checks. Shared with each
// connection on it, so that a connection destroyed anywhere (a coroutine
// frame torn down with its event loop) leaves it, even after the client.
struct watch_list {
    std::vector<connection*> items;
};

struct connection {
    explicit connection(const asio::any_io_executor& ex) : sock(ex) {}
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    std::uint64_t id = 0;
    tcp::socket sock;
    SSL* ssl = nullptr;  // TLS over `tls`, or none
    std::unique_ptr<tls_buffers> tls;
    beast::flat_buffer buffer;  // response bytes (plaintext) not yet parsed
    std::string wire;           // the request being sent (capacity reused)
    std::size_t written = 0;    // bytes sent of what is pending: `wire`, or `tls->tx` under TLS
    clock::time_point last_used = clock::now();
    // Watched by the sweeper while in flight: past `deadline`, its wait is
    // cancelled and `timed_out` set.
    clock::time_point deadline = clock::time_point::max();
    std::shared_ptr<watch_list> watcher;  // set while on the list
    std::size_t watch_slot = 0;           // its place on the list, while on it
    bool timed_out = false;

    void close() {
        beast::error_code ignored;
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
    }
    // Leaves the watch list, if on it.
    void leave_watch() {
        if (!watcher) return;
        auto& items = watcher->items;
        connection* last = items.back();
        items[watch_slot] = last;
        last->watch_slot = watch_slot;
        items.pop_back();
        watcher.reset();
    }
};
using connection_ptr = std::unique_ptr<connection>;

connection::~connection() {
    leave_watch();
    if (ssl) SSL_free(ssl);
}

// The outcome of a wait on c: a wait the sweeper cancelled is a timeout; a
// wait that completed stands, even if the deadline passed meanwhile.
beast::error_code wait_result(const connection& c, const beast::error_code& ec) {
    return ec == asio::error::operation_aborted && c.timed_out ? beast::error_code(asio::error::timed_out)
                                                               : ec;
}

// What an I/O step needs before it can go on.
enum class io_want { nothing, read, write };

// After an SSL_* call failed (r <= 0): whether to wait, or the error.
beast::error_code ssl_failure(SSL* ssl, int r, io_want& want) {
    int saved_errno = errno;
    switch (SSL_get_error(ssl, r)) {
        case SSL_ERROR_WANT_READ:
            want = io_want::read;
            return {};
        case SSL_ERROR_WANT_WRITE:
            want = io_want::write;
            return {};
        case SSL_ERROR_ZERO_RETURN:
            return asio::error::eof;  // the peer's close_notify
        case SSL_ERROR_SYSCALL: {
            unsigned long err = ERR_get_error();
            if (err) return beast::error_code(static_cast<int>(err), asio::error::get_ssl_category());
            if (saved_errno) return beast::error_code(saved_errno, asio::error::get_system_category());
            return asio::ssl::error::stream_truncated;
        }
        default: {
            unsigned long err = ERR_get_error();
            if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                return asio::ssl::error::stream_truncated;
            if (!err) return asio::ssl::error::stream_truncated;
            return beast::error_code(static_cast<int>(err), asio::error::get_ssl_category());
        }
    }
}

// Sends what is pending (`tx` under TLS, else the rest of `wire`) without
// blocking; want = write when the socket is full.
beast::error_code try_send(connection& c, io_want& want) {
    want = io_want::nothing;
    std::string& out = c.tls ? c.tls->tx : c.wire;
    while (c.written < out.size()) {
        beast::error_code ec;
        std::size_t done =
            c.sock.write_some(asio::buffer(out.data() + c.written, out.size() - c.written), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            want = io_want::write;
            return {};
        }
        if (ec) return ec;
        c.written += done;
    }
    if (c.tls) {
        c.tls->tx.clear();
        c.written = 0;
    }
    return {};
}

// Hands the request to OpenSSL, which encrypts it into `tx`.
beast::error_code tls_encrypt_request(connection& c) {
    std::size_t at = 0;
    while (at < c.wire.size()) {
        ERR_clear_error();
        std::size_t done = 0;
        int r = SSL_write_ex(c.ssl, c.wire.data() + at, c.wire.size() - at, &done);
        if (r <= 0) {
            io_want want = io_want::nothing;
            auto ec = ssl_failure(c.ssl, r, want);
            // The BIO never refuses a write; a want here means a
            // renegotiation, which is not supported.
            return ec ? ec : beast::error_code(asio::ssl::error::stream_truncated);
        }
        at += done;
    }
    return {};
}

struct waiter {
    explicit waiter(asio::any_io_executor ex) : timer(ex) {}
    asio::steady_timer timer;
    connection_ptr handed;  // an idle connection passed over by release
    bool slot = false;      // permission to open a new connection
};

struct host_pool {
    explicit host_pool(std::size_t max) : state(max) {}
    pool_state state;
    // Idle connections, in the order pool_state hands them out (LIFO): the
    // one asked for is almost always the last.
    std::vector<connection_ptr> idle;
    std::unordered_map<std::uint64_t, std::shared_ptr<waiter>> waiters;
    std::uint64_t next_slot_id = 1ull << 40;  // ids for slot-opened connections
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

}  // namespace

struct client::impl {
    impl(asio::any_io_executor ex, client_options o)
        : executor(std::move(ex)), opts(std::move(o)), resolver(executor), sweep_timer(executor) {
        // Timeouts are checked this often: a tenth of the shortest one,
        // within 5 ms and 500 ms.
        auto shortest = std::min(
            {opts.connect_timeout, opts.first_byte_timeout, opts.idle_read_timeout, opts.request_timeout});
        sweep_every = std::clamp(shortest / 10, std::chrono::milliseconds(5), std::chrono::milliseconds(500));
    }
    ~impl() {
        if (ssl_ctx) SSL_CTX_free(ssl_ctx);
    }

    asio::any_io_executor executor;
    client_options opts;
    SSL_CTX* ssl_ctx = nullptr;
    tcp::resolver resolver;
    std::map<std::string, std::unique_ptr<host_pool>, std::less<>> pools;
    // The last origin asked for and its pool: a job mostly talks to one.
    origin last_origin;
    host_pool* last_pool = nullptr;
    std::map<std::string, dns_entry> dns;
    client_stats stats;

    // Connections in flight, for the sweeper.
    std::shared_ptr<watch_list> watched = std::make_shared<watch_list>();
    asio::steady_timer sweep_timer;
    std::chrono::milliseconds sweep_every{500};
    bool sweeping = false;
    // Sweep callbacks hold this weakly: a client gone is a sweep skipped.
    std::shared_ptr<impl*> self = std::make_shared<impl*>(this);

    // --- timeouts -------------------------------------------------------
    void watch(connection& c, clock::time_point deadline) {
        c.deadline = aborting ? clock::now() : deadline;
        c.timed_out = false;  // a sweep that found no wait to cancel is superseded by the new deadline
        if (!c.watcher) {
            c.watch_slot = watched->items.size();
            watched->items.push_back(&c);
            c.watcher = watched;
        }
        if (!sweeping) arm_sweep();
    }

    void arm_sweep() {
        sweeping = true;
        sweep_timer.expires_after(sweep_every);
        sweep_timer.async_wait([w = std::weak_ptr<impl*>(self)](const beast::error_code&) {
            if (auto s = w.lock()) (*s)->sweep();
        });
    }

    void unwatch(connection& c) {
        c.leave_watch();
        // Nothing in flight: the timer must not keep the event loop busy.
        if (watched->items.empty() && sweeping) sweep_timer.cancel();
    }

    // Every wait on the network ends now, and every later one at once.
    void abort_all() {
        aborting = true;
        for (auto* c : watched->items) c->deadline = clock::now();
        if (!watched->items.empty()) sweep();
    }
    bool aborting = false;

    void sweep() {
        sweeping = false;
        auto now = clock::now();
        for (auto* c : watched->items) {
            // Every sweep past the deadline cancels again: a wait begun after
            // the last cancel (the one before had already completed) must not
            // outlive the deadline either.
            if (now >= c->deadline) {
                c->timed_out = true;
                beast::error_code ignored;
                c->sock.cancel(ignored);
            }
        }
        if (!watched->items.empty()) arm_sweep();
    }

    clock::time_point step_deadline(std::chrono::milliseconds step, clock::time_point deadline) const {
        auto t = clock::now() + step;
        return t < deadline ? t : deadline;
    }

    // --- TLS ------------------------------------------------------------
    // Loading a CA store parses every certificate in it (~100 ms of CPU for
    // a system bundle): done on the first TLS connection, not for plain HTTP.
    std::error_code prepare_tls(diagnostics& diag) {
        if (ssl_ctx) return {};
        SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx || !buffers_bio_method()) {
            if (ctx) SSL_CTX_free(ctx);
            diag.detail = "cannot set up TLS: " + last_ssl_error();
            return make_error_code(errc::tls_error);
        }
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        // Pooled connections keep their record buffers (OpenSSL's default):
        // freeing them after every exchange costs two ~17 KiB allocations.
        SSL_CTX_clear_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
        int ok = opts.ca_bundle.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                        : SSL_CTX_load_verify_locations(ctx, opts.ca_bundle.c_str(), nullptr);
        if (ok != 1) {
            diag.detail = (opts.ca_bundle.empty() ? std::string("cannot load the system CA store")
                                                  : "cannot load CA bundle " + opts.ca_bundle) +
                          ": " + last_ssl_error();
            SSL_CTX_free(ctx);
            return make_error_code(errc::tls_error);
        }
        ssl_ctx = ctx;
        return {};
    }

    static std::string last_ssl_error() {
        unsigned long e = ERR_get_error();
        ERR_clear_error();
        if (!e) return "unknown error";
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        return buf;
    }

    // TLS on c's (connected, non-blocking) socket, peer and host name
    // verified unless turned off.
    std::error_code start_tls(const origin& o, connection& c, diagnostics& diag) {
        c.ssl = SSL_new(ssl_ctx);
        BIO* bio = c.ssl ? BIO_new(buffers_bio_method()) : nullptr;
        if (!bio) {
            diag.detail = "TLS " + o.host + ": " + last_ssl_error();
            return make_error_code(errc::tls_error);
        }
        c.tls = std::make_unique<tls_buffers>();
        c.tls->rx_size(tls_buffers::rx_large);  // certificates come in full records
        BIO_set_data(bio, c.tls.get());
        SSL_set_bio(c.ssl, bio, bio);
        const bool ip = is_ip_literal(o.host);
        if (!ip && !SSL_set_tlsext_host_name(c.ssl, o.host.c_str())) {
            diag.detail = "TLS " + o.host + ": cannot set SNI";
            return make_error_code(errc::tls_error);
        }
        if (opts.verify_peer) {
            SSL_set_verify(c.ssl, SSL_VERIFY_PEER, nullptr);
            int set = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(c.ssl), o.host.c_str())
                         : SSL_set1_host(c.ssl, o.host.c_str());
            if (set != 1) {
                diag.detail = "TLS " + o.host + ": cannot set the name to verify";
                return make_error_code(errc::tls_error);
            }
        } else {
            SSL_set_verify(c.ssl, SSL_VERIFY_NONE, nullptr);
        }
        SSL_set_connect_state(c.ssl);
        return {};
    }

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

    asio::awaitable<std::error_code> open(const origin& o, connection& c, clock::time_point deadline,
                                          diagnostics& diag) {
        tcp::resolver::results_type endpoints;
        if (auto ec = co_await resolve(o, endpoints, diag)) co_return ec;
        if (o.tls) {
            if (auto ec = prepare_tls(diag)) co_return ec;
        }
        // Each address in turn, within the connect timeout.
        watch(c, step_deadline(opts.connect_timeout, deadline));
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
            unwatch(c);
            co_return map_error(cec, "connect", o, diag);
        }
        c.sock.set_option(tcp::no_delay(true));
        c.sock.non_blocking(true);
        ++stats.connections_opened;
        if (o.tls) {
            if (auto ec = start_tls(o, c, diag)) {
                unwatch(c);
                co_return ec;
            }
            // Handshake messages go out from `tx` and come in through `rx`.
            for (;;) {
                ERR_clear_error();
                int r = SSL_do_handshake(c.ssl);
                io_want want = io_want::nothing;
                beast::error_code hec = r == 1 ? beast::error_code{} : ssl_failure(c.ssl, r, want);
                while (!hec && c.written < c.tls->tx.size()) {
                    io_want w = io_want::nothing;
                    hec = try_send(c, w);
                    if (hec || w == io_want::nothing) break;
                    auto [wec] = co_await c.sock.async_wait(tcp::socket::wait_write, use_tuple);
                    hec = wait_result(c, wec);
                }
                if (!hec && r == 1) break;
                if (!hec && want == io_want::read) {
                    auto [rec, n] = co_await c.sock.async_read_some(c.tls->rx_space(), use_tuple);
                    hec = wait_result(c, rec);
                    c.tls->rx_end += n;
                }
                if (hec) {
                    unwatch(c);
                    co_return map_error(hec, "TLS handshake with", o, diag, c.ssl);
                }
            }
        }
        unwatch(c);
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
        unwatch(*c);
        if (healthy) {
            c->last_used = clock::now();
            auto id = c->id;
            if (auto w = p.state.release_idle(id)) {
                wake(p, w, std::move(c));
            } else {
                p.idle.push_back(std::move(c));
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
        for (auto i = p.idle.size(); i-- > 0;) {
            if (p.idle[i]->id != id) continue;
            out = std::move(p.idle[i]);
            p.idle.erase(p.idle.begin() + static_cast<std::ptrdiff_t>(i));
            break;
        }
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
        out = std::make_unique<connection>(executor);
        out->id = new_id;
        reused = false;
        if (auto ec = co_await open(o, *out, deadline, diag)) {
            release(p, std::move(out), false);
            co_return ec;
        }
        co_return std::error_code{};
    }

    // The read size for the next piece of a response: small for the usual
    // short answers; a large body of known length (a listing page, ~250 KB)
    // is read in 64 KiB pieces.
    static std::size_t read_size(const response_sink& parser) {
        constexpr std::size_t small = 4 * 1024;
        constexpr std::size_t large = 64 * 1024;
        if (!parser.is_header_done()) return small;
        auto left = parser.content_length_remaining();
        if (!left) return small;
        return *left > large ? large : std::max<std::size_t>(small, static_cast<std::size_t>(*left));
    }

    asio::awaitable<std::error_code> send(const origin& o, const http_request& req, http_response& resp,
                                          diagnostics& diag) {
        ++stats.requests;
        const auto deadline = clock::now() + opts.request_timeout;
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
            // The whole request in the connection's buffer: one write.
            if (auto ec = serialize_request(req, opts.user_agent, c->wire, diag)) {
                release(pool, std::move(c), true);
                co_return ec;
            }
            c->written = 0;
            if (c->tls) c->tls->tx.clear();

            response_sink parser(resp);
            parser.body_limit(opts.max_body_bytes);
            parser.header_limit(64 * 1024);
            if (head) parser.skip(true);
            parser.eager(true);

            // Write, then read and parse until the response is whole. A step
            // that would block waits for the socket, watched by the sweeper
            // (the idle timeout restarts with every step, the deadline not).
            bool wrote = false;
            bool got_bytes = false;
            beast::error_code ec;
            if (c->tls) ec = tls_encrypt_request(*c);
            for (;;) {
                io_want want = io_want::nothing;
                if (!ec) ec = try_send(*c, want);
                if (ec || want == io_want::nothing) break;
                watch(*c, step_deadline(opts.idle_read_timeout, deadline));
                auto [wec] = co_await c->sock.async_wait(tcp::socket::wait_write, use_tuple);
                ec = wait_result(*c, wec);
            }
            if (!ec) {
                wrote = true;
                for (;;) {
                    // Under TLS, first what OpenSSL can decrypt from what has
                    // arrived or holds already; then the socket.
                    bool need_socket = true;
                    if (c->tls && (c->tls->rx_end > c->tls->rx_begin || SSL_pending(c->ssl) > 0)) {
                        auto space = c->buffer.prepare(read_size(parser));
                        ERR_clear_error();
                        std::size_t got = 0;
                        int r = SSL_read_ex(c->ssl, space.data(), space.size(), &got);
                        if (r == 1) {
                            c->buffer.commit(got);
                            got_bytes = true;
                            need_socket = false;
                        } else {
                            io_want want = io_want::nothing;
                            ec = ssl_failure(c->ssl, r, want);
                            if (!ec && want == io_want::write) ec = asio::ssl::error::stream_truncated;
                            if (ec) break;
                        }
                    }
                    if (need_socket) {
                        if (c->tls && !c->tls->tx.empty()) {
                            // OpenSSL had something to say (a key update).
                            io_want want = io_want::nothing;
                            ec = try_send(*c, want);
                            if (!ec && want != io_want::nothing) ec = asio::error::no_buffer_space;
                            if (ec) break;
                        }
                        // Until the first byte of the answer, a shorter wait: a
                        // server that accepts and never answers is found early.
                        watch(*c, step_deadline(got_bytes ? opts.idle_read_timeout : opts.first_byte_timeout,
                                                deadline));
                        if (c->tls)
                            c->tls->rx_size(read_size(parser) > tls_buffers::rx_small
                                                ? tls_buffers::rx_large
                                                : tls_buffers::rx_small);
                        asio::mutable_buffer into =
                            c->tls ? c->tls->rx_space() : c->buffer.prepare(read_size(parser));
                        auto [rec, n] = co_await c->sock.async_read_some(into, use_tuple);
                        ec = wait_result(*c, rec);
                        if (ec) break;
                        if (c->tls) {
                            c->tls->rx_end += n;
                            continue;  // decrypt it
                        }
                        c->buffer.commit(n);
                        got_bytes = true;
                    }
                    // Parse all that is there; an incomplete header stays in
                    // the buffer until more arrives.
                    while (c->buffer.size() > 0 && !parser.is_done()) {
                        auto used = parser.put(c->buffer.data(), ec);
                        c->buffer.consume(used);
                        if (ec == bhttp::error::need_more) {
                            ec = {};
                            break;
                        }
                        if (ec || used == 0) break;
                    }
                    if (ec || parser.is_done()) break;
                }
                if ((ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) && got_bytes) {
                    // The server closed: the end of a response delimited by
                    // the end of the stream, or one cut short.
                    parser.put_eof(ec);
                    if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
                }
            }

            if (ec) {
                bool stale = reused && attempt == 0 && is_closed_error(ec) && !got_bytes;
                auto mapped =
                    map_error(ec, wrote ? "reading response from" : "sending request to", o, diag, c->ssl);
                if (mapped == errc::timeout && wrote && !got_bytes && !aborting)
                    diag.detail = "no answer from " + o.host + ":" + std::to_string(o.port) + " within " +
                                  std::to_string(opts.first_byte_timeout.count() / 1000) +
                                  " s of the request";
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
            bool keep = parser.keep_alive() && c->buffer.size() == 0;
            c->buffer.clear();
            // Buffers grown for a listing page or a large upload go back to
            // nothing: pooled connections mostly carry short messages, and
            // 128 of them holding 64 KiB each would be 8 MiB for nothing.
            if (c->buffer.capacity() > 16 * 1024) c->buffer.shrink_to_fit();
            if (c->wire.capacity() > 16 * 1024) std::string().swap(c->wire);
            if (c->tls) {
                c->tls->rx_size(tls_buffers::rx_small);
                if (c->tls->tx.capacity() > 16 * 1024) std::string().swap(c->tls->tx);
            }
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

asio::awaitable<std::error_code> client::send(const origin& o, const http_request& req, http_response& resp,
                                              diagnostics& diag) {
    return impl_->send(o, req, resp, diag);
}

void client::abort_in_flight() {
    impl_->abort_all();
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
const client_options& client::options() const {
    return impl_->opts;
}

}  // namespace s3merge::http
