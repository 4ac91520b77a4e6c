// Sans-io bookkeeping for a per-host connection pool: which connections
// exist (by id), which are idle, who waits for one, and who gets what when
// a connection comes back. The I/O layer owns the sockets and the waiting
// coroutines; this class decides, and hands out every connection id.
// Unit-tested without sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

namespace s3merge::http {

class pool_state {
public:
    explicit pool_state(std::size_t max_connections) : max_(max_connections ? max_connections : 1) {}

    enum class decision {
        reuse_idle,  // take idle connection `id`
        open_new,    // open a new connection with `id` (counted as live now)
        wait,        // at the cap: wait; `waiter` identifies the waiter
    };
    struct acquire_result {
        decision what;
        std::uint64_t id = 0;      // connection id for reuse_idle / open_new
        std::uint64_t waiter = 0;  // for wait
    };
    // What a waiter is given when a connection comes back: connection `id`
    // itself (release_idle) or a slot to open a new connection `id` in
    // (release_closed). waiter 0: nobody was waiting.
    struct handoff {
        std::uint64_t waiter = 0;
        std::uint64_t id = 0;
        explicit operator bool() const { return waiter != 0; }
    };

    acquire_result acquire();

    // Connection `id` comes back healthy: to the first waiter, else idle.
    handoff release_idle(std::uint64_t id);
    // Connection `id` is gone (closed, failed, Connection: close): its slot
    // goes to the first waiter, with a new id to open.
    handoff release_closed(std::uint64_t id);
    // A waiter gave up (timeout, cancellation).
    void cancel_wait(std::uint64_t waiter);
    // An idle connection turned out dead (reaped); it is dropped.
    void drop_idle(std::uint64_t id);

    std::size_t live() const { return live_.size(); }
    std::size_t idle() const { return idle_.size(); }
    std::size_t waiting() const { return waiters_.size(); }
    std::size_t max() const { return max_; }
    bool is_live(std::uint64_t id) const { return live_.count(id) > 0; }

private:
    std::size_t max_;
    std::unordered_map<std::uint64_t, bool> live_;  // open connections: id -> idle
    std::vector<std::uint64_t> idle_;               // LIFO: the most recently used is the warmest
    std::deque<std::uint64_t> waiters_;
    std::uint64_t next_id_ = 1;
    std::uint64_t next_waiter_ = 1;
};

}  // namespace s3merge::http
