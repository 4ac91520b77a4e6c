// Connections and the deadline sweeper. See connection.hpp.
#include "http/connection.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/epoll.h>
#include <unistd.h>

namespace s3merge::http::detail {

namespace {

void stop_if_idle(ready_registry& r) {
    // The loop's wait on the set must not keep the event loop running once
    // nobody waits.
    if (r.waiting == 0 && r.running) {
        error_code ignored;
        r.desc.cancel(ignored);
    }
}

void drain(ready_registry& r) {
    epoll_event events[256];
    for (;;) {
        int n = epoll_wait(r.desc.native_handle(), events, 256, 0);
        if (n <= 0) return;
        for (int i = 0; i < n; ++i) {
            auto it = r.by_token.find(events[i].data.u64);
            if (it == r.by_token.end()) continue;
            connection& c = *it->second;
            if (c.ready_waiting) {
                c.ready_waiting = false;
                --r.waiting;
                c.ready_timer->cancel();  // its coroutine resumes later, not here
            } else {
                c.ready_flag = true;  // for its next wait
            }
        }
        if (n < 256) return;
    }
}

// Wakes every waiter as if its socket were readable: each then reads the
// Asio way.
void wake_all(ready_registry& r) {
    for (auto& [token, c] : r.by_token) {
        if (!c->ready_waiting) continue;
        c->ready_waiting = false;
        --r.waiting;
        c->ready_timer->cancel();
    }
}

asio::awaitable<void> loop(std::shared_ptr<ready_registry> r) {
    // Edge-triggered: each wait re-arms the set's descriptor in Asio's
    // epoll (one epoll_ctl a batch), and the set is drained in full.
    while (r->waiting > 0) {
        auto [ec] = co_await r->desc.async_wait(asio::posix::stream_descriptor::wait_read,
                                                asio::as_tuple(asio::use_awaitable));
        if (!ec) {
            drain(*r);
        } else if (ec != asio::error::operation_aborted || !r->desc.is_open()) {
            wake_all(*r);  // the set failed or is gone: nobody is left waiting on it
            break;
        }
    }
    r->running = false;
}

}  // namespace

void connection::leave_ready() {
    if (!ready) return;
    ready->by_token.erase(ready_token);  // a closed socket leaves the epoll set by itself
    if (ready_waiting) {
        ready_waiting = false;
        --ready->waiting;
        stop_if_idle(*ready);
    }
    ready.reset();
}

ready_set::ready_set(const asio::any_io_executor& ex) {
    int fd = epoll_create1(EPOLL_CLOEXEC);
    if (fd < 0) return;  // not available: every read waits the Asio way
    reg_ = std::make_shared<ready_registry>(ex);
    error_code ec;
    reg_->desc.assign(fd, ec);
    if (ec) {
        ::close(fd);
        reg_.reset();
    }
}

ready_set::~ready_set() {
    shutdown();
}

void ready_set::shutdown() {
    if (!reg_) return;
    // Waiters go on without the set (their reads wait the Asio way), the
    // loop ends, and no connection joins it any more.
    wake_all(*reg_);
    error_code ignored;
    reg_->desc.close(ignored);
    reg_.reset();
}

bool ready_set::add(connection& c) {
    if (!reg_ || c.ready) return static_cast<bool>(c.ready);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = reg_->next_token;
    if (epoll_ctl(reg_->desc.native_handle(), EPOLL_CTL_ADD, c.sock.native_handle(), &ev) != 0) return false;
    c.ready = reg_;
    c.ready_token = reg_->next_token++;
    c.ready_flag = false;
    c.ready_waiting = false;
    if (!c.ready_timer) c.ready_timer = std::make_unique<asio::steady_timer>(c.sock.get_executor());
    reg_->by_token.emplace(c.ready_token, &c);
    return true;
}

asio::awaitable<error_code> ready_set::wait(connection& c) {
    std::shared_ptr<ready_registry> r = c.ready;  // kept while this waits
    if (!r || !r->desc.is_open() || c.ready_flag) {
        // Something came since the last wait (or there is no set): read it,
        // or find it was nothing.
        c.ready_flag = false;
        co_return error_code{};
    }
    c.ready_waiting = true;
    ++r->waiting;
    if (!r->running) {
        r->running = true;
        asio::co_spawn(r->desc.get_executor(), loop(r), asio::detached);
    }
    c.ready_timer->expires_at(asio::steady_timer::time_point::max());
    // Ends cancelled either way: by the set (woken) or by the sweeper.
    (void)co_await c.ready_timer->async_wait(asio::as_tuple(asio::use_awaitable));
    if (c.ready_waiting) {  // not woken by the set: the sweeper's cancel
        c.ready_waiting = false;
        --r->waiting;
        stop_if_idle(*r);
        co_return asio::error::operation_aborted;
    }
    co_return error_code{};
}

error_code wait_result(const connection& c, const error_code& ec) {
    return ec == asio::error::operation_aborted && c.timed_out ? error_code(asio::error::timed_out) : ec;
}

error_code try_send(connection& c, io_want& want) {
    want = io_want::nothing;
    std::string& out = c.outbox();
    while (c.written < out.size()) {
        error_code ec;
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
    if (!armed_) arm();
}

void deadline_sweeper::unwatch(connection& c) {
    c.leave_watch();
    // Nothing in flight: the timer must not keep the event loop busy.
    if (watched_->items.empty() && armed_) timer_.cancel();
}

void deadline_sweeper::abort_all() {
    aborting_ = true;
    for (auto* c : watched_->items) c->deadline = clock::now();
    if (!watched_->items.empty()) sweep();
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
        if (now >= c->deadline) {
            c->timed_out = true;
            error_code ignored;
            c->sock.cancel(ignored);
            if (c->ready_waiting) c->ready_timer->cancel();
        }
    }
    if (!watched_->items.empty()) arm();
}

}  // namespace s3merge::http::detail
