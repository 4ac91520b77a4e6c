// Private to src/http: one pooled connection (a non-blocking socket, its
// buffers, its TLS session) and the deadline sweeper that times out its
// waits without a timer per operation.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "http/tls_transport.hpp"

namespace s3merge::http::detail {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using clock = std::chrono::steady_clock;

struct connection;

// The connections the sweeper checks: each one ever watched, until it goes
// (a request in flight sets its deadline; between requests it stays on
// the list, unwatched, so that a request does not take it off and put it
// back). Shared with each connection on it, so that a connection destroyed
// anywhere (a coroutine frame torn down with its event loop) leaves it,
// even after the client.
struct watch_list {
    std::vector<connection*> items;
    std::size_t active = 0;  // of them, watched (in flight)
};

struct connection {
    explicit connection(const asio::any_io_executor& ex) : sock(ex) {}
    ~connection() { leave_watch(); }
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    std::uint64_t id = 0;  // given by the pool's pool_state
    tcp::socket sock;
    std::unique_ptr<tls_session> tls;  // or plain TCP
    boost::beast::flat_buffer buffer;  // response bytes (plaintext) not yet parsed
    std::string wire;                  // the request being sent (capacity reused)
    std::size_t written = 0;           // bytes sent of what is pending: `wire`, or the TLS tx
    clock::time_point last_used = clock::now();
    // Watched by the sweeper while in flight: past `deadline`, its wait is
    // cancelled and `timed_out` set.
    clock::time_point deadline = clock::time_point::max();
    clock::time_point request_deadline = clock::time_point::max();  // the whole request's
    std::shared_ptr<watch_list> watcher;                            // set while on the list
    std::size_t watch_slot = 0;                                     // its place on the list, while on it
    bool watched = false;                                           // its deadline is checked
    bool timed_out = false;

    void close() {
        error_code ignored;
        sock.shutdown(tcp::socket::shutdown_both, ignored);
        sock.close(ignored);
    }
    // Leaves the watch list, if on it.
    void leave_watch() {
        if (!watcher) return;
        if (watched) --watcher->active;
        watched = false;
        auto& items = watcher->items;
        connection* last = items.back();
        items[watch_slot] = last;
        last->watch_slot = watch_slot;
        items.pop_back();
        watcher.reset();
    }
    // What goes out next: the TLS records, or the plain request.
    std::string& outbox() { return tls ? tls->buffers().tx : wire; }
};
using connection_ptr = std::unique_ptr<connection>;

// The outcome of a wait on c: a wait the sweeper cancelled is a timeout; a
// wait that completed stands, even if the deadline passed meanwhile.
error_code wait_result(const connection& c, const error_code& ec);

// Sends bytes from `sent` on as far as the socket takes them without
// blocking (sent < bytes.size() after: the socket is full); an error only
// for a failure.
error_code send_now(tcp::socket& sock, std::string_view bytes, std::size_t& sent);

// Sends what is pending (the outbox from `written` on) without blocking;
// want = write when the socket is full. Under TLS the outbox is emptied
// once sent.
error_code try_send(connection& c, io_want& want);

// Timeouts without a timer per operation: a connection in flight carries
// its current deadline, and one timer, armed only while connections are
// watched, cancels the wait of any connection past it.
class deadline_sweeper {
public:
    deadline_sweeper(asio::any_io_executor ex, std::chrono::milliseconds every);
    ~deadline_sweeper();
    deadline_sweeper(const deadline_sweeper&) = delete;
    deadline_sweeper& operator=(const deadline_sweeper&) = delete;

    // c's waits end with a timeout once `deadline` passes (at once after
    // abort_all()).
    void watch(connection& c, clock::time_point deadline);
    void unwatch(connection& c);
    // Every wait on the network ends now, and every later one at once.
    void abort_all();
    bool aborting() const { return aborting_; }
    std::chrono::milliseconds period() const { return every_; }

private:
    void arm();
    void sweep();

    std::shared_ptr<watch_list> watched_ = std::make_shared<watch_list>();
    asio::steady_timer timer_;
    std::chrono::milliseconds every_;
    bool armed_ = false;
    bool aborting_ = false;
    // Timer callbacks hold this weakly: a sweeper gone is a sweep skipped.
    std::shared_ptr<deadline_sweeper*> self_ = std::make_shared<deadline_sweeper*>(this);
};

}  // namespace s3merge::http::detail
