#include <doctest/doctest.h>

#include "s3merge/http/pool_state.hpp"

using s3merge::http::pool_state;
using d = pool_state::decision;

TEST_CASE("pool_state opens up to the cap, then queues waiters FIFO") {
    pool_state p(2);
    auto a = p.acquire();
    auto b = p.acquire();
    CHECK(a.what == d::open_new);
    CHECK(b.what == d::open_new);
    CHECK(a.id != b.id);
    CHECK(p.live() == 2);
    auto w1 = p.acquire();
    auto w2 = p.acquire();
    CHECK(w1.what == d::wait);
    CHECK(w2.what == d::wait);
    CHECK(p.waiting() == 2);
    // A healthy release hands the connection to the first waiter.
    CHECK(p.release_idle(a.id) == w1.waiter);
    CHECK(p.idle() == 0);
    CHECK(p.live() == 2);
    // A closed release gives the next waiter a slot to open a new one.
    CHECK(p.release_closed(b.id) == w2.waiter);
    CHECK(p.live() == 2);
    CHECK(p.waiting() == 0);
    // No waiters: connections go idle and are reused LIFO.
    CHECK(p.release_idle(a.id) == 0);
    CHECK(p.release_idle(77) == 0);
    CHECK(p.idle() == 2);
    auto r = p.acquire();
    CHECK(r.what == d::reuse_idle);
    CHECK(r.id == 77);
    CHECK(p.idle() == 1);
}

TEST_CASE("pool_state: closing frees a slot; cancelled waiters are skipped; drop_idle") {
    pool_state p(1);
    auto a = p.acquire();
    auto w = p.acquire();
    REQUIRE(w.what == d::wait);
    p.cancel_wait(w.waiter);
    CHECK(p.waiting() == 0);
    CHECK(p.release_closed(a.id) == 0);
    CHECK(p.live() == 0);
    auto b = p.acquire();
    CHECK(b.what == d::open_new);
    CHECK(p.release_idle(b.id) == 0);
    p.drop_idle(b.id);
    CHECK(p.idle() == 0);
    CHECK(p.live() == 0);
    CHECK(p.acquire().what == d::open_new);
    pool_state zero(0);  // a cap of 0 is treated as 1
    CHECK(zero.max() == 1);
}
