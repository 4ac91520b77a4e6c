// The /metrics endpoint. See include/s3merge/engine_io/metrics_server.hpp.
#include "s3merge/engine_io/metrics_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace s3merge::engine {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct metrics_server::impl : std::enable_shared_from_this<impl> {
    impl(asio::any_io_executor ex, std::function<std::string()> r) : acceptor(ex), render(std::move(r)) {}
    tcp::acceptor acceptor;
    std::function<std::string()> render;
    std::size_t open = 0;
    std::uint64_t scrapes = 0;
    bool closed = false;

    asio::awaitable<void> accept_loop() {
        auto self = shared_from_this();
        while (!closed) {
            auto [ec, sock] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
            if (ec) {
                if (closed || ec == asio::error::operation_aborted) break;
                continue;
            }
            if (open >= 16) continue;  // the socket closes as it goes out of scope
            ++open;
            asio::co_spawn(acceptor.get_executor(), serve(std::move(sock)), asio::detached);
        }
    }

    asio::awaitable<void> serve(tcp::socket sock) {
        auto self = shared_from_this();
        asio::steady_timer deadline(sock.get_executor());
        deadline.expires_after(std::chrono::seconds(10));
        deadline.async_wait([&sock](const boost::system::error_code& ec) {
            boost::system::error_code ignored;
            if (!ec) sock.close(ignored);
        });
        asio::streambuf buf(8192);
        auto [rec, n] =
            co_await asio::async_read_until(sock, buf, "\r\n\r\n", asio::as_tuple(asio::use_awaitable));
        if (!rec) {
            std::string head(asio::buffers_begin(buf.data()), asio::buffers_begin(buf.data()) + n);
            std::string line = head.substr(0, head.find("\r\n"));
            std::string status = "200 OK", type = "text/plain; version=0.0.4; charset=utf-8", body;
            if (closed) {
                // The run is over (its state may be gone): the file has the last word.
                status = "503 Service Unavailable", type = "text/plain", body = "the run has finished\n";
            } else if (line.rfind("GET /metrics ", 0) == 0 || line.rfind("GET /metrics?", 0) == 0) {
                body = render();
                ++scrapes;
            } else if (line.rfind("GET ", 0) == 0) {
                status = "404 Not Found", type = "text/plain", body = "s3merge serves /metrics only\n";
            } else {
                status = "405 Method Not Allowed", type = "text/plain", body = "GET /metrics\n";
            }
            std::string resp = "HTTP/1.1 " + status + "\r\nContent-Type: " + type +
                               "\r\nContent-Length: " + std::to_string(body.size()) +
                               "\r\nConnection: close\r\n\r\n" + body;
            co_await asio::async_write(sock, asio::buffer(resp), asio::as_tuple(asio::use_awaitable));
        }
        deadline.cancel();
        boost::system::error_code ignored;
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
        --open;
    }
};

metrics_server::metrics_server(asio::any_io_executor ex, std::function<std::string()> render)
    : impl_(std::make_shared<impl>(ex, std::move(render))) {}

metrics_server::~metrics_server() {
    close();
}

std::error_code metrics_server::listen(std::string_view address, std::string& bound, diagnostics& diag) {
    diag.operation = "metrics";
    auto colon = address.rfind(':');
    boost::system::error_code ec;
    asio::ip::address ip;
    unsigned long port = 70000;
    if (colon != std::string_view::npos) {
        std::string host(address.substr(0, colon));
        if (host.size() > 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        ip = asio::ip::make_address(host, ec);
        try {
            port = std::stoul(std::string(address.substr(colon + 1)));
        } catch (...) {
            port = 70000;
        }
    }
    if (colon == std::string_view::npos || ec || port > 65535) {
        diag.detail =
            "--metrics-listen '" + std::string(address) +
            "' is not IP:PORT; give e.g. 127.0.0.1:9187 (0.0.0.0:9187 to be scraped from elsewhere)";
        return make_error_code(errc::invalid_argument);
    }
    tcp::endpoint ep(ip, static_cast<unsigned short>(port));
    auto& a = impl_->acceptor;
    if (a.open(ep.protocol(), ec), !ec) a.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) a.bind(ep, ec);
    if (!ec) a.listen(64, ec);
    if (ec) {
        diag.detail = "cannot listen on " + std::string(address) + " for /metrics: " + ec.message() +
                      "; choose another --metrics-listen port";
        boost::system::error_code ignored;
        a.close(ignored);
        return make_error_code(errc::invalid_argument);
    }
    auto local = a.local_endpoint(ec);
    bound =
        (local.address().is_v6() ? "[" + local.address().to_string() + "]" : local.address().to_string()) +
        ":" + std::to_string(local.port());
    asio::co_spawn(a.get_executor(), impl_->accept_loop(), asio::detached);
    return {};
}

void metrics_server::close() {
    if (!impl_ || impl_->closed) return;
    impl_->closed = true;
    impl_->render = nullptr;  // it points into the run, which ends now
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);
}

std::uint64_t metrics_server::scrapes() const {
    return impl_->scrapes;
}

}  // namespace s3merge::engine
