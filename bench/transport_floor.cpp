// The floor under any S3 copy client on this machine: the CPU that the
// transport alone costs per CopyObject, with nothing else done. It keeps C
// connections open (TLS through OpenSSL, or plain TCP), and on each sends a
// CopyObject request of the size s3merge sends (a fixed, unsigned template:
// no signing, no request building), reads the answer (headers, then
// Content-Length bytes), and sends the next, N requests in all, driven by
// one level-triggered epoll loop. No parsing beyond finding the end of the
// headers, no allocation per request.
//
// It prints the CPU (user + sys, from getrusage) it spent, TLS handshakes
// included, per request: what a client cannot go below here, since every request
// costs one send and one receive through the kernel (loopback delivery to
// the server included) and one TLS record each way. bench/cpu-per-copy
// compares s3merge with it in the same run.
//
// Usage: transport-floor HOST PORT REQUESTS CONNECTIONS [CA.pem]
//        (with CA.pem: TLS, peer and host name verified against it; "-" for
//        plain HTTP)
//        With TRANSPORT_FLOOR_REQUESTS=FILE, the requests are read from FILE
//        (raw HTTP requests, each ending with an empty line, no body; e.g.
//        pre-signed CopyObjects from bench/presign_copies.py) and sent in
//        order instead of the template: then the figure is a server's
//        ceiling for those requests. It also prints how many answers were
//        2xx ("ok N").
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "copy_request.hpp"

namespace {

double cpu_seconds() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "transport-floor: %s: %s\n", what, std::strerror(errno));
    ERR_print_errors_fp(stderr);
    std::exit(1);
}

struct conn {
    int fd = -1;
    SSL* ssl = nullptr;
    char req[4096];
    std::size_t req_len = 0, sent = 0;
    char in[16384];
    std::size_t have = 0;
    bool sending = true;
};

// A CopyObject request like s3merge's: the same headers and about the same
// size, with the object's number in the keys.
std::size_t make_request(char* out, std::size_t cap, const char* host, long i) {
    char key[160];
    std::snprintf(key, sizeof key,
                  "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/%02ld/"
                  "123456789012_CloudTrail_us-east-1_%05ld.json.gz",
                  1 + (i / 288) % 28, i);
    return s3bench::format_copy_request(out, cap, host, "empty", "src-0", key);
}

// Pre-signed requests (TRANSPORT_FLOOR_REQUESTS), loaded before the clock.
std::vector<std::string> presigned;

std::size_t next_request(char* out, std::size_t cap, const char* host, long i) {
    if (presigned.empty()) return make_request(out, cap, host, i);
    const std::string& r = presigned[static_cast<std::size_t>(i) % presigned.size()];
    const std::size_t n = std::min(cap, r.size());
    std::memcpy(out, r.data(), n);
    return n;
}

// The answer is whole once the headers and Content-Length bytes are in, or
// with a chunked body (RGW answers CopyObject so) once its last chunk is.
bool answer_done(const conn& c) {
    const char* end = static_cast<const char*>(memmem(c.in, c.have, "\r\n\r\n", 4));
    if (!end) return false;
    std::size_t head = static_cast<std::size_t>(end - c.in) + 4;
    if (memmem(c.in, head, "chunked", 7))
        return c.have >= head + 5 && std::memcmp(c.in + c.have - 5, "0\r\n\r\n", 5) == 0;
    const char* cl = static_cast<const char*>(memmem(c.in, head, "Content-Length: ", 16));
    if (!cl) cl = static_cast<const char*>(memmem(c.in, head, "content-length: ", 16));
    std::size_t len = cl ? std::strtoul(cl + 16, nullptr, 10) : 0;
    return c.have >= head + len;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: transport-floor HOST PORT REQUESTS CONNECTIONS [CA.pem]\n");
        return 2;
    }
    const char* host = argv[1];
    const char* port = argv[2];
    const long total = std::atol(argv[3]);
    const int nconn = std::atoi(argv[4]);
    const char* ca = argc > 5 && std::strcmp(argv[5], "-") != 0 ? argv[5] : nullptr;
    if (const char* file = std::getenv("TRANSPORT_FLOOR_REQUESTS")) {
        FILE* f = std::fopen(file, "rb");
        if (!f) die("TRANSPORT_FLOOR_REQUESTS");
        std::string all;
        char buf[65536];
        for (std::size_t k; (k = std::fread(buf, 1, sizeof buf, f)) > 0;) all.append(buf, k);
        std::fclose(f);
        for (std::size_t pos = 0; pos < all.size();) {
            const auto end = all.find("\r\n\r\n", pos);
            if (end == std::string::npos) break;
            presigned.push_back(all.substr(pos, end + 4 - pos));
            if (presigned.back().size() > sizeof(conn::req))
                die("a request in TRANSPORT_FLOOR_REQUESTS is too long");
            pos = end + 4;
        }
        if (presigned.empty()) die("no request in TRANSPORT_FLOOR_REQUESTS");
    }
    char host_header[300];
    std::snprintf(host_header, sizeof host_header, "%s:%s", host, port);

    SSL_CTX* ctx = nullptr;
    if (ca) {
        ctx = SSL_CTX_new(TLS_client_method());
        if (!ctx || SSL_CTX_load_verify_locations(ctx, ca, nullptr) != 1) die("TLS setup");
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
        SSL_CTX_set_read_ahead(ctx, 1);  // one read per answer, not a record header and then its body
    }
    addrinfo hints{}, *ai = nullptr;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai) die("resolve");

    // The clock starts before the connections: s3merge's figure includes its
    // TLS handshakes, and so does this one.
    const double cpu0 = cpu_seconds();
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<conn> conns(static_cast<std::size_t>(nconn));
    int ep = epoll_create1(0);
    for (int i = 0; i < nconn; ++i) {
        conn& c = conns[static_cast<std::size_t>(i)];
        c.fd = socket(ai->ai_family, SOCK_STREAM, 0);
        if (c.fd < 0 || connect(c.fd, ai->ai_addr, ai->ai_addrlen) != 0) die("connect");
        int one = 1;
        setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (ctx) {
            c.ssl = SSL_new(ctx);
            SSL_set_fd(c.ssl, c.fd);
            SSL_set_tlsext_host_name(c.ssl, host);
            SSL_set1_host(c.ssl, host);
            if (SSL_connect(c.ssl) != 1) die("TLS handshake");  // blocking: one at a time
        }
        int flags = 1;
        ioctl(c.fd, FIONBIO, &flags);
        epoll_event ev{};
        ev.events = EPOLLOUT;
        ev.data.u32 = static_cast<std::uint32_t>(i);
        epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
    }
    freeaddrinfo(ai);

    long started = 0, done = 0, ok = 0;
    for (auto& c : conns) {
        if (started < total) c.req_len = next_request(c.req, sizeof c.req, host_header, started++);
    }
    std::vector<epoll_event> events(static_cast<std::size_t>(nconn));
    while (done < total) {
        int n = epoll_wait(ep, events.data(), nconn, 5000);
        if (n <= 0) die("epoll_wait (no answer in 5 s)");
        for (int k = 0; k < n; ++k) {
            conn& c = conns[events[static_cast<std::size_t>(k)].data.u32];
            if (c.sending) {
                while (c.sent < c.req_len) {
                    long w = c.ssl ? SSL_write(c.ssl, c.req + c.sent, static_cast<int>(c.req_len - c.sent))
                                   : send(c.fd, c.req + c.sent, c.req_len - c.sent, MSG_NOSIGNAL);
                    if (w <= 0) break;
                    c.sent += static_cast<std::size_t>(w);
                }
                if (c.sent < c.req_len) continue;
                c.sending = false;
                c.have = 0;
                epoll_event ev{};
                ev.events = EPOLLIN;
                ev.data.u32 = events[static_cast<std::size_t>(k)].data.u32;
                epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                continue;
            }
            bool whole = false;
            for (;;) {  // until the answer is whole, or nothing more is there
                long r = c.ssl ? SSL_read(c.ssl, c.in + c.have, static_cast<int>(sizeof c.in - c.have))
                               : recv(c.fd, c.in + c.have, sizeof c.in - c.have, 0);
                if (r <= 0) break;
                c.have += static_cast<std::size_t>(r);
                if ((whole = answer_done(c))) break;
            }
            if (!whole) continue;
            ++done;
            if (c.have > 9 && c.in[9] == '2') ++ok;
            if (started < total) {
                c.req_len = next_request(c.req, sizeof c.req, host_header, started++);
                c.sent = 0;
                c.sending = true;
                // Send at once; epoll is asked for writability only if the
                // socket is full.
                while (c.sent < c.req_len) {
                    long w = c.ssl ? SSL_write(c.ssl, c.req + c.sent, static_cast<int>(c.req_len - c.sent))
                                   : send(c.fd, c.req + c.sent, c.req_len - c.sent, MSG_NOSIGNAL);
                    if (w <= 0) break;
                    c.sent += static_cast<std::size_t>(w);
                }
                if (c.sent == c.req_len) {
                    c.sending = false;
                    c.have = 0;
                } else {
                    epoll_event ev{};
                    ev.events = EPOLLOUT;
                    ev.data.u32 = events[static_cast<std::size_t>(k)].data.u32;
                    epoll_ctl(ep, EPOLL_CTL_MOD, c.fd, &ev);
                }
            }
        }
    }
    const double cpu = cpu_seconds() - cpu0;
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("requests %ld wall_s %.2f cpu_s %.3f us_per_request %.1f ok %ld\n", done, wall, cpu,
                cpu * 1e6 / static_cast<double>(done), ok);
    return 0;
}
