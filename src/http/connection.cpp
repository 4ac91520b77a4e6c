// Connections and the deadline sweeper. See connection.hpp.
#include "http/connection.hpp"

#include <boost/asio/error.hpp>

namespace s3merge::http::detail {

error_code wait_result(const connection& c, const error_code& ec) {
    return ec == asio::error::operation_aborted && c.timed_out ? error_code(asio::error::timed_out) : ec;
}

error_code send_now(tcp::socket& sock, std::string_view bytes, std::size_t& sent) {
    while (sent < bytes.size()) {
        error_code ec;
        std::size_t done = sock.write_some(asio::buffer(bytes.data() + sent, bytes.size() - sent), ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) return {};
        if (ec) return ec;
        sent += done;
    }
    return {};
}

error_code try_send(connection& c, io_want& want) {
    want = io_want::nothing;
    std::string& out = c.outbox();
    if (auto ec = send_now(c.sock, out, c.written)) return ec;
    if (c.written < out.size()) {
        want = io_want::write;
        return {};
    }
    if (c.tls) {
        out.clear();
        c.written = 0;
    }
    return {};
}

deadline_sweeper::deadline_sweeper(asio::any_io_executor ex, std::chrono::milliseconds every)
    : timer_(std::move(ex)), every_(every) {}

deadline_sweeper::~deadline_sweeper() {
    // Connections still on the list (owned by coroutine frames that outlive
    // the client) leave it when they go; the list outlives this.
    timer_.cancel();
}

void deadline_sweeper::watch(connection& c, clock::time_point deadline) {
    c.deadline = aborting_ ? clock::now() : deadline;
    c.timed_out = false;  // a sweep that found no wait to cancel is superseded by the new deadline
    if (!c.watcher) {
        c.watch_slot = watched_->items.size();
        watched_->items.push_back(&c);
        c.watcher = watched_;
    }
    if (!c.watched) {
        c.watched = true;
        ++watched_->active;
    }
    if (!armed_) arm();
}

void deadline_sweeper::unwatch(connection& c) {
    if (c.watched) {
        c.watched = false;
        --c.watcher->active;
        c.deadline = clock::time_point::max();
    }
    // Nothing in flight: the timer must not keep the event loop busy.
    if (watched_->active == 0 && armed_) timer_.cancel();
}

void deadline_sweeper::abort_all() {
    aborting_ = true;
    for (auto* c : watched_->items)
        if (c->watched) c->deadline = clock::now();
    if (watched_->active > 0) sweep();
}

void deadline_sweeper::arm() {
    armed_ = true;
    timer_.expires_after(every_);
    timer_.async_wait([w = std::weak_ptr<deadline_sweeper*>(self_)](const error_code&) {
        if (auto s = w.lock()) (*s)->sweep();
    });
}

void deadline_sweeper::sweep() {
    armed_ = false;
    auto now = clock::now();
    for (auto* c : watched_->items) {
        // Every sweep past the deadline cancels again: a wait begun after
        // the last cancel (the one before had already completed) must not
        // outlive the deadline either.
        if (c->watched && now >= c->deadline) {
            c->timed_out = true;
            error_code ignored;
            c->sock.cancel(ignored);
        }
    }
    if (watched_->active > 0) arm();
}

}  // namespace s3merge::http::detail
