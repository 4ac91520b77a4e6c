// Sans-io bookkeeping for a per-host connection pool: how many connections
// exist, which are idle, who waits for one. The I/O layer owns the sockets;
// this class only decides. Unit-tested without sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <vector>

namespace s3merge::http {

class pool_state {
public:
    explicit pool_state(std::size_t max_connections) : max_(max_connections ? max_connections : 1) {}

    enum class decision {
        reuse_idle,  // take idle connection `id` (returned by acquire)
        open_new,    // open a new connection (counted as live now)
        wait,        // at the cap: wait; `waiter` identifies the waiter
    };
    struct acquire_result {
        decision what;
        std::uint64_t id = 0;      // connection id for reuse_idle / open_new
        std::uint64_t waiter = 0;  // for wait
    };

    acquire_result acquire();

    // A connection comes back healthy: returns the waiter to wake (with this
    // connection handed to it), or 0 when it goes to the idle list.
    std::uint64_t release_idle(std::uint64_t id);
    // A connection is gone (closed, failed, Connection: close). Returns a
    // waiter that may now open a new connection, or 0.
    std::uint64_t release_closed(std::uint64_t id);
    // A waiter gave up (timeout, cancellation).
    void cancel_wait(std::uint64_t waiter);
    // An idle connection turned out dead (reaped); it is dropped.
    void drop_idle(std::uint64_t id);

    std::size_t live() const { return live_; }
    std::size_t idle() const { return idle_.size(); }
    std::size_t waiting() const { return waiters_.size(); }
    std::size_t max() const { return max_; }

private:
    std::size_t max_;
    std::size_t live_ = 0;             // open connections, busy or idle
    std::vector<std::uint64_t> idle_;  // LIFO: the most recently used is the warmest
    std::deque<std::uint64_t> waiters_;
    std::uint64_t next_id_ = 1;
    std::uint64_t next_waiter_ = 1;
};

}  // namespace s3merge::http
