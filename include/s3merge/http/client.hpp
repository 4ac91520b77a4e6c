// Async HTTP/1.1 client with C++20 coroutines: Beast's parser over
// non-blocking sockets driven by the reactor, TLS through OpenSSL over the
// connection's own buffers, per-origin keep-alive pools with a cap, cached
// DNS answers, connect / first-byte / idle-read / whole-request timeouts
// checked by one sweep timer, and a body size limit.
//
// Errors are values: every operation returns an error_code (errc) and fills a
// diagnostics::detail line; nothing throws across the async layer.
// A client and everything it owns live on one executor (one thread); it is
// not thread-safe. Run one client per io_context thread to scale out.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"

namespace s3merge::http {

struct origin {
    bool tls = false;
    std::string host;  // name or address to connect to (and SNI / verification name)
    std::uint16_t port = 80;
};

struct client_options {
    std::size_t max_connections_per_host = 64;
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
    // From a request sent to the first byte of its answer (S3 answers at
    // once, also a CopyObject, whose outcome may follow in the body).
    std::chrono::milliseconds first_byte_timeout{std::chrono::seconds(20)};
    std::chrono::milliseconds idle_read_timeout{std::chrono::seconds(60)};
    std::chrono::milliseconds request_timeout{std::chrono::minutes(15)};
    std::size_t max_body_bytes = 64u << 20;
    std::chrono::seconds dns_ttl{60};
    // TLS: verification is on unless explicitly turned off.
    bool verify_peer = true;
    std::string ca_bundle;  // PEM file; empty: the system store
    std::string user_agent = "s3merge/0.1";
};

struct client_stats {
    std::uint64_t requests = 0;
    std::uint64_t connections_opened = 0;
    std::uint64_t connections_reused = 0;
    std::uint64_t stale_retries = 0;  // pooled connection found closed, request re-sent
    std::uint64_t dns_lookups = 0;
    std::uint64_t dns_cache_hits = 0;
};

// A request's bytes for the wire, written when a connection is ready to
// take them (and written again for a re-send on another connection), into
// memory the writer keeps: the view stays valid until the writer's next
// write(). Nothing waits between the write and the send, so one buffer
// serves every request in turn and stays in the CPU's cache, where a
// buffer per request would be cold memory each time. An empty view: the
// request is sent as `req` says (serialized by the client).
class wire_writer {
public:
    virtual std::string_view write() = 0;

protected:
    ~wire_writer() = default;
};

class client {
public:
    // Errors loading the CA bundle are reported by init().
    client(boost::asio::any_io_executor ex, client_options opts);
    ~client();
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    // Loads TLS settings (CA bundle). tls_error with diag.detail on failure.
    std::error_code init(diagnostics& diag);

    // Sends `req` to `o` and reads the response into `resp`: the bytes
    // `writer` writes, or (no writer, or an empty write) `req` serialized,
    // already signed (its request target is computed by
    // uri::request_target). A request on a pooled connection that the
    // server had closed is re-sent once on a fresh connection. `req` is
    // read before the first write() only (its method and body sink): a
    // writer may let it go once it has written it.
    boost::asio::awaitable<std::error_code> send(const origin& o, const http_request& req,
                                                 http_response& resp, diagnostics& diag,
                                                 wire_writer* writer = nullptr);

    // Closes idle connections; in-flight requests finish.
    void close_idle();
    // Every request waiting for the network ends now with a timeout, and so
    // does any later one (a stop).
    void abort_in_flight();

    const client_stats& stats() const;
    // Connections opened to one origin so far.
    std::uint64_t connections_opened(const origin& o) const;
    const client_options& options() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace s3merge::http
