// The transfer's rules (engine/transfer_plan) driven without sockets: a
// simulated S3 (source buckets and a destination holding objects of known
// content), the real merge-join deciding, and a driver that performs what
// the plan asks in a random order, with faults, sources overwritten
// mid-run and stops. Invariants checked on every run:
//   - nothing is lost: a source is deleted only while the destination holds
//     the same content, and still holds it at the end;
//   - every listed object ends once: done (copied or identical; deleted
//     when moving) or failed and named in the report, or cut short by a stop;
//   - a leaf's journal watermark never passes a key that is unfinished,
//     failed or cut short;
//   - the counters add up.
#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <ostream>
#include <random>
#include <set>

#include "s3merge/engine/transfer_plan.hpp"

using namespace s3merge;
using namespace s3merge::engine;

namespace {

struct bytes_less {
    bool operator()(const std::string& a, const std::string& b) const { return key_less(a, b); }
};

// One stored object. `id` names the content (equal ids: equal bytes; the
// size belongs to the content); the rest is how it is stored.
struct stored {
    std::uint32_t id = 0;
    std::uint64_t size = 0;
    int parts = 0;  // 0: single-part upload, ETag = MD5; else a multipart ETag
    bool checksum = false;
    bool no_etag = false;  // a server that sends none
    bool archived = false;
};

bool operator==(const stored& a, const stored& b) {
    return a.id == b.id && a.size == b.size && a.parts == b.parts && a.checksum == b.checksum &&
           a.no_etag == b.no_etag && a.archived == b.archived;
}

std::string etag_of(const stored& o) {
    if (o.no_etag) return "";
    if (o.parts == 0) return "e" + std::to_string(o.id);
    return "m" + std::to_string(o.id) + "x" + std::to_string(o.parts) + "-" + std::to_string(o.parts);
}

s3::object_checksums sums_of(const stored& o) {
    s3::object_checksums c;
    if (o.checksum) {
        c.crc64nvme = "c" + std::to_string(o.id);
        c.type = "FULL_OBJECT";
    }
    return c;
}

using bucket = std::map<std::string, stored, bytes_less>;

struct config {
    bool move = false, dry_run = false, verify = false, conditional = false, glacier_fail = false;
    double fault = 0;        // chance of each I/O step failing
    int fault_at = -1;       // or exactly this I/O step (0-based), once
    double overwrite = 0;    // chance per step that a user overwrites a source object
    double stop_chance = 0;  // chance per step of a stop
    std::size_t batch = 4;   // delete batch size
};

enum class key_state { open, awaiting_batch, deleting, ok, error };

struct sim {
    config cfg;
    std::mt19937 rng;
    std::vector<std::string> src_prefix, dst_prefix;
    std::vector<bucket> src;
    bucket dst;
    std::vector<bucket> at_start;
    std::unordered_map<std::string, std::string> collisions, shared;
    report rep;
    std::optional<transfer_plan> plan;

    // The driver's own record.
    struct listing {
        leaf_id id = 0;
        std::unique_ptr<merge_join> mj;
        std::vector<s3::object_entry> s_objs, d_objs;
        std::size_t s_pos = 0, d_pos = 0;
        bool ended = false;
    };
    std::vector<listing> leaves;
    std::vector<object_ticket> tickets;
    std::vector<plan_step> batches;
    std::map<std::pair<std::size_t, std::string>, key_state> state;  // (source, key)
    std::map<std::pair<std::size_t, std::string>, stored> listed_as;
    std::vector<std::pair<std::pair<std::size_t, std::string>, stored>> deleted_by_us;
    std::set<std::pair<std::size_t, std::string>> overwritten;  // by a user, after the start
    std::uint64_t decisions = 0, cut = 0, deleted = 0, logs = 0;
    int io = 0;
    bool stopped = false, host_down = false;
    bool shared_keys = true;  // the driver tells the plan about keys two sources share
    std::uint32_t next_id = 1000;

    explicit sim(config c, unsigned seed) : cfg(c), rng(seed) {}

    bool chance(double p) { return p > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < p; }
    std::size_t pick(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng); }

    // Each I/O step may fail; after a stop, work in flight ends cancelled.
    std::error_code io_fault(bool& cancelled) {
        cancelled = false;
        bool f = cfg.fault_at >= 0 ? io == cfg.fault_at : chance(cfg.fault);
        ++io;
        if (stopped && chance(0.5)) {
            cancelled = true;
            return make_error_code(host_down ? errc::timeout : errc::cancelled);
        }
        if (!f) return {};
        static const errc kinds[] = {errc::server_error, errc::timeout, errc::access_denied,
                                     errc::connection_closed};
        return make_error_code(kinds[pick(4)]);
    }

    // The plan's rule: after a stop, work that ends cancelled (or any error
    // once the host is down) is cut short, not failed.
    void note_cut(std::error_code ec) {
        if (ec && stopped && (ec == errc::cancelled || host_down)) ++cut;
    }

    std::string dest_key(std::size_t si, const std::string& key) const {
        return dst_prefix[si] + key.substr(src_prefix[si].size());
    }
    std::string bucket_name(std::size_t si) const { return "src" + std::to_string(si); }

    void start() {
        at_start = src;
        plan_options po;
        po.move = cfg.move;
        po.dry_run = cfg.dry_run;
        po.verify = cfg.verify;
        po.conditional_deletes = cfg.conditional;
        po.glacier_fail = cfg.glacier_fail;
        po.destination_bucket = "dst";
        for (std::size_t i = 0; i < src.size(); ++i) po.source_buckets.push_back(bucket_name(i));
        po.delete_batch = cfg.batch;
        po.max_logged_failures = 3;
        rep.sources.resize(src.size());
        rep.details.resize(src.size());
        plan.emplace(po, rep);
        plan->set_collisions(collisions);
        if (shared_keys) plan->set_shared_keys(shared);
        for (std::size_t i = 0; i < src.size(); ++i) {
            listing l;
            l.id = plan->open_leaf(i, leaf{bucket_name(i), src_prefix[i], "", ""}, false, false);
            l.mj = std::make_unique<merge_join>(key_map(src_prefix[i], dst_prefix[i]));
            leaves.push_back(std::move(l));
        }
    }

    s3::object_entry entry(const std::string& key, const stored& o) {
        s3::object_entry e;
        e.key = key;
        e.size = o.size;
        e.etag = etag_of(o);
        e.storage_class = o.archived ? "GLACIER" : "STANDARD";
        return e;
    }

    void drain() {
        while (auto s = plan->next()) {
            if (s->kind == step_kind::delete_batch) {
                REQUIRE(cfg.move);
                REQUIRE(!s->batch.empty());
                REQUIRE(s->batch.size() <= cfg.batch);
                for (auto& it : s->batch) {
                    auto& st = state.at({s->source, it.key});
                    REQUIRE(st == key_state::awaiting_batch);
                    st = key_state::deleting;
                }
                batches.push_back(std::move(*s));
            } else if (s->kind == step_kind::log) {
                CHECK(!s->line.empty());
                ++logs;
            } else {
                CHECK(s->limit >= 1);
            }
        }
    }

    bool confirmed_now(const std::pair<std::size_t, std::string>& k) {
        auto& st = state[k];
        st = cfg.move && !cfg.dry_run ? key_state::awaiting_batch : key_state::ok;
        return true;
    }

    void closed(const std::pair<std::size_t, std::string>& k, bool error) {
        state[k] = error ? key_state::error : key_state::ok;
    }

    void list_step(std::size_t si) {
        auto& l = leaves[si];
        if (stopped) {
            plan->on_listing_end(l.id, true);
            l.ended = true;
            return;
        }
        if (l.s_objs.empty() && l.s_pos == 0) {
            for (auto& [k, o] : src[si])
                if (k.starts_with(src_prefix[si])) l.s_objs.push_back(entry(k, o));
            for (auto& [k, o] : dst)
                if (k.starts_with(dst_prefix[si])) l.d_objs.push_back(entry(k, o));
        }
        diagnostics diag;
        std::size_t page = 1 + pick(3);
        if (l.mj->wants_source()) {
            std::vector<s3::object_entry> p;
            for (; p.size() < page && l.s_pos < l.s_objs.size(); ++l.s_pos) p.push_back(l.s_objs[l.s_pos]);
            REQUIRE(!l.mj->push_source(std::move(p), diag));
            if (l.s_pos == l.s_objs.size()) l.mj->source_done();
        } else if (l.mj->wants_dest()) {
            std::vector<s3::object_entry> p;
            for (; p.size() < page && l.d_pos < l.d_objs.size(); ++l.d_pos) p.push_back(l.d_objs[l.d_pos]);
            REQUIRE(!l.mj->push_dest(std::move(p), diag));
            if (l.d_pos == l.d_objs.size()) l.mj->dest_done();
        }
        for (auto& d : l.mj->pop_decisions()) {
            ++decisions;
            std::pair<std::size_t, std::string> k{si, d.source.key};
            listed_as[k] = src[si].at(d.source.key);
            state[k] = key_state::open;
            auto t = plan->on_decision(l.id, d);
            if (t) {
                CHECK(t->d.what != action::skip);
                tickets.push_back(std::move(*t));
            } else if (d.what == action::skip && !collisions.count(d.dest_key) &&
                       !(shared_keys && shared.count(d.dest_key) && shared.at(d.dest_key) != d.source.etag)) {
                // Identical on evidence: done, or a delete to come.
                confirmed_now(k);
            } else {
                closed(k, false);  // plan counts or failures: errors are read from the report
            }
            drain();
        }
        if (l.mj->finished()) {
            plan->on_listing_end(l.id, false);
            l.ended = true;
        }
        drain();
    }

    void work_step(std::size_t ti) {
        object_ticket t = std::move(tickets[ti]);
        tickets.erase(tickets.begin() + static_cast<std::ptrdiff_t>(ti));
        std::pair<std::size_t, std::string> k{t.source, t.d.source.key};
        REQUIRE((!cfg.dry_run || t.d.what == action::check));
        if (t.d.what == action::check) {
            bool cancelled;
            auto ec = io_fault(cancelled);
            checksum_verdict v = checksum_verdict::unknown;
            auto s = src[t.source].find(t.d.source.key);
            auto d = dst.find(t.d.dest_key);
            if (!ec && s != src[t.source].end() && d != dst.end() && s->second.size == t.d.source.size &&
                s->second.size == d->second.size)
                v = identity_from_checksums(sums_of(s->second), sums_of(d->second));
            bool copy = plan->on_checked(t, v);
            if (!copy) {
                if (v == checksum_verdict::identical && !cfg.verify)
                    confirmed_now(k);
                else
                    closed(k, v != checksum_verdict::identical);
                drain();
                return;
            }
            CHECK(!cfg.verify);
        }
        copy_outcome out;
        bool cancelled;
        out.ec = io_fault(cancelled);
        auto s = src[t.source].find(t.d.source.key);
        if (!out.ec) {
            // Pinned to the listed ETag (x-amz-copy-source-if-match); no pin without one.
            if (s == src[t.source].end())
                out.ec = make_error_code(errc::no_such_key);
            else if (!t.d.source.etag.empty() && etag_of(s->second) != t.d.source.etag)
                out.ec = make_error_code(errc::precondition_failed);
        }
        if (!out.ec) {
            stored copy = s->second;
            copy.parts = 0;  // CopyObject writes one part
            copy.archived = false;
            dst[t.d.dest_key] = copy;
        }
        note_cut(out.ec);
        bool ok = !out.ec;
        plan->on_copied(t, std::move(out));
        if (ok)
            confirmed_now(k);
        else
            closed(k, true);
        drain();
    }

    void delete_source(std::size_t si, const std::string& key) {
        auto it = src[si].find(key);
        REQUIRE(it != src[si].end());
        // Nothing lost: the destination holds this very content.
        auto d = dst.find(dest_key(si, key));
        REQUIRE_MESSAGE(d != dst.end(), "deleted ", key, " that is not at the destination");
        REQUIRE_MESSAGE(d->second.id == it->second.id, "deleted ", key,
                        " whose content is not at the destination");
        deleted_by_us.push_back({{si, key}, it->second});
        src[si].erase(it);
        ++deleted;
    }

    void delete_step(std::size_t bi) {
        plan_step b = std::move(batches[bi]);
        batches.erase(batches.begin() + static_cast<std::ptrdiff_t>(bi));
        const std::size_t si = b.source;
        std::vector<delete_item> keep;
        for (auto& item : b.batch) {
            if (cfg.conditional) {
                keep.push_back(item);
                continue;
            }
            bool cancelled;
            auto ec = io_fault(cancelled);
            auto s = src[si].find(item.key);
            if (!ec && s == src[si].end()) ec = make_error_code(errc::not_found);
            std::string etag = !ec ? etag_of(s->second) : "";
            diagnostics diag;
            auto out = plan->before_delete(item, ec, etag, "", diag);
            if (out) {
                closed({si, item.key}, static_cast<bool>(out->ec));
                plan->on_deleted(si, item, std::move(*out));
            } else {
                keep.push_back(item);
            }
        }
        drain();
        if (keep.empty()) return;
        bool cancelled;
        auto batch_ec = io_fault(cancelled);  // the whole request
        for (auto& item : keep) {
            delete_outcome out;
            bool item_cancelled = cancelled;
            out.ec = batch_ec;
            if (!out.ec) out.ec = io_fault(item_cancelled);  // one key's error in the response
            auto s = src[si].find(item.key);
            if (!out.ec && cfg.conditional && s != src[si].end() && etag_of(s->second) != item.etag) {
                out.ec = make_error_code(errc::precondition_failed);
                out.diag.s3_code = "PreconditionFailed";
            }
            if (!out.ec && s != src[si].end()) delete_source(si, item.key);
            closed({si, item.key}, static_cast<bool>(out.ec));
            plan->on_deleted(si, item, std::move(out));
        }
        drain();
    }

    void user_overwrites() {
        std::size_t si = pick(src.size());
        if (src[si].empty()) return;
        auto it = src[si].begin();
        std::advance(it, static_cast<std::ptrdiff_t>(pick(src[si].size())));
        it->second.id = next_id++;
        it->second.size = 1 + pick(3);  // often the same size as before
        overwritten.insert({si, it->first});
    }

    std::set<std::pair<std::size_t, std::string>> failed_keys() const {
        std::set<std::pair<std::size_t, std::string>> f;
        for (const auto& r : rep.failures) f.insert({std::stoul(r.bucket.substr(3)), r.key});
        return f;
    }

    // The journal's watermark of every open leaf is before every key not
    // finished, failed or cut short.
    void check_watermarks() {
        auto failed = failed_keys();
        for (std::size_t si = 0; si < leaves.size(); ++si) {
            auto w = plan->journal_watermark(leaves[si].id);
            if (!w || w->empty()) continue;
            for (const auto& [k, st] : state) {
                if (k.first != si || compare_keys(k.second, *w) > 0) continue;
                CHECK_MESSAGE((st == key_state::ok && !failed.count(k)), "watermark ", *w, " passes ",
                              k.second, " (state ", int(st), ")");
            }
        }
    }

    void run() {
        start();
        for (int steps = 0; steps < 100000; ++steps) {
            if (chance(cfg.overwrite)) user_overwrites();
            if (!stopped && chance(cfg.stop_chance)) {
                stopped = true;
                host_down = chance(0.5);
                plan->stop(host_down);
            }
            std::vector<std::size_t> open;
            for (std::size_t i = 0; i < leaves.size(); ++i)
                if (!leaves[i].ended) open.push_back(i);
            std::size_t n = open.size() + tickets.size() + batches.size();
            if (n == 0) {
                plan->flush_deletes();
                drain();
                if (batches.empty()) break;
                continue;
            }
            std::size_t r = pick(n);
            if (r < open.size())
                list_step(open[r]);
            else if (r < open.size() + tickets.size())
                work_step(r - open.size());
            else
                delete_step(r - open.size() - tickets.size());
            check_watermarks();
        }
        finish_checks();
    }

    void finish_checks() {
        CHECK(plan->unfinished_objects() == 0);
        CHECK(plan->open_leaves() == 0);
        CHECK(plan->queued_deletes() == 0);
        auto failed = failed_keys();
        CHECK(rep.failures.size() == failed.size());  // each failure named once
        // Every listed object ended; an error is in the report unless cut short.
        std::uint64_t errors = 0;
        for (const auto& [k, st] : state) {
            INFO("key ", k.second, " of source ", k.first);
            if (failed.count(k)) {
                ++errors;
                continue;
            }
            CHECK((st == key_state::ok || st == key_state::error));
            if (st == key_state::error) {
                CHECK(stopped);  // not reported: only a stop cuts work short
                continue;
            }
            if (cfg.dry_run) continue;
            // Done: the destination has the content listed (copied or identical).
            auto d = dst.find(dest_key(k.first, k.second));
            const auto& was = listed_as.at(k);
            if (was.archived || overwritten.count(k)) continue;
            REQUIRE(d != dst.end());
            CHECK(d->second.id == was.id);
            if (cfg.move) CHECK(!src[k.first].count(k.second));  // and moved
        }
        // Nothing lost: whatever was deleted is at the destination at the end.
        for (const auto& [k, o] : deleted_by_us) {
            auto d = dst.find(dest_key(k.first, k.second));
            REQUIRE(d != dst.end());
            CHECK(d->second.id == o.id);
        }
        if (!cfg.move) CHECK(src == at_start_without_overwrites());
        // Counters add up.
        const auto& t = rep.totals;
        CHECK(t.listed == decisions);
        CHECK(t.failed == errors);
        CHECK(t.deleted == deleted);
        // (A delete cut short by a stop leaves its object counted as copied
        // or skipped; a copy cut short is not counted.)
        if (!cfg.dry_run) CHECK(t.copied + t.skipped + t.failed + rep.glacier_skipped + cut == t.listed);
        if (cfg.dry_run) CHECK(t.copied == 0);
        CHECK(t.deleted <= t.copied + t.skipped);
    }

    std::vector<bucket> at_start_without_overwrites() const {
        // Only the user's overwrites change a source that is not moved.
        std::vector<bucket> b = at_start;
        for (const auto& k : overwritten) b[k.first][k.second] = src[k.first].at(k.second);
        return b;
    }
};

// Random buckets: small sizes (same size, other content is common), some
// multipart ETags, some checksums, a destination holding some of the same
// content in other layouts; one to three sources, sometimes onto one prefix.
void populate(sim& s, bool archived, bool no_etags) {
    std::size_t nsrc = 1 + s.pick(3);
    bool shared = s.chance(0.5);
    for (std::size_t i = 0; i < nsrc; ++i) {
        s.src_prefix.push_back(s.chance(0.5) ? "" : "p" + std::to_string(i) + "/");
        s.dst_prefix.push_back(shared ? "all/" : "d" + std::to_string(i) + "/");
        bucket b;
        std::size_t n = s.pick(12);
        for (std::size_t j = 0; j < n; ++j) {
            stored o;
            o.id = static_cast<std::uint32_t>(1 + s.pick(6));
            o.size = o.id % 3;  // ids 3 and 6 share size 0, ...
            o.parts = s.chance(0.3) ? static_cast<int>(1 + s.pick(3)) : 0;
            o.checksum = s.chance(0.5);
            o.no_etag = no_etags && s.chance(0.1);
            o.archived = archived && s.chance(0.1);
            b[s.src_prefix[i] + "k" + std::to_string(s.pick(15))] = o;
        }
        s.src.push_back(std::move(b));
    }
    for (std::size_t i = 0; i < nsrc; ++i)
        for (const auto& [k, o] : s.src[i]) {
            if (!s.chance(0.5)) continue;
            stored d = o;
            if (s.chance(0.4)) d.id = static_cast<std::uint32_t>(1 + s.pick(6)), d.size = d.id % 3;
            d.parts = s.chance(0.3) ? static_cast<int>(1 + s.pick(3)) : 0;
            d.checksum = s.chance(0.5);
            d.archived = false;
            s.dst[s.dest_key(i, k)] = d;
        }
    // Two sources onto one destination key with other content: never copied.
    std::map<std::string, std::vector<stored>> by_dest;
    for (std::size_t i = 0; i < nsrc; ++i)
        for (const auto& [k, o] : s.src[i]) by_dest[s.dest_key(i, k)].push_back(o);
    for (const auto& [dk, v] : by_dest) {
        if (v.size() < 2) continue;
        bool same = true;
        for (const auto& o : v)
            same = same && !etag_of(o).empty() && etag_of(o) == etag_of(v[0]) && o.size == v[0].size;
        if (!same)
            s.collisions[dk] = "collides";
        else
            s.shared[dk] = etag_of(v[0]);
    }
}

}  // namespace

TEST_CASE("transfer_plan: random listings, faults, overwrites and stops never lose data") {
    int runs = 0;
    for (unsigned seed = 1; seed <= 10000; ++seed) {
        std::mt19937 pick(seed);
        config c;
        int mode = static_cast<int>(pick() % 4);
        c.move = mode == 0 || mode == 1;
        c.conditional = mode == 1;
        c.dry_run = mode == 2;
        c.verify = mode == 3 && pick() % 2;
        c.dry_run = c.dry_run || c.verify;
        c.glacier_fail = pick() % 2;
        c.fault = (pick() % 3) * 0.1;
        c.overwrite = pick() % 2 ? 0.05 : 0;
        c.stop_chance = pick() % 4 == 0 ? 0.02 : 0;
        c.batch = 1 + pick() % 5;
        sim s(c, seed);
        populate(s, true, true);
        INFO("seed ", seed, " move ", c.move, " conditional ", c.conditional, " dry ", c.dry_run, " verify ",
             c.verify);
        s.run();
        ++runs;
    }
    CHECK(runs == 10000);
}

TEST_CASE("transfer_plan: a failure at every I/O step of a move is reported and loses nothing") {
    for (bool conditional : {false, true}) {
        // Count the steps of a clean run, then fail each one in turn.
        auto make = [&](int fault_at) {
            config c;
            c.move = true;
            c.conditional = conditional;
            c.fault_at = fault_at;
            c.batch = 2;
            auto s = std::make_unique<sim>(c, 7);
            s->src_prefix = {"a/"};
            s->dst_prefix = {"b/"};
            bucket b;
            b["a/1-missing"] = stored{1, 1, 0, false, false, false};
            b["a/2-same"] = stored{2, 2, 0, false, false, false};
            b["a/3-multipart-same-sums"] = stored{3, 0, 2, true, false, false};
            b["a/4-multipart-no-sums"] = stored{4, 1, 2, false, false, false};
            b["a/5-etag-differs"] = stored{5, 2, 0, false, false, false};
            s->src.push_back(b);
            s->dst["b/2-same"] = stored{2, 2, 0, false, false, false};
            s->dst["b/3-multipart-same-sums"] = stored{3, 0, 0, true, false, false};
            s->dst["b/4-multipart-no-sums"] = stored{4, 1, 3, false, false, false};
            s->dst["b/5-etag-differs"] = stored{8, 2, 0, false, false, false};
            return s;
        };
        auto clean = make(-1);
        clean->run();
        CHECK(clean->rep.totals.failed == 0);
        CHECK(clean->rep.totals.deleted == 5);
        CHECK(clean->rep.totals.copied == 3);  // missing, different ETag, multipart without sums
        CHECK(clean->rep.totals.skipped == 2);
        CHECK(clean->src[0].empty());
        const int steps = clean->io;
        CHECK(steps >= 8);
        for (int at = 0; at < steps; ++at) {
            INFO("conditional ", conditional, " failure at I/O step ", at);
            auto s = make(at);
            s->run();
            // One object failed (a failed checksum read is no failure: the
            // object is copied again), or one DeleteObjects request of two
            // keys; what failed is still at the source.
            CHECK(s->rep.totals.failed <= 2);
            CHECK(s->rep.totals.deleted + s->rep.totals.failed == 5);
            CHECK(s->src[0].size() == s->rep.totals.failed);
            for (const auto& f : s->rep.failures) CHECK(s->src[0].count(f.key) == 1);
        }
    }
}

TEST_CASE("transfer_plan: same size is never confirmation enough to delete") {
    report rep;
    plan_options po;
    po.move = true;
    po.source_buckets = {"src"};
    po.destination_bucket = "dst";
    transfer_plan p(po, rep);
    auto id = p.open_leaf(0, leaf{"src", "", "", ""}, false, false);
    // A multipart source and a single-part destination of the same size: the
    // merge-join cannot tell; without equal checksums it is copied, not skipped.
    merge_join mj;
    diagnostics diag;
    REQUIRE(!mj.push_source({s3::object_entry{"k", 5, "abc-2", "", "STANDARD"}}, diag));
    mj.source_done();
    REQUIRE(!mj.push_dest({s3::object_entry{"k", 5, "def", "", "STANDARD"}}, diag));
    mj.dest_done();
    auto ds = mj.pop_decisions();
    REQUIRE(ds.size() == 1);
    CHECK(ds[0].what == action::check);
    auto t = p.on_decision(id, ds[0]);
    REQUIRE(t);
    CHECK(p.on_checked(*t, checksum_verdict::unknown));  // must copy
    p.flush_deletes();
    CHECK(!p.next());  // nothing to delete before the copy
    p.on_copied(*t, copy_outcome{});
    p.flush_deletes();
    auto s = p.next();
    REQUIRE(s);
    CHECK(s->kind == step_kind::delete_batch);
    REQUIRE(s->batch.size() == 1);
    CHECK(s->batch[0].etag == "abc-2");  // pinned to what was copied
    CHECK(s->batch[0].copied);
    CHECK(rep.details[0].unverifiable == 1);
}

TEST_CASE("transfer_plan: a source without an ETag is copied but never deleted") {
    report rep;
    plan_options po;
    po.move = true;
    po.source_buckets = {"src"};
    po.destination_bucket = "dst";
    transfer_plan p(po, rep);
    auto id = p.open_leaf(0, leaf{"src", "", "", ""}, false, false);
    decision d;
    d.source = s3::object_entry{"k", 5, "", "", "STANDARD"};
    d.dest_key = "k";
    auto t = p.on_decision(id, d);
    REQUIRE(t);
    p.on_copied(*t, copy_outcome{});
    p.flush_deletes();
    bool batch = false;
    while (auto s = p.next()) batch = batch || s->kind == step_kind::delete_batch;
    CHECK(!batch);
    CHECK(rep.totals.failed == 1);
    CHECK(rep.totals.copied == 0);
    REQUIRE(rep.failures.size() == 1);
    CHECK(rep.failures[0].s3_code == "NoETag");
    CHECK(p.unfinished_objects() == 0);
}

TEST_CASE("transfer_plan: before_delete keeps an unchanged source and fails a changed one") {
    report rep;
    plan_options po;
    po.move = true;
    po.source_buckets = {"src"};
    transfer_plan p(po, rep);
    delete_item it{0, "k", "e1", "v1", true};
    CHECK(!p.before_delete(it, {}, "E1", "v1", {}));  // ETags compare case-insensitively
    auto changed = p.before_delete(it, {}, "e2", "v1", {});
    REQUIRE(changed);
    CHECK(changed->ec == errc::precondition_failed);
    CHECK(changed->diag.s3_code == "SourceChanged");
    auto other_version = p.before_delete(it, {}, "e1", "v2", {});
    REQUIRE(other_version);
    CHECK(other_version->ec == errc::precondition_failed);
    auto gone = p.before_delete(it, make_error_code(errc::not_found), "", "", {});
    REQUIRE(gone);
    CHECK(gone->already_gone);
    CHECK(!gone->ec);
    auto broken = p.before_delete(it, make_error_code(errc::timeout), "", "", {});
    REQUIRE(broken);
    CHECK(broken->ec == errc::timeout);
}

TEST_CASE("transfer_plan: a stop cuts work short without failures, the watermark stays before it") {
    report rep;
    plan_options po;
    po.source_buckets = {"src"};
    transfer_plan p(po, rep);
    auto id = p.open_leaf(0, leaf{"src", "", "", ""}, false, false);
    std::vector<object_ticket> ts;
    for (const char* k : {"a", "b", "c"}) {
        decision d;
        d.source = s3::object_entry{k, 1, "e", "", "STANDARD"};
        d.dest_key = k;
        ts.push_back(*p.on_decision(id, d));
    }
    p.on_listing_end(id, false);
    p.on_copied(ts[0], copy_outcome{});
    CHECK(*p.journal_watermark(id) == "a");
    p.stop(false);
    copy_outcome cancelled;
    cancelled.ec = make_error_code(errc::cancelled);
    p.on_copied(ts[1], std::move(cancelled));
    CHECK(*p.journal_watermark(id) == "a");
    p.on_copied(ts[2], copy_outcome{});
    CHECK(!p.journal_watermark(id));  // settled: the leaf is forgotten, its record kept
    CHECK(rep.totals.failed == 0);
    CHECK(rep.totals.copied == 2);
    CHECK(p.open_leaves() == 0);
    auto j = p.journal_leaves();
    REQUIRE(j.size() == 1);
    CHECK(j[0].watermark == "a");
    CHECK(!j[0].complete);
}

TEST_CASE("transfer_plan: throttles lower the copy budget, successes raise it") {
    report rep;
    plan_options po;
    po.source_buckets = {"src"};
    po.rate.initial = 8;
    po.rate.ceiling = 8;
    po.rate.floor = 1;
    transfer_plan p(po, rep);
    auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    p.on_throttle(now);
    auto s = p.next();
    REQUIRE(s);
    CHECK(s->kind == step_kind::set_limit);
    CHECK(s->limit == 4);
    p.on_throttle(now + std::chrono::milliseconds(10));  // same burst: one signal
    CHECK(!p.next());
    auto id = p.open_leaf(0, leaf{"src", "", "", ""}, false, false);
    std::size_t raised = 0;
    for (int i = 0; i < 4; ++i) {
        decision d;
        d.source = s3::object_entry{"k" + std::to_string(i), 1, "e", "", "STANDARD"};
        d.dest_key = d.source.key;
        auto t = p.on_decision(id, d);
        p.on_copied(*t, copy_outcome{});
        while (auto st = p.next())
            if (st->kind == step_kind::set_limit) raised = st->limit;
    }
    CHECK(raised == 5);
}

TEST_CASE("transfer_plan: a throttle slows the copies by the share of the leaves it hit") {
    // Eight leaves spread over the key space, each with a copy pending: a
    // 503 on one of them (one hot partition) costs an eighth of a halving;
    // throttles on more leaves in the same window take it further, up to a
    // halving when every leaf was throttled (or the leaf is not known).
    report rep;
    rep.sources.resize(1);
    rep.details.resize(1);
    plan_options po;
    po.source_buckets = {"src"};
    po.destination_bucket = "dst";
    po.rate.initial = 1000;
    po.rate.ceiling = 1000;
    po.rate.floor = 8;
    transfer_plan p(po, rep);
    std::vector<leaf_id> leaves;
    for (int i = 0; i < 8; ++i) {
        const std::string prefix = "r" + std::to_string(i) + "/";
        auto id = p.open_leaf(0, leaf{"src", prefix, "", ""}, false, false);
        decision d;
        d.source = s3::object_entry{prefix + "k", 1, "e", "", "STANDARD"};
        d.dest_key = d.source.key;
        REQUIRE(p.on_decision(id, d));
        leaves.push_back(id);
    }
    auto limit_now = [&] {
        std::size_t last = 0;
        while (auto st = p.next())
            if (st->kind == step_kind::set_limit) last = st->limit;
        return last;
    };
    // A throttled key finds its leaf by range: the driver maps the
    // destination key back to the source and asks.
    CHECK(p.leaf_holding(0, "r3/k") == leaves[3]);
    CHECK(p.leaf_holding(0, "r7/other") == leaves[7]);
    CHECK_FALSE(p.leaf_holding(0, "r8/k"));  // no open leaf holds it
    CHECK_FALSE(p.leaf_holding(1, "r3/k"));  // another source
    const auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    p.on_throttle(now, leaves[3]);
    CHECK(p.throttle_spread() == doctest::Approx(1.0 / 8));
    CHECK(limit_now() == 937);                                     // 1000 * (1 - 0.5 / 8)
    p.on_throttle(now + std::chrono::milliseconds(5), leaves[3]);  // the same leaf again
    CHECK(limit_now() == 0);
    CHECK(p.limit() == 937);
    p.on_throttle(now + std::chrono::milliseconds(8), leaves[4]);
    p.on_throttle(now + std::chrono::milliseconds(9), leaves[5]);
    CHECK(p.throttle_spread() == doctest::Approx(3.0 / 8));
    CHECK(p.limit() == 812);  // 1000 * (1 - 0.5 * 3 / 8): from the window's base
    // A throttle of no known leaf counts as everywhere: the base halved.
    p.on_throttle(now + std::chrono::milliseconds(10), std::nullopt);
    CHECK(limit_now() == 500);
    // The next window starts afresh: one leaf of eight again.
    p.on_throttle(now + std::chrono::seconds(2), leaves[0]);
    CHECK(p.throttle_spread() == doctest::Approx(1.0 / 8));
    CHECK(p.limit() == 468);  // 500 * (1 - 0.5 / 8)
    // A single leaf copying: any throttle of it is everywhere.
    report rep1;
    rep1.sources.resize(1);
    rep1.details.resize(1);
    transfer_plan q(po, rep1);
    auto only = q.open_leaf(0, leaf{"src", "", "", ""}, false, false);
    decision d;
    d.source = s3::object_entry{"k", 1, "e", "", "STANDARD"};
    d.dest_key = "k";
    REQUIRE(q.on_decision(only, d));
    q.on_throttle(now, only);
    CHECK(q.limit() == 500);
    // Ranges and a node's own objects: a split range (from, to] holds its
    // keys only, a node's leaf (delimiter '/') none below a sub-prefix.
    report rep2;
    rep2.sources.resize(1);
    rep2.details.resize(1);
    transfer_plan r(po, rep2);
    leaf lower{"src", "d/", "", ""};
    lower.to = "d/m";
    leaf upper{"src", "d/", "", "d/m"};
    upper.from = "d/m";
    auto lo = r.open_leaf(0, lower, false, false);
    auto hi = r.open_leaf(0, upper, false, false);
    auto node = r.open_leaf(0, leaf{"src", "n/", "/", ""}, true, false);
    CHECK(r.leaf_holding(0, "d/a") == lo);
    CHECK(r.leaf_holding(0, "d/m") == lo);  // (from, to]: the bound is the lower range's
    CHECK(r.leaf_holding(0, "d/n") == hi);
    CHECK(r.leaf_holding(0, "n/top.json") == node);
    CHECK_FALSE(r.leaf_holding(0, "n/sub/x.json"));
}

TEST_CASE(
    "transfer_plan: a source overwritten after the plan is not copied onto a key another source shares") {
    report rep;
    plan_options po;
    po.move = true;
    po.source_buckets = {"a", "b"};
    po.destination_bucket = "dst";
    transfer_plan p(po, rep);
    p.set_shared_keys({{"logs/k", "e4"}});
    auto la = p.open_leaf(0, leaf{"a", "", "", ""}, false, false);
    auto lb = p.open_leaf(1, leaf{"b", "", "", ""}, false, false);
    decision da;
    da.source = s3::object_entry{"logs/k", 3, "e4", "", "STANDARD"};
    da.dest_key = "logs/k";
    auto ta = p.on_decision(la, da);
    REQUIRE(ta);  // the content planned: copied, then its source deleted
    decision db = da;
    db.source.etag = "E1000";  // b was overwritten since the plan
    CHECK(!p.on_decision(lb, db));
    REQUIRE(rep.failures.size() == 1);
    CHECK(rep.failures[0].bucket == "b");
    CHECK(rep.failures[0].s3_code == "KeyCollision");
    CHECK(rep.details[1].collisions == 1);
    db.source.etag = "E4";  // the planned content (ETags compare case-insensitively)
    CHECK(p.on_decision(lb, [&] {
        auto d = db;
        d.source.key = "logs/l";
        d.dest_key = "logs/k";
        return d;
    }()));
}

TEST_CASE("transfer_plan: listing orders come round robin, nodes first give their sub-prefixes") {
    report rep;
    plan_options po;
    po.source_buckets = {"a", "b"};
    po.source_prefixes = {"logs/", ""};
    po.fanout.max_depth = 1;
    po.fanout.direct_leaves = false;
    transfer_plan p(po, rep);
    auto first = p.next_listing();
    auto second = p.next_listing();
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->source == 0);
    CHECK(second->source == 1);
    CHECK(first->node);  // discovery of logs/ with '/'
    CHECK(first->spec.bucket == "a");
    CHECK(first->spec.prefix == "logs/");
    CHECK(first->spec.delimiter == "/");
    CHECK(!p.next_listing());  // both nodes in flight: nothing ready
    CHECK(!p.listing_finished());

    // The node's page: two sub-prefixes become leaves, its own object is its own.
    std::vector<s3::object_entry> objects{s3::object_entry{"logs/top", 1, "e", "", "STANDARD"}};
    diagnostics diag;
    REQUIRE(!p.on_node_page(first->id, {"logs/2024/", "logs/2025/"}, objects, true, diag));
    CHECK(objects.size() == 1);
    auto leaf1 = p.next_listing();
    REQUIRE(leaf1);
    CHECK(leaf1->source == 0);
    CHECK(!leaf1->node);
    CHECK(leaf1->spec.prefix == "logs/2024/");
    auto leaf2 = p.next_listing();
    REQUIRE(leaf2);
    CHECK(leaf2->spec.prefix == "logs/2025/");

    // A failed node stops its source; the other source is finished when its node is.
    diagnostics fd;
    fd.operation = "ListObjectsV2";
    p.on_listing_failed(second->id, make_error_code(errc::server_error), fd);
    p.on_listing_end(second->id, true);
    CHECK(rep.totals.failed == 1);
    for (auto id : {first->id, leaf1->id, leaf2->id}) p.on_listing_end(id, false);
    CHECK(p.listing_finished());
    CHECK(!p.next_listing());
    // After a stop no listing is ordered.
    p.stop(false);
    CHECK(!p.next_listing());
}

TEST_CASE("transfer_plan: a resumed node drops its own objects the journal says are done") {
    report rep;
    plan_options po;
    po.source_buckets = {"a"};
    po.source_prefixes = {"p/"};
    po.fanout.max_depth = 1;
    po.fanout.direct_leaves = false;
    transfer_plan p(po, rep);
    leaf_state done_leaf{"a", "p/", "/", "p/b", false};
    auto counts = p.resume({done_leaf, leaf_state{"a", "p/x/", "", "", true}});
    CHECK(counts.complete == 1);
    CHECK(counts.resumed == 1);
    auto node = p.next_listing();
    REQUIRE(node);
    REQUIRE(node->node);
    CHECK(node->list_after().empty());  // listed from its start: every sub-prefix is needed
    std::vector<s3::object_entry> objects{s3::object_entry{"p/a", 1, "e", "", "STANDARD"},
                                          s3::object_entry{"p/b", 1, "e", "", "STANDARD"},
                                          s3::object_entry{"p/c", 1, "e", "", "STANDARD"}};
    diagnostics diag;
    REQUIRE(!p.on_node_page(node->id, {"p/x/", "p/y/"}, objects, true, diag));
    REQUIRE(objects.size() == 1);
    CHECK(objects[0].key == "p/c");
    // p/x/ was complete: only p/y/ is listed; the journal still says p/x/ is done.
    auto leaf = p.next_listing();
    REQUIRE(leaf);
    CHECK(leaf->spec.prefix == "p/y/");
    CHECK(!p.next_listing());
    bool x_done = false;
    for (const auto& l : p.journal_leaves()) x_done = x_done || (l.prefix == "p/x/" && l.complete);
    CHECK(x_done);
}

TEST_CASE("transfer_plan: time brings partial delete batches, journal saves and progress lines") {
    report rep;
    plan_options po;
    po.move = true;
    po.source_buckets = {"a"};
    po.journal_interval = std::chrono::milliseconds(2000);
    po.progress_interval = std::chrono::milliseconds(5000);
    transfer_plan p(po, rep);
    auto id = p.open_leaf(0, leaf{"a", "", "", ""}, false, false);
    decision d;
    d.source = s3::object_entry{"k", 1, "e1", "", "STANDARD"};
    d.dest_key = "k";
    p.on_copied(*p.on_decision(id, d), copy_outcome{});
    auto t0 = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
    auto kinds = [&] {
        std::vector<step_kind> k;
        while (auto s = p.next()) k.push_back(s->kind);
        return k;
    };
    p.on_tick(t0);
    CHECK(kinds() == std::vector<step_kind>{step_kind::delete_batch});
    p.on_tick(t0 + std::chrono::milliseconds(1000));
    CHECK(kinds().empty());
    p.on_tick(t0 + std::chrono::milliseconds(2000));
    CHECK(kinds() == std::vector<step_kind>{step_kind::save_journal});
    p.on_tick(t0 + std::chrono::milliseconds(5000));
    CHECK(kinds() == std::vector<step_kind>{step_kind::save_journal, step_kind::progress});
}
