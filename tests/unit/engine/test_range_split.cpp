// Key-range splits of listings (transfer_plan with split_ranges), driven by
// an in-memory ListObjectsV2 (list_sim.hpp) with several listers at once,
// pages in a random order, copies finishing out of order, stops, and runs
// resumed from the journal of the one before. Promises tried here:
//   - within a run no key is listed twice, whatever was split where;
//   - every claim of the journal is true (its keys were done);
//   - the runs together do every key, and a resumed run lists no key the
//     journal claims;
//   - flat buckets (no '/') and big leaves do split: listers work in parallel.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>

#include "list_sim.hpp"
#include "s3merge/engine/transfer_plan.hpp"

using namespace s3merge;
using namespace s3merge::engine;
using enginetest::key_set;
using enginetest::list_objects;
using enginetest::list_request;

namespace {

key_set make_keys(std::mt19937& rng, int shape, const std::string& prefix) {
    key_set keys;
    const std::size_t n = 1 + rng() % 400;
    char buf[64];
    for (std::size_t i = 0; i < n; ++i) {
        switch (shape) {
            case 0:  // a counter, flat
                std::snprintf(buf, sizeof buf, "obj-%06u", static_cast<unsigned>(rng() % 100000));
                break;
            case 1:  // hex names, flat
                std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(rng()));
                break;
            case 2:  // a few levels
                std::snprintf(buf, sizeof buf, "d%u/%s%u", static_cast<unsigned>(rng() % 3),
                              rng() % 4 ? "e/" : "", static_cast<unsigned>(rng() % 5000));
                break;
            default: {  // any bytes, '/' among them
                std::string k;
                const std::size_t len = 1 + rng() % 6;
                static const char chars[] = {'a', 'b', '/', '\x01', '\xff', 'z', '0'};
                for (std::size_t j = 0; j < len; ++j) k.push_back(chars[rng() % sizeof chars]);
                keys.insert(prefix + k);
                continue;
            }
        }
        keys.insert(prefix + buf);
    }
    keys.insert("zz-outside");  // not under the prefix (when there is one)
    return keys;
}

// Whether the journal claims the key done: a record of the leaf the key
// belongs to (under its prefix; with '/', directly) covers it.
struct claims {
    std::map<std::pair<std::string, std::string>, done_ranges> by_leaf;
    explicit claims(const std::vector<leaf_state>& journal) {
        std::map<std::pair<std::string, std::string>, std::vector<leaf_state>> records;
        for (const auto& r : journal) records[{r.prefix, r.delimiter}].push_back(r);
        for (const auto& [id, rs] : records) by_leaf[id] = claims_of(rs);
    }
    bool operator()(const std::string& key) const {
        for (const auto& [id, done] : by_leaf) {
            const auto& [prefix, delim] = id;
            if (!key.starts_with(prefix)) continue;
            if (delim == "/" && key.find('/', prefix.size()) != std::string::npos) continue;
            if (covers(done, key)) return true;
        }
        return false;
    }
};

struct lister {
    listing_order order;
    list_request rq;
};

struct run_result {
    std::set<std::string> done;  // keys copied in this run
    std::vector<leaf_state> journal;
    std::uint64_t splits = 0;
    std::size_t most_listers = 0;
    std::size_t pages = 0;     // ListObjectsV2 requests
    std::size_t returned = 0;  // keys and prefixes they returned, those a split cut off among them
};

// One run of a copy: listers up to `capacity`, pages and copies in a random
// order; with stop_after, a stop after that many steps.
run_result run(const key_set& keys, const std::string& prefix, int depth, std::size_t capacity,
               std::size_t page_size, std::mt19937& rng, const std::vector<leaf_state>* journal,
               std::size_t stop_after) {
    report rep;
    plan_options po;
    po.source_buckets = {"src"};
    po.source_prefixes = {prefix};
    po.destination_bucket = "dst";
    po.fanout.max_depth = depth;
    po.fanout.direct_leaves = false;
    po.fanout.max_free_levels = 8;
    po.fanout.spread = rng() % 2;
    po.split_ranges = true;
    transfer_plan plan(po, rep);
    std::set<std::string> claimed_before;
    if (journal) {
        plan.resume(*journal);
        claims before(*journal);
        for (const auto& k : keys)
            if (before(k)) claimed_before.insert(k);
    }
    run_result res;
    std::vector<lister> listers;
    std::vector<object_ticket> tickets;
    std::set<std::string> listed;
    diagnostics diag;
    bool stopped = false;
    for (std::size_t step = 0;; ++step) {
        if (!stopped && stop_after && step == stop_after) {
            stopped = true;
            plan.stop(false);
        }
        while (!stopped && listers.size() < capacity) {
            auto o = plan.next_listing();
            if (!o) break;
            list_request rq{o->spec.prefix, o->spec.delimiter, o->list_after(), "", page_size};
            listers.push_back({std::move(*o), rq});
        }
        res.most_listers = std::max(res.most_listers, listers.size());
        if (listers.empty() && tickets.empty()) break;
        const std::size_t r = rng() % (listers.size() + tickets.size());
        if (r >= listers.size()) {  // a copy ends
            auto it = tickets.begin() + static_cast<long>(r - listers.size());
            object_ticket t = std::move(*it);
            tickets.erase(it);
            copy_outcome out;
            if (stopped && rng() % 2) out.ec = make_error_code(errc::cancelled);  // cut short
            if (!out.ec) res.done.insert(t.d.source.key);
            plan.on_copied(t, std::move(out));
            while (plan.next()) {
            }
            continue;
        }
        auto& l = listers[r];
        if (stopped) {
            plan.on_listing_end(l.order.id, true);
            listers.erase(listers.begin() + static_cast<long>(r));
            continue;
        }
        auto sim = list_objects(keys, l.rq);
        ++res.pages;
        res.returned += sim.keys.size() + sim.common_prefixes.size();
        s3::list_objects_v2_result page;
        for (const auto& k : sim.keys) page.objects.push_back(s3::object_entry{k, 1, "e", "", "STANDARD"});
        page.common_prefixes = sim.common_prefixes;
        page.is_truncated = sim.is_truncated;
        plan.clip_page(l.order.id, page);
        if (l.order.node)
            REQUIRE_FALSE(
                plan.on_node_page(l.order.id, page.common_prefixes, page.objects, !page.is_truncated, diag));
        for (auto& o : page.objects) {
            INFO("key ", o.key);
            REQUIRE(o.key.starts_with(prefix));
            REQUIRE(listed.insert(o.key).second);  // never twice in a run
            CHECK(!claimed_before.count(o.key));   // nor what the journal says is done
            decision d;
            d.dest_key = o.key;
            d.source = std::move(o);
            if (auto t = plan.on_decision(l.order.id, std::move(d))) tickets.push_back(std::move(*t));
        }
        // Every claim of the journal is true, at every few steps.
        if (step % 9 == 0) {
            claims now(plan.journal_leaves());
            for (const auto& k : keys)
                if (now(k))
                    REQUIRE_MESSAGE((res.done.count(k) || claimed_before.count(k)), "claimed, not done: ", k);
        }
        if (page.is_truncated) {
            l.rq.continuation_token = sim.next_continuation_token;
        } else {
            plan.on_listing_end(l.order.id, false);
            listers.erase(listers.begin() + static_cast<long>(r));
        }
    }
    CHECK(plan.open_leaves() == 0);
    res.journal = plan.journal_leaves();
    res.splits = plan.splits();
    claims at_end(res.journal);
    for (const auto& k : keys)
        if (at_end(k)) {
            INFO("claimed at the end, not done: ", k);
            REQUIRE((res.done.count(k) || claimed_before.count(k)));
        }
    return res;
}

}  // namespace

TEST_CASE("range splits: every key listed once per run, claims true, resumed runs finish the job") {
    std::uint64_t splits = 0;
    for (unsigned seed = 1; seed <= 400; ++seed) {
        std::mt19937 rng(seed);
        const int shape = static_cast<int>(rng() % 4);
        const std::string prefix = rng() % 2 ? "p/" : "";
        const key_set keys = make_keys(rng, shape, prefix);
        const int depth = static_cast<int>(rng() % 3);
        const std::size_t capacity = 1 + rng() % 8, page = 1 + rng() % 20;
        INFO("seed ", seed, " shape ", shape, " depth ", depth, " capacity ", capacity, " page ", page);
        std::set<std::string> done;
        std::vector<leaf_state> journal;
        bool finished = false;
        for (int attempt = 0; attempt < 8 && !finished; ++attempt) {
            const std::size_t stop = attempt < 3 && rng() % 2 ? 1 + rng() % 200 : 0;
            auto r = run(keys, prefix, depth, capacity, page, rng, attempt ? &journal : nullptr, stop);
            splits += r.splits;
            done.insert(r.done.begin(), r.done.end());
            journal = r.journal;
            finished = stop == 0;
        }
        REQUIRE(finished);
        for (const auto& k : keys) {
            if (!k.starts_with(prefix)) continue;
            INFO("key ", k);
            CHECK(done.count(k));
        }
    }
    CHECK(splits > 700);
}

TEST_CASE("range splits: a flat bucket is listed by many listers at once, each page once") {
    key_set keys;
    char buf[32];
    for (unsigned i = 0; i < 100000; ++i) {
        std::snprintf(buf, sizeof buf, "obj-%010u", i * 3);
        keys.insert(buf);
    }
    std::mt19937 rng(5);
    auto r = run(keys, "", 1, 32, 1000, rng, nullptr, 0);
    CHECK(r.done.size() == keys.size());
    CHECK(r.most_listers >= 16);
    CHECK(r.splits >= 16);
}

TEST_CASE(
    "range splits: a split costs little - few pages more than one lister needs, few keys listed in vain") {
    // Splits go where the most keys are left (as dense as what the range
    // listed so far), and not into a range two more pages finish: each split
    // costs a request and the part of a page that runs past its point.
    // Pages arrive in a random order from 32 listers; one lister would need
    // 100 pages for these 100,000 keys.
    for (const char* shape : {"counter", "hex"}) {
        key_set keys;
        char buf[32];
        std::mt19937 kr(11);
        for (unsigned i = 0; i < 100000; ++i) {
            if (shape[0] == 'c')
                std::snprintf(buf, sizeof buf, "obj-%010u", i * 3);
            else
                std::snprintf(buf, sizeof buf, "%08x", static_cast<unsigned>(kr()));
            keys.insert(buf);
        }
        std::mt19937 rng(5);
        auto r = run(keys, "", 1, 32, 1000, rng, nullptr, 0);
        INFO(shape, ": ", r.pages, " pages, ", r.returned, " keys returned, ", r.splits, " splits");
        CHECK(r.done.size() == keys.size());
        CHECK(r.most_listers >= 16);
        CHECK(r.pages <= 180);
        CHECK(r.returned <= 150000);
    }
}
