// TLS over a connection's own buffers. See tls_transport.hpp.
#include "http/tls_transport.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include <cerrno>
#include <cstring>

namespace s3merge::http::detail {

namespace asio = boost::asio;

void tls_buffers::rx_size(std::size_t cap) {
    if (cap == rx_capacity || rx_end != rx_begin) return;
    rx.reset(new char[cap]);  // not zeroed: only what recv wrote is read
    rx_capacity = cap;
    rx_begin = rx_end = 0;
}

namespace {

int bio_write(BIO* b, const char* data, size_t n, size_t* written) {
    auto* t = static_cast<tls_buffers*>(BIO_get_data(b));
    (t->sink ? *t->sink : t->tx).append(data, n);
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

// SSL_get_error reads this thread's error queue, so it must be empty before
// each TLS call. ERR_clear_error walks all of the queue's slots (hundreds
// of instructions, twice per exchange); it is empty but after a failure.
void clear_error_queue() {
    if (ERR_peek_error() != 0) ERR_clear_error();
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

}  // namespace

std::string last_ssl_error() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "unknown error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
}

tls_context::~tls_context() {
    if (ctx_) SSL_CTX_free(ctx_);
}

std::error_code tls_context::prepare(const std::string& ca_bundle, diagnostics& diag) {
    if (ctx_) return {};
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx || !buffers_bio_method()) {
        if (ctx) SSL_CTX_free(ctx);
        diag.detail = "cannot set up TLS: " + last_ssl_error();
        return make_error_code(errc::tls_error);
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    // S3 never renegotiates; a peer that asks is refused.
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    // An idle pooled connection gives its ~34 KiB of record buffers back:
    // at 512 connections that is 10 MiB of peak RSS (68 -> 58 MiB for
    // 200,000 copies at 24,000/s, bench/run). The two buffers taken and given
    // back per exchange come from the program heap's stash (src/cli/heap.cpp),
    // not from glibc's bins.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    int ok = ca_bundle.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                               : SSL_CTX_load_verify_locations(ctx, ca_bundle.c_str(), nullptr);
    if (ok != 1) {
        diag.detail = (ca_bundle.empty() ? std::string("cannot load the system CA store")
                                         : "cannot load CA bundle " + ca_bundle) +
                      ": " + last_ssl_error();
        SSL_CTX_free(ctx);
        return make_error_code(errc::tls_error);
    }
    ctx_ = ctx;
    return {};
}

tls_session::~tls_session() {
    if (ssl_) SSL_free(ssl_);
}

std::error_code tls_session::start(SSL_CTX* ctx, const std::string& host, bool ip_literal, bool verify_peer,
                                   diagnostics& diag) {
    ssl_ = SSL_new(ctx);
    BIO* bio = ssl_ ? BIO_new(buffers_bio_method()) : nullptr;
    if (!bio) {
        diag.detail = "TLS " + host + ": " + last_ssl_error();
        return make_error_code(errc::tls_error);
    }
    buf_.rx_size(tls_buffers::rx_large);  // certificates come in full records
    BIO_set_data(bio, &buf_);
    SSL_set_bio(ssl_, bio, bio);
    if (!ip_literal && !SSL_set_tlsext_host_name(ssl_, host.c_str())) {
        diag.detail = "TLS " + host + ": cannot set SNI";
        return make_error_code(errc::tls_error);
    }
    if (verify_peer) {
        SSL_set_verify(ssl_, SSL_VERIFY_PEER, nullptr);
        int set = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str())
                             : SSL_set1_host(ssl_, host.c_str());
        if (set != 1) {
            diag.detail = "TLS " + host + ": cannot set the name to verify";
            return make_error_code(errc::tls_error);
        }
    } else {
        SSL_set_verify(ssl_, SSL_VERIFY_NONE, nullptr);
    }
    SSL_set_connect_state(ssl_);
    return {};
}

error_code tls_session::handshake_step(bool& done, io_want& want) {
    clear_error_queue();
    want = io_want::nothing;
    int r = SSL_do_handshake(ssl_);
    done = r == 1;
    return done ? error_code{} : ssl_failure(ssl_, r, want);
}

error_code tls_session::encrypt(std::string_view plaintext, std::string& out) {
    struct sink_scope {
        tls_buffers& b;
        ~sink_scope() { b.sink = nullptr; }
    } scope{buf_};
    buf_.sink = &out;
    std::size_t at = 0;
    while (at < plaintext.size()) {
        clear_error_queue();
        std::size_t done = 0;
        int r = SSL_write_ex(ssl_, plaintext.data() + at, plaintext.size() - at, &done);
        if (r <= 0) {
            io_want want = io_want::nothing;
            auto ec = ssl_failure(ssl_, r, want);
            // The BIO never refuses a write; a want here means a
            // renegotiation, which is not supported.
            return ec ? ec : error_code(asio::ssl::error::stream_truncated);
        }
        at += done;
    }
    return {};
}

error_code tls_session::decrypt(char* out, std::size_t n, std::size_t& got, io_want& want) {
    clear_error_queue();
    got = 0;
    want = io_want::nothing;
    int r = SSL_read_ex(ssl_, out, n, &got);
    if (r == 1) return {};
    got = 0;
    auto ec = ssl_failure(ssl_, r, want);
    // Reading never waits for the socket to take data: the BIO takes it all.
    if (!ec && want == io_want::write) ec = asio::ssl::error::stream_truncated;
    return ec;
}

bool tls_session::has_input() const {
    return buf_.rx_holds() || SSL_pending(ssl_) > 0;
}

error_code ssl_failure(SSL* ssl, int r, io_want& want) {
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
            if (err) return error_code(static_cast<int>(err), asio::error::get_ssl_category());
            if (saved_errno) return error_code(saved_errno, asio::error::get_system_category());
            return asio::ssl::error::stream_truncated;
        }
        default: {
            unsigned long err = ERR_get_error();
            if (ERR_GET_REASON(err) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
                return asio::ssl::error::stream_truncated;
            if (!err) return asio::ssl::error::stream_truncated;
            return error_code(static_cast<int>(err), asio::error::get_ssl_category());
        }
    }
}

bool is_verify_failure(const error_code& ec) {
    return ec.category() == asio::error::get_ssl_category() &&
           ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_CERTIFICATE_VERIFY_FAILED;
}

std::string verify_failure_text(const SSL* ssl) {
    if (!ssl) return "certificate verify failed";
    long vr = SSL_get_verify_result(ssl);
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(vr);
}

}  // namespace s3merge::http::detail
