#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

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
    // A healthy release hands the connection itself to the first waiter.
    auto h1 = p.release_idle(a.id);
    CHECK(h1.waiter == w1.waiter);
    CHECK(h1.id == a.id);
    CHECK(p.idle() == 0);
    CHECK(p.live() == 2);
    // A closed release gives the next waiter a slot and a new id to open.
    auto h2 = p.release_closed(b.id);
    CHECK(h2.waiter == w2.waiter);
    CHECK(h2.id != a.id);
    CHECK(h2.id != b.id);
    CHECK(p.is_live(h2.id));
    CHECK(!p.is_live(b.id));
    CHECK(p.live() == 2);
    CHECK(p.waiting() == 0);
    // No waiters: connections go idle and are reused LIFO.
    CHECK(!p.release_idle(a.id));
    CHECK(!p.release_idle(h2.id));
    CHECK(p.idle() == 2);
    auto r = p.acquire();
    CHECK(r.what == d::reuse_idle);
    CHECK(r.id == h2.id);
    CHECK(p.idle() == 1);
}

TEST_CASE("pool_state: closing frees a slot; cancelled waiters are skipped; drop_idle") {
    pool_state p(1);
    auto a = p.acquire();
    auto w = p.acquire();
    REQUIRE(w.what == d::wait);
    p.cancel_wait(w.waiter);
    CHECK(p.waiting() == 0);
    CHECK(!p.release_closed(a.id));
    CHECK(p.live() == 0);
    auto b = p.acquire();
    CHECK(b.what == d::open_new);
    CHECK(!p.release_idle(b.id));
    p.drop_idle(b.id);
    CHECK(p.idle() == 0);
    CHECK(p.live() == 0);
    CHECK(p.acquire().what == d::open_new);
    pool_state zero(0);  // a cap of 0 is treated as 1
    CHECK(zero.max() == 1);
}

TEST_CASE("pool_state: ids it never gave out, or gave back twice, change nothing") {
    pool_state p(1);
    auto a = p.acquire();
    CHECK(!p.release_idle(99));
    CHECK(!p.release_closed(99));
    CHECK(p.live() == 1);
    CHECK(!p.release_idle(a.id));
    CHECK(!p.release_idle(a.id));  // already idle
    CHECK(p.idle() == 1);
    CHECK(!p.release_closed(a.id));
    CHECK(!p.release_closed(a.id));  // already gone
    CHECK(p.live() == 0);
    CHECK(p.idle() == 0);
}

TEST_CASE("pool_state: random acquire / release / cancel sequences keep the pool's invariants") {
    for (unsigned seed = 1; seed <= 300; ++seed) {
        std::mt19937 rng(seed);
        const std::size_t cap = 1 + rng() % 4;
        pool_state p(cap);
        std::set<std::uint64_t> busy, idle, ever;
        std::vector<std::uint64_t> waiting;  // FIFO
        for (int step = 0; step < 400; ++step) {
            INFO("seed ", seed, " step ", step);
            const auto op = rng() % 5;
            if (op == 0 || (busy.empty() && waiting.size() < 6)) {
                auto r = p.acquire();
                if (r.what == d::reuse_idle) {
                    REQUIRE(idle.count(r.id));
                    idle.erase(r.id);
                    busy.insert(r.id);
                } else if (r.what == d::open_new) {
                    CHECK(idle.empty());
                    CHECK(!ever.count(r.id));  // never handed out twice
                    ever.insert(r.id);
                    busy.insert(r.id);
                } else {
                    CHECK(idle.empty());
                    CHECK(busy.size() + idle.size() == cap);
                    waiting.push_back(r.waiter);
                }
            } else if ((op == 1 || op == 2) && !busy.empty()) {
                auto it = busy.begin();
                std::advance(it, static_cast<long>(rng() % busy.size()));
                auto id = *it;
                busy.erase(it);
                auto h = op == 1 ? p.release_idle(id) : p.release_closed(id);
                if (waiting.empty()) {
                    CHECK(!h);
                    if (op == 1) idle.insert(id);
                } else {
                    CHECK(h.waiter == waiting.front());  // first come, first served
                    waiting.erase(waiting.begin());
                    if (op == 1) {
                        CHECK(h.id == id);
                    } else {
                        CHECK(!ever.count(h.id));
                        ever.insert(h.id);
                    }
                    busy.insert(h.id);
                }
            } else if (op == 3 && !waiting.empty()) {
                auto i = rng() % waiting.size();
                p.cancel_wait(waiting[i]);
                waiting.erase(waiting.begin() + static_cast<long>(i));
            } else if (op == 4 && !idle.empty()) {
                auto id = *idle.begin();
                p.drop_idle(id);
                idle.erase(id);
            }
            CHECK(p.live() == busy.size() + idle.size());
            CHECK(p.live() <= cap);
            CHECK(p.idle() == idle.size());
            CHECK(p.waiting() == waiting.size());
            for (auto id : busy) CHECK(p.is_live(id));
        }
    }
}
