#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <ostream>  // doctest prints std::error_code with operator<<
#include <random>
#include <set>

#include "list_sim.hpp"
#include "s3merge/engine/fanout.hpp"

using namespace s3merge;
using namespace s3merge::engine;
using enginetest::key_set;
using enginetest::list_all;
using enginetest::list_objects;
using enginetest::list_request;

namespace {

key_set cloudtrail_keys() {
    key_set keys;
    for (std::string acct : {"111111111111", "222222222222"})
        for (std::string region : {"us-east-1", "eu-west-1"})
            for (std::string date : {"2023/12/31", "2024/01/01", "2024/01/02"})
                for (std::string n : {"a", "b"}) {
                    std::string flat = date;
                    flat.erase(std::remove(flat.begin(), flat.end(), '/'), flat.end());
                    keys.insert("AWSLogs/" + acct + "/CloudTrail/" + region + "/" + date + "/" + acct +
                                "_CloudTrail_" + region + "_" + flat + "T0000Z_" + n + ".json.gz");
                }
    for (const char* k :
         {// Objects directly at intermediate levels, and folder markers.
          "AWSLogs/", "AWSLogs/readme.txt", "AWSLogs/111111111111/CloudTrail/us-east-1/2024/summary",
          "AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/01/", "AWSLogs/111111111111/CloudTrail/",
          "AWSLogs/222222222222/CloudTrail-Digest/us-east-1/2024/01/01/digest.json.gz",
          // Empty path segments.
          "AWSLogs//double", "AWSLogs/111111111111//x//y", "a//", "//", "/leading", "a/b//",
          // Unicode, sorted as bytes after ASCII.
          "AWSLogs/\xC3\xA9t\xC3\xA9/\xC3\xBC.txt", "\xE6\x97\xA5\xE6\x9C\xAC/\xE3\x83\x87/1", "z",
          "\xC3\xA9", "AWSLogs/\xF0\x9F\x98\x80",
          // Near the prefixes without being under them.
          "root.txt", "AWSLogs", "AWSLogs0", "AWSLogs0/x"})
        keys.insert(k);
    return keys;
}

std::vector<std::string> under(const key_set& keys, const std::string& prefix) {
    std::vector<std::string> r;
    for (const auto& k : keys)
        if (k.starts_with(prefix)) r.push_back(k);
    return r;
}

struct plan_result {
    std::vector<leaf> leaves;  // in emission order
    std::size_t discovery_pages = 0;
    // direct_leaves == false: the nodes' own objects taken from discovery
    // pages (as the engine does: after the journal's watermark, once each).
    std::vector<std::string> direct;
    std::map<std::string, std::vector<std::string>> direct_by_node;
    std::vector<std::string> tasks;  // prefixes of the discovery tasks handed out
};

// Drives the planner like the engine will: at most `capacity` discovery
// listings at once, pages fetched in a random order across them, and now
// and then a listing that fails and is restarted.
plan_result run_plan(const key_set& keys, const std::string& prefix, fanout_options opt,
                     std::size_t page_size, std::size_t capacity, std::mt19937& rng,
                     const std::vector<leaf_state>* resume = nullptr) {
    fanout_planner planner("bkt", prefix, opt);
    if (resume) planner.resume(*resume);
    plan_result res;
    std::map<std::string, list_request> running;
    std::map<std::string, discovery_task> task_of;
    std::map<std::string, std::string> last_direct;  // per node: the last own object taken
    diagnostics diag;
    while (!planner.done()) {
        // As the engine asks: a leaf first, else a discovery task while
        // there is room (taking leaves can unblock discovery: back-pressure).
        for (;;) {
            if (auto l = planner.next_leaf()) {
                res.leaves.push_back(*l);
                continue;
            }
            if (running.size() >= capacity) break;
            {
                auto t = planner.next_task();
                if (!t) break;
                REQUIRE(running.count(t->prefix) == 0);
                running[t->prefix] = list_request{t->prefix, "/", "", "", page_size};
                res.tasks.push_back(t->prefix);
                if (!opt.direct_leaves) {
                    task_of[t->prefix] = *t;
                } else {
                    REQUIRE(t->objects_done_ranges.empty());
                    REQUIRE_FALSE(t->objects_done);
                }
            }
        }
        REQUIRE(planner.outstanding_tasks() == running.size());
        if (running.empty()) {
            REQUIRE(planner.done());  // nothing outstanding yet not done would be a stall
            break;
        }
        auto it = std::next(running.begin(), static_cast<long>(rng() % running.size()));
        if (rng() % 25 == 0) {
            REQUIRE_FALSE(planner.on_discovery_failed(it->first));
            running.erase(it);
            continue;
        }
        auto page = list_objects(keys, it->second);
        ++res.discovery_pages;
        if (!opt.direct_leaves && !task_of[it->first].objects_done) {
            auto& last = last_direct[it->first];
            for (const auto& k : page.keys) {
                if (!last.empty() && !key_less(last, k)) continue;  // seen before a relisting
                last = k;
                if (covers(task_of[it->first].objects_done_ranges, k)) continue;  // done before
                res.direct.push_back(k);
                res.direct_by_node[it->first].push_back(k);
            }
        }
        REQUIRE_FALSE(planner.on_discovery_page(it->first, page.common_prefixes, page.keys.size(),
                                                !page.is_truncated, diag));
        if (page.is_truncated) {
            it->second.continuation_token = page.next_continuation_token;
        } else {
            running.erase(it);
        }
    }
    return res;
}

// Lists every leaf and returns the keys, sorted, duplicates kept.
std::vector<std::string> list_leaves(const key_set& keys, const std::vector<leaf>& leaves, std::size_t page) {
    std::vector<std::string> got;
    for (const auto& l : leaves) {
        auto part = list_all(keys, list_request{l.prefix, l.delimiter, l.start_after, "", page});
        for (auto& k : part)
            if (l.to.empty() || !key_less(l.to, k)) got.push_back(std::move(k));
    }
    std::sort(got.begin(), got.end(), key_less);
    return got;
}

}  // namespace

TEST_CASE("list simulator: delimiter, paging and start-after semantics") {
    key_set keys{"a/1", "a/2", "a/b/1", "a/b/2", "a/c/1", "a/d", "b"};
    auto p = list_objects(keys, {"a/", "/", "", "", 2});
    CHECK(p.keys == std::vector<std::string>{"a/1", "a/2"});
    CHECK(p.is_truncated);
    p = list_objects(keys, {"a/", "/", "", p.next_continuation_token, 2});
    CHECK(p.keys.empty());
    CHECK(p.common_prefixes == std::vector<std::string>{"a/b/", "a/c/"});
    p = list_objects(keys, {"a/", "/", "", p.next_continuation_token, 2});
    CHECK(p.keys == std::vector<std::string>{"a/d"});
    CHECK_FALSE(p.is_truncated);
    CHECK(list_all(keys, {"a/", "", "a/b/1", "", 1}) == std::vector<std::string>{"a/b/2", "a/c/1", "a/d"});
    CHECK(list_all(keys, {"a/", "/", "a/1", "", 1}) == std::vector<std::string>{"a/2", "a/d"});
}

TEST_CASE("fan-out: depth 1 from the bucket root, by hand") {
    key_set keys{"top", "x/1", "x/y/2", "z/3"};
    std::mt19937 rng(1);
    auto res = run_plan(keys, "", fanout_options{.max_depth = 1, .ordered_leaves = true}, 1000, 4, rng);
    std::vector<leaf> want{{"bkt", "", "/", ""}, {"bkt", "x/", "", ""}, {"bkt", "z/", "", ""}};
    CHECK(res.leaves == want);
    res = run_plan(keys, "x/", fanout_options{.max_depth = 0}, 1000, 4, rng);
    CHECK(res.leaves == std::vector<leaf>{{"bkt", "x/", "", ""}});
    CHECK(res.discovery_pages == 0);
}

TEST_CASE("fan-out: leaves cover every key exactly once, depths 0..8") {
    const key_set keys = cloudtrail_keys();
    std::mt19937 rng(2024);
    for (std::string prefix :
         {"", "AWSLogs/", "AWSLogs", "AWSLogs/111111111111/CloudTrail/", "AWSLogs/1", "absent/"}) {
        const auto want = under(keys, prefix);
        for (int depth = 0; depth <= 8; ++depth)
            for (std::size_t page : {1, 2, 1000})
                for (std::size_t capacity : {1, 3, 16})
                    for (int mode = 0; mode < 3; ++mode) {
                        const bool ordered = mode == 1, spread = mode == 2;
                        CAPTURE(prefix);
                        CAPTURE(depth);
                        CAPTURE(page);
                        CAPTURE(capacity);
                        CAPTURE(mode);
                        fanout_options opt{
                            .max_depth = depth, .ordered_leaves = ordered, .max_ready_leaves = 4};
                        opt.spread = spread;
                        auto res = run_plan(keys, prefix, opt, page, capacity, rng);
                        REQUIRE(list_leaves(keys, res.leaves, 3) == want);
                        // No leaf twice; ordered mode emits in key order.
                        auto sorted = res.leaves;
                        auto by_prefix = [](const leaf& a, const leaf& b) {
                            return key_less(a.prefix, b.prefix);
                        };
                        std::sort(sorted.begin(), sorted.end(), by_prefix);
                        for (std::size_t i = 1; i < sorted.size(); ++i)
                            REQUIRE(key_less(sorted[i - 1].prefix, sorted[i].prefix));
                        if (ordered) CHECK(sorted == res.leaves);
                        for (const auto& l : res.leaves) {
                            REQUIRE(l.prefix.starts_with(prefix));
                            REQUIRE(l.start_after.empty());
                        }
                    }
    }
}

TEST_CASE("fan-out: free single-child levels and direct objects in discovery cover every key once") {
    const key_set keys = cloudtrail_keys();
    std::mt19937 rng(99);
    for (std::string prefix : {"", "AWSLogs/", "AWSLogs/111111111111/CloudTrail/", "AWSLogs/1"}) {
        const auto want = under(keys, prefix);
        for (int depth = 0; depth <= 7; ++depth)
            for (int free_levels : {0, 1, 8})
                for (bool direct_leaves : {true, false})
                    for (std::size_t page : {1, 2, 1000}) {
                        CAPTURE(prefix);
                        CAPTURE(depth);
                        CAPTURE(free_levels);
                        CAPTURE(direct_leaves);
                        CAPTURE(page);
                        fanout_options opt{.max_depth = depth,
                                           .max_ready_leaves = 4,
                                           .direct_leaves = direct_leaves,
                                           .max_free_levels = free_levels};
                        auto res = run_plan(keys, prefix, opt, page, 3, rng);
                        auto got = list_leaves(keys, res.leaves, 3);
                        got.insert(got.end(), res.direct.begin(), res.direct.end());
                        std::sort(got.begin(), got.end(), key_less);
                        REQUIRE(got == want);
                        if (!direct_leaves)
                            for (const auto& l : res.leaves) REQUIRE(l.delimiter.empty());
                        // The same leaves and tasks whatever the page order,
                        // page size and failures: a resumed run must match.
                        auto again = run_plan(keys, prefix, opt, page == 1 ? 1000 : 1, 7, rng);
                        auto a = res.leaves, b = again.leaves;
                        auto by_prefix = [](const leaf& x, const leaf& y) {
                            return key_less(x.prefix, y.prefix);
                        };
                        std::sort(a.begin(), a.end(), by_prefix);
                        std::sort(b.begin(), b.end(), by_prefix);
                        REQUIRE(a == b);
                        auto ta = res.tasks, tb = again.tasks;
                        std::sort(ta.begin(), ta.end(), key_less);
                        std::sort(tb.begin(), tb.end(), key_less);
                        ta.erase(std::unique(ta.begin(), ta.end()), ta.end());  // relisted after a failure
                        tb.erase(std::unique(tb.begin(), tb.end()), tb.end());
                        REQUIRE(ta == tb);
                    }
    }
}

TEST_CASE("fan-out: free levels take a per-region bucket's root to per-day leaves") {
    key_set keys;
    for (std::string day : {"2024/01/01", "2024/01/02", "2024/02/01"})
        for (std::string n : {"a", "b"})
            keys.insert("AWSLogs/111111111111/CloudTrail/us-east-1/" + day + "/111111111111_CloudTrail_" + n +
                        ".json.gz");
    std::mt19937 rng(5);
    // Counted levels: months (1), days (2); "", AWSLogs/, the account,
    // CloudTrail/, the region and the only year are free, and so is the
    // only day of February, which is then a node whose own objects make a
    // non-recursive leaf.
    auto res = run_plan(keys, "", fanout_options{.max_depth = 2, .max_free_levels = 8}, 1000, 4, rng);
    std::map<std::string, std::string> leaves;
    for (const auto& l : res.leaves) leaves[l.prefix] = l.delimiter;
    const std::string base = "AWSLogs/111111111111/CloudTrail/us-east-1/";
    CHECK(leaves == std::map<std::string, std::string>{
                        {base + "2024/01/01/", ""}, {base + "2024/01/02/", ""}, {base + "2024/02/01/", "/"}});
    // Without free levels, depth 2 stops at the account.
    res = run_plan(keys, "", fanout_options{.max_depth = 2}, 1000, 4, rng);
    REQUIRE(res.leaves.size() == 1);
    CHECK(res.leaves[0].prefix == "AWSLogs/111111111111/");
    // A limit on free levels: only "" and AWSLogs/ are free.
    res = run_plan(keys, "", fanout_options{.max_depth = 2, .max_free_levels = 2}, 1000, 4, rng);
    REQUIRE(res.leaves.size() == 1);
    CHECK(res.leaves[0].prefix == "AWSLogs/111111111111/CloudTrail/us-east-1/");
    // An object next to the only child makes the level count: the account
    // is at depth 1, the months at depth 2.
    keys.insert("AWSLogs/readme.txt");
    res = run_plan(keys, "", fanout_options{.max_depth = 2, .max_free_levels = 8}, 1, 4, rng);
    std::map<std::string, std::string> got;
    for (const auto& l : res.leaves) got[l.prefix] = l.delimiter;
    CHECK(got == std::map<std::string, std::string>{
                     {"AWSLogs/", "/"}, {base + "2024/01/", ""}, {base + "2024/02/", ""}});
}

TEST_CASE("fan-out: direct objects in discovery resume after the journal's watermark") {
    const key_set keys = cloudtrail_keys();
    std::mt19937 rng(31);
    for (int depth : {1, 3, 6}) {
        for (int round = 0; round < 10; ++round) {
            CAPTURE(depth);
            fanout_options opt{.max_depth = depth, .direct_leaves = false, .max_free_levels = 8};
            auto first = run_plan(keys, "", opt, 2, 4, rng);
            std::vector<leaf_state> journal;
            std::vector<std::string> done;
            auto record = [&](const std::string& prefix, const std::string& delim,
                              const std::vector<std::string>& ks) {
                switch (rng() % 3) {
                    case 0:
                        journal.push_back({"bkt", prefix, delim, ks.empty() ? "" : ks.back(), true});
                        done.insert(done.end(), ks.begin(), ks.end());
                        break;
                    case 1: {
                        std::size_t n = ks.empty() ? 0 : rng() % ks.size();
                        journal.push_back({"bkt", prefix, delim, n ? ks[n - 1] : "", false});
                        done.insert(done.end(), ks.begin(), ks.begin() + static_cast<long>(n));
                        break;
                    }
                    default:
                        break;
                }
            };
            for (const auto& l : first.leaves)
                record(l.prefix, l.delimiter, list_all(keys, {l.prefix, "", "", "", 1000}));
            for (const auto& [node, ks] : first.direct_by_node) record(node, "/", ks);
            auto second = run_plan(keys, "", opt, 2, 4, rng, &journal);
            auto rest = list_leaves(keys, second.leaves, 5);
            rest.insert(rest.end(), second.direct.begin(), second.direct.end());
            rest.insert(rest.end(), done.begin(), done.end());
            std::sort(rest.begin(), rest.end(), key_less);
            REQUIRE(rest == under(keys, ""));
        }
    }
}

TEST_CASE("fan-out: CloudTrail at depth 7 yields one leaf per day") {
    const key_set keys = cloudtrail_keys();
    std::mt19937 rng(3);
    auto res = run_plan(keys, "", fanout_options{.max_depth = 7, .ordered_leaves = true}, 1000, 8, rng);
    std::map<std::string, std::string> leaves;
    for (const auto& l : res.leaves) leaves[l.prefix] = l.delimiter;
    CHECK(leaves.at("AWSLogs/111111111111/CloudTrail/us-east-1/2024/01/01/") == "");
    CHECK(leaves.at("AWSLogs/222222222222/CloudTrail/eu-west-1/2023/12/31/") == "");
    CHECK(leaves.at("AWSLogs/111111111111/CloudTrail/us-east-1/2024/") == "/");  // "summary"
    CHECK(leaves.at("AWSLogs/") == "/");                                         // marker + readme
    CHECK(leaves.at("") == "/");                                                 // root.txt, z, ...
    CHECK(leaves.count("AWSLogs/111111111111/CloudTrail/us-east-1/") == 0);      // no direct objects
    std::size_t days = 0;
    for (const auto& [p, d] : leaves)
        if (p.find("/CloudTrail/") != std::string::npos && p.size() > 40 && d.empty() &&
            std::count(p.begin(), p.end(), '/') == 7)
            ++days;
    CHECK(days == 2 * 2 * 3);
}

TEST_CASE("fan-out: resume drops complete leaves and starts the others after their watermark") {
    const key_set keys = cloudtrail_keys();
    std::mt19937 rng(77);
    for (int depth : {0, 1, 3, 6}) {
        for (int round = 0; round < 10; ++round) {
            CAPTURE(depth);
            fanout_options opt{.max_depth = depth};
            auto first = run_plan(keys, "", opt, 2, 4, rng);
            // Crash: each leaf is complete, part-done (watermark), or unknown.
            std::vector<leaf_state> journal{{"other-bucket", "", "", "", true}};
            std::vector<std::string> done;
            std::size_t complete = 0;
            for (const auto& l : first.leaves) {
                auto ks = list_all(keys, list_request{l.prefix, l.delimiter, "", "", 1000});
                switch (rng() % 3) {
                    case 0:
                        journal.push_back({"bkt", l.prefix, l.delimiter, ks.empty() ? "" : ks.back(), true});
                        done.insert(done.end(), ks.begin(), ks.end());
                        ++complete;
                        break;
                    case 1: {
                        std::size_t n = ks.empty() ? 0 : rng() % ks.size();
                        journal.push_back({"bkt", l.prefix, l.delimiter, n ? ks[n - 1] : "", false});
                        done.insert(done.end(), ks.begin(), ks.begin() + static_cast<long>(n));
                        break;
                    }
                    default:
                        break;
                }
            }
            auto second = run_plan(keys, "", opt, 2, 4, rng, &journal);
            auto rest = list_leaves(keys, second.leaves, 5);
            rest.insert(rest.end(), done.begin(), done.end());
            std::sort(rest.begin(), rest.end(), key_less);
            REQUIRE(rest == under(keys, ""));
            CHECK(second.leaves.size() + complete == first.leaves.size());
        }
    }
}

TEST_CASE("fan-out: resume counts dropped leaves") {
    fanout_planner p("bkt", "x/", fanout_options{.max_depth = 0});
    p.resume({{"bkt", "x/", "", "x/k", true}});
    CHECK(p.leaves_dropped() == 1);
    CHECK(p.done());
    fanout_planner q("bkt", "x/", fanout_options{.max_depth = 0});
    q.resume({{"bkt", "x/", "", "x/k", false}, {"bkt", "x/", "/", "x/zzz", true}});
    auto l = q.next_leaf();
    REQUIRE(l);
    CHECK(l->start_after == "x/k");
    CHECK(q.done());
}

TEST_CASE("fan-out: malformed discovery pages and misuse") {
    fanout_planner p("bkt", "a/", fanout_options{.max_depth = 2});
    diagnostics diag;
    CHECK(p.on_discovery_page("a/", {}, 0, true, diag) == errc::invalid_argument);  // not handed out
    CHECK(p.on_discovery_failed("a/") == errc::invalid_argument);
    auto t = p.next_task();
    REQUIRE(t);
    CHECK(t->prefix == "a/");
    CHECK(t->depth == 0);
    CHECK(p.on_discovery_page("a/", {"b/"}, 0, false, diag) == errc::malformed_response);  // not under a/
    CHECK(diag.key == "b/");
    CHECK(p.on_discovery_page("a/", {"a/x"}, 0, false, diag) == errc::malformed_response);     // no delimiter
    CHECK(p.on_discovery_page("a/", {"a/x/y/"}, 0, false, diag) == errc::malformed_response);  // two
    CHECK(p.on_discovery_page("a/", {"a/"}, 0, false, diag) == errc::malformed_response);  // the node itself
    CHECK(p.on_discovery_page("a/", {"a/y/", "a/x/"}, 0, false, diag) == errc::malformed_response);
    CHECK(p.pending_tasks() == 0);  // bad pages change nothing
    REQUIRE_FALSE(p.on_discovery_page("a/", {"a/x/", "a/\xC3\xA9/"}, 1, false, diag));
    CHECK(p.on_discovery_page("a/", {"a/z/"}, 0, false, diag) == errc::malformed_response);  // "z" < "é"
    CHECK(p.on_discovery_page("a/", {"a/\xC3\xA9/"}, 0, false, diag) == errc::malformed_response);  // repeat
    // After a failure the relisting repeats earlier children: they are skipped.
    REQUIRE_FALSE(p.on_discovery_failed("a/"));
    t = p.next_task();
    REQUIRE(t);
    CHECK(t->prefix == "a/");  // smallest first
    REQUIRE_FALSE(p.on_discovery_page("a/", {"a/x/", "a/\xC3\xA9/", "a/\xC3\xBC/"}, 0, true, diag));
    CHECK(p.pending_tasks() == 3);
    CHECK(p.ready_leaves() == 1);  // a/ (non-recursive): objects were seen before the failure
}

TEST_CASE("fan-out: back-pressure on ready leaves, without stalling in ordered mode") {
    fanout_planner p("bkt", "",
                     fanout_options{.max_depth = 2, .ordered_leaves = false, .max_ready_leaves = 2});
    diagnostics diag;
    auto t = p.next_task();
    REQUIRE(t);
    REQUIRE_FALSE(p.on_discovery_page("", {"a/", "b/"}, 1, true, diag));  // depth 1 < 2: tasks
    t = p.next_task();
    REQUIRE(t);
    CHECK(t->prefix == "a/");
    REQUIRE_FALSE(p.on_discovery_page("a/", {"a/1/", "a/2/", "a/3/"}, 0, true, diag));
    CHECK(p.ready_leaves() == 4);  // "", a/1/, a/2/, a/3/
    CHECK_FALSE(p.next_task());    // drain leaves first
    CHECK(p.next_leaf()->prefix == "");
    CHECK(p.next_leaf()->prefix == "a/1/");
    CHECK(p.next_leaf()->prefix == "a/2/");
    CHECK(p.next_task()->prefix == "b/");  // below the cap again

    // Ordered: the leaf after a pending node cannot go out, so discovery must
    // continue even above the cap.
    fanout_planner q("bkt", "",
                     fanout_options{.max_depth = 2, .ordered_leaves = true, .max_ready_leaves = 1});
    t = q.next_task();
    REQUIRE_FALSE(q.on_discovery_page("", {"a/", "b/"}, 1, true, diag));
    CHECK_FALSE(q.next_leaf() == std::nullopt);  // "" < "a/"
    t = q.next_task();
    REQUIRE(t);
    CHECK(t->prefix == "a/");
    t = q.next_task();
    REQUIRE(t);
    CHECK(t->prefix == "b/");
    REQUIRE_FALSE(q.on_discovery_page("b/", {"b/1/"}, 0, true, diag));
    CHECK_FALSE(q.next_leaf());  // b/1/ waits for a/
    REQUIRE_FALSE(q.on_discovery_page("a/", {"a/1/"}, 0, true, diag));
    CHECK(q.next_leaf()->prefix == "a/1/");
    CHECK(q.next_leaf()->prefix == "b/1/");
    CHECK(q.done());
}

namespace {
// 16 regions x 60 days of CloudTrail keys over `years` years.
key_set regional_days(int years) {
    key_set keys;
    for (int r = 0; r < 16; ++r)
        for (int d = 0; d < 60; ++d)
            for (int n = 0; n < 2; ++n) {
                char buf[128];
                std::snprintf(buf, sizeof buf, "AWSLogs/1/CloudTrail/r%02d/%04d/%02d/%02d/%d.json.gz", r,
                              2024 + d % years, 1 + d / 28, 1 + d % 28, n);
                keys.insert(buf);
            }
    return keys;
}
std::size_t regions_in(const std::vector<std::string>& prefixes) {
    std::set<std::string> regions;
    for (const auto& p : prefixes) regions.insert(p.substr(21, 3));
    return regions.size();
}
}  // namespace

TEST_CASE("fan-out: spread leaves cover the tree from the first ones on, every key once") {
    // Discovered from the bucket root with free levels down to the regions,
    // as the engine does: region, year, month, day; a leaf per day.
    const key_set keys = regional_days(2);
    const auto want = under(keys, "");
    std::mt19937 rng(5);
    for (std::size_t max_ready : {std::size_t(10000), std::size_t(40)}) {
        CAPTURE(max_ready);
        fanout_options opt{
            .max_depth = 4, .max_ready_leaves = max_ready, .direct_leaves = false, .max_free_levels = 8};
        opt.spread = true;
        auto res = run_plan(keys, "", opt, 1000, 8, rng);
        REQUIRE(res.leaves.size() == 16 * 60);
        REQUIRE(list_leaves(keys, res.leaves, 7) == want);
        // Smallest first, the first 32 leaves are days of one or two regions;
        // spread, they hold (almost) every region: the whole tree is known
        // first. With a cap of 40 the frontier soon passes it and discovery
        // goes smallest first (bounded memory over spread): then only
        // coverage and progress are promised.
        std::vector<std::string> first;
        for (std::size_t i = 0; i < 32; ++i) first.push_back(res.leaves[i].prefix);
        if (max_ready == 10000) CHECK(regions_in(first) >= 14);
    }
    fanout_options opt{.max_depth = 4, .direct_leaves = false, .max_free_levels = 8};
    auto res = run_plan(keys, "", opt, 1000, 8, rng);
    std::vector<std::string> first;
    for (std::size_t i = 0; i < 32; ++i) first.push_back(res.leaves[i].prefix);
    CHECK(regions_in(first) <= 2);
}

TEST_CASE("fan-out: spread discovery when the days are nodes (their objects come from discovery)") {
    // One year: a free level, so a day is at depth 3 and listed as a node.
    const key_set keys = regional_days(1);
    std::mt19937 rng(6);
    for (bool spread : {true, false}) {
        fanout_options opt{.max_depth = 4, .direct_leaves = false, .max_free_levels = 8};
        opt.spread = spread;
        auto res = run_plan(keys, "", opt, 1000, 8, rng);
        CHECK(res.leaves.empty());
        std::sort(res.direct.begin(), res.direct.end(), key_less);
        REQUIRE(res.direct == under(keys, ""));
        std::vector<std::string> days;  // in the order first handed out (a failed one is handed out again)
        std::set<std::string> seen;
        for (const auto& t : res.tasks)
            if (std::count(t.begin(), t.end(), '/') == 7 && seen.insert(t).second) days.push_back(t);
        REQUIRE(days.size() == 16 * 60);
        days.resize(32);
        if (spread) {
            CHECK(regions_in(days) >= 12);
        } else {
            CHECK(regions_in(days) <= 3);
        }
    }
}

TEST_CASE("fan-out: a level wide enough for the listers is listed whole, prefix by prefix") {
    // 16 regions of 60 days in one year (a level that does not count) or
    // two: region, year, month, day. With wide_enough 40 the regions (16)
    // and years (32) are discovered, the months (48) are not: each is a
    // leaf of everything under it. Every key once, whatever the order the
    // pages come in and the listings that fail.
    for (int years : {1, 2}) {
        const key_set keys = regional_days(years);
        const auto want = under(keys, "");
        for (unsigned seed = 1; seed <= 20; ++seed) {
            CAPTURE(years);
            CAPTURE(seed);
            std::mt19937 rng(seed);
            fanout_options opt{.max_depth = 4, .direct_leaves = false, .max_free_levels = 8};
            opt.spread = true;
            opt.wide_enough = 40;
            auto res = run_plan(keys, "", opt, 1 + rng() % 20, 1 + rng() % 12, rng);
            REQUIRE(list_leaves(keys, res.leaves, 7) == want);
            CHECK(res.direct.empty());
            // Months: AWSLogs/1/CloudTrail/rNN/YYYY/MM/ (6 slashes), none listed level by level.
            std::set<std::string> leaves;
            for (const auto& l : res.leaves) {
                CHECK(std::count(l.prefix.begin(), l.prefix.end(), '/') == 6);
                CHECK(l.delimiter.empty());
                leaves.insert(l.prefix);
            }
            CHECK(leaves.size() == std::size_t(16 * years * 3));  // months 1-3 of each year
            for (const auto& t : res.tasks) CHECK(std::count(t.begin(), t.end(), '/') <= 5);
        }
    }
    // Not wide enough: the days are listed as before (the depth decides).
    const key_set keys = regional_days(1);
    std::mt19937 rng(3);
    fanout_options opt{.max_depth = 4, .direct_leaves = false, .max_free_levels = 8};
    opt.spread = true;
    opt.wide_enough = 10000;
    auto res = run_plan(keys, "", opt, 1000, 8, rng);
    CHECK(res.leaves.empty());  // the days are nodes (depth 4 with a free year level)
    std::sort(res.direct.begin(), res.direct.end(), key_less);
    CHECK(res.direct == under(keys, ""));
}

TEST_CASE("fan-out: wide_enough below levels that do not count") {
    key_set keys;
    for (int r = 0; r < 16; ++r)
        for (int d = 0; d < 22; ++d)
            for (int n = 0; n < 2; ++n) {
                char buf[128];
                std::snprintf(buf, sizeof buf, "AWSLogs/1/CloudTrail/r%02d/2024/01/%02d/%d.json.gz", r, 1 + d,
                              n);
                keys.insert(buf);
            }
    std::mt19937 rng(3);
    fanout_options opt{.max_depth = 4, .direct_leaves = false, .max_free_levels = 8};
    opt.spread = true;
    opt.wide_enough = 64;
    auto res = run_plan(keys, "", opt, 1000, 64, rng);
    REQUIRE(list_leaves(keys, res.leaves, 7) == under(keys, ""));
    CHECK(res.leaves.size() == 16 * 22);
}

TEST_CASE("discovery path: the nodes from a prefix down to a key, by hand") {
    using v = std::vector<std::string>;
    const std::string key = "AWSLogs/1/CloudTrail/us-east-1/2024/01/02/1_CloudTrail.json.gz";
    CHECK(discovery_path("", key, 16) ==
          v{"", "AWSLogs/", "AWSLogs/1/", "AWSLogs/1/CloudTrail/", "AWSLogs/1/CloudTrail/us-east-1/",
            "AWSLogs/1/CloudTrail/us-east-1/2024/", "AWSLogs/1/CloudTrail/us-east-1/2024/01/",
            "AWSLogs/1/CloudTrail/us-east-1/2024/01/02/"});
    CHECK(discovery_path("", key, 3) == v{"", "AWSLogs/", "AWSLogs/1/"});
    CHECK(discovery_path("AWSLogs/1/CloudTrail/", key, 2) ==
          v{"AWSLogs/1/CloudTrail/", "AWSLogs/1/CloudTrail/us-east-1/"});
    // A start that is not a whole level: its first sub-prefix ends at the next '/'.
    CHECK(discovery_path("AWSLogs/1/Cloud", key, 2) == v{"AWSLogs/1/Cloud", "AWSLogs/1/CloudTrail/"});
    // Empty segments are levels too; a key ending in '/' is listed under itself.
    CHECK(discovery_path("", "a//b", 8) == v{"", "a/", "a//"});
    CHECK(discovery_path("x/", "x/y/", 8) == v{"x/", "x/y/"});
    CHECK(discovery_path("x/", "x/", 8) == v{"x/"});
    CHECK(discovery_path("", "flat-key", 8) == v{""});
    // Not under the prefix, or nothing wanted: nothing.
    CHECK(discovery_path("b/", "a/b/c", 8).empty());
    CHECK(discovery_path("", key, 0).empty());
    CHECK(discovery_path("", "", 8).empty());
}

TEST_CASE("discovery path: every node on it is one the fan-out lists") {
    // What a driver lists ahead of the planner must be what the planner
    // asks for (else the listings are wasted): from several starts, with
    // levels that do and do not count, on CloudTrail keys and random ones.
    std::mt19937 rng(11);
    key_set random;
    const std::string alphabet = "ab/";
    for (int i = 0; i < 300; ++i) {
        std::string k;
        for (std::size_t n = 1 + rng() % 9; n > 0; --n) k += alphabet[rng() % alphabet.size()];
        random.insert(k);
    }
    for (const key_set& keys : {cloudtrail_keys(), random}) {
        for (std::string prefix :
             {"", "AWSLogs/", "AWSLogs/111111111111/CloudTrail/", "AWSLogs/1", "a", "a/"}) {
            auto first = list_objects(keys, list_request{prefix, "", "", "", 1});
            if (first.keys.empty()) continue;
            for (int free_levels : {0, 8}) {
                CAPTURE(prefix);
                CAPTURE(free_levels);
                fanout_options opt{.max_depth = 16, .direct_leaves = false, .max_free_levels = free_levels};
                auto res = run_plan(keys, prefix, opt, 1000, 8, rng);
                std::set<std::string> tasks(res.tasks.begin(), res.tasks.end());
                auto path = discovery_path(prefix, first.keys.front(), 16);
                REQUIRE_FALSE(path.empty());
                CHECK(path.front() == prefix);
                for (const auto& p : path) {
                    CAPTURE(p);
                    CHECK(tasks.count(p) == 1);
                    CHECK(first.keys.front().starts_with(p));
                }
            }
        }
    }
}
