// Private to src/http: TLS over a connection's own buffers. OpenSSL reads
// ciphertext from `rx` (what the socket delivered) and writes it to `tx`
// (what goes out with the next send): the socket I/O stays with Asio's
// reactor, without a memory-BIO engine and its composed operations in
// between, and OpenSSL never touches the socket (no SIGPIPE, no blocking).
// OpenSSL's headers stay in tls_transport.cpp (and client.cpp, for error
// texts).
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "s3merge/error.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace s3merge::http::detail {

using error_code = boost::system::error_code;

// What an I/O step needs before it can go on.
enum class io_want { nothing, read, write };

struct tls_buffers {
    std::unique_ptr<char[]> rx;  // ciphertext received, not yet taken by OpenSSL
    std::size_t rx_capacity = 0, rx_begin = 0, rx_end = 0;
    std::string tx;  // ciphertext to send
    // While set (during encrypt): where OpenSSL's records go instead of tx.
    std::string* sink = nullptr;
    // Short answers fit the small size; a handshake or a large body (a
    // listing page) reads a full TLS record at a time.
    static constexpr std::size_t rx_small = 4 * 1024;
    static constexpr std::size_t rx_large = 17 * 1024;

    // Resizes rx when it holds nothing (else keeps it as it is).
    void rx_size(std::size_t cap);
    boost::asio::mutable_buffer rx_space() {
        return boost::asio::mutable_buffer(rx.get() + rx_end, rx_capacity - rx_end);
    }
    bool rx_holds() const { return rx_end > rx_begin; }
};

// The client's TLS configuration: one SSL_CTX with the CA store, made on
// the first TLS connection (loading a system bundle costs ~100 ms of CPU).
class tls_context {
public:
    tls_context() = default;
    tls_context(const tls_context&) = delete;
    tls_context& operator=(const tls_context&) = delete;
    ~tls_context();

    // TLS 1.2 or later; the system CA store, or `ca_bundle`.
    std::error_code prepare(const std::string& ca_bundle, diagnostics& diag);
    SSL_CTX* get() const { return ctx_; }

private:
    SSL_CTX* ctx_ = nullptr;
};

// One connection's TLS session.
class tls_session {
public:
    tls_session() = default;
    tls_session(const tls_session&) = delete;
    tls_session& operator=(const tls_session&) = delete;
    ~tls_session();

    // SNI and (unless verify_peer is off) peer and host name verification:
    // the host name, or the address for an address literal.
    std::error_code start(SSL_CTX* ctx, const std::string& host, bool ip_literal, bool verify_peer,
                          diagnostics& diag);
    // One step of the handshake: done, or what it waits for (its messages
    // out are in tx), or an error.
    error_code handshake_step(bool& done, io_want& want);
    // Encrypts a whole request, appending its records to `out` (not tx):
    // the caller sends them and keeps in tx what the socket does not take.
    error_code encrypt(std::string_view plaintext, std::string& out);
    // Plaintext from what rx holds: got > 0, or want (read: more ciphertext
    // is needed; what OpenSSL wants to send meanwhile is in tx), or an error.
    error_code decrypt(char* out, std::size_t n, std::size_t& got, io_want& want);
    // Ciphertext waiting in rx or plaintext waiting inside OpenSSL.
    bool has_input() const;

    tls_buffers& buffers() { return buf_; }
    SSL* native() const { return ssl_; }

private:
    SSL* ssl_ = nullptr;
    tls_buffers buf_;
};

// After an SSL_* call failed (r <= 0): whether to wait, or the error
// (eof for the peer's close_notify, stream_truncated for a close without it).
error_code ssl_failure(SSL* ssl, int r, io_want& want);
// OpenSSL's latest error as text, cleared.
std::string last_ssl_error();
// A certificate verification failure, with OpenSSL's reason.
bool is_verify_failure(const error_code& ec);
std::string verify_failure_text(const SSL* ssl);

}  // namespace s3merge::http::detail
