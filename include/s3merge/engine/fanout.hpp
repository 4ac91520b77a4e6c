// Prefix fan-out planner, a pure state machine: splits one source range
// (bucket, prefix) into listing leaves that many listers list in parallel.
//
// Discovery: the start prefix is node depth 0. A node at depth d <
// max_depth is listed (all pages) with delimiter '/' — a discovery task.
// Each common prefix it returns is a child node at depth d+1: a further
// discovery task if d+1 < max_depth, else a recursive leaf (prefix, "")
// that covers every key under it. With max_free_levels, a node whose whole
// listing is one common prefix and no object does not count: its child stays
// at depth d (so "" reaches the same leaves of CloudTrail keys as
// "AWSLogs/<account>/CloudTrail/" does). That depends only on the listing,
// so a resumed run makes the same leaves. Objects returned directly by a discovery
// listing (no '/' after the node prefix) make the node's own non-recursive
// leaf (prefix, "/"), listed with delimiter '/' so its children are not
// counted twice. max_depth 0 gives the single leaf (start prefix, "").
// With wide_enough (spread), the nodes of a depth become leaves, above
// max_depth, once the depth is complete and they (with the leaves already
// made) are at least that many.
// Every key under the start prefix is in exactly one leaf.
//
// Driving it: call next_task() only when there is capacity for another
// listing (the planner never hands out more than asked), feed each page of
// a task with on_discovery_page(), and take leaves with next_leaf(). Leaves
// come out smallest first among those known; with ordered_leaves they come
// out in global key order (a leaf waits until no pending discovery could
// produce a smaller one); with spread they come out spread over the key
// space, discovery first. next_task() pauses while max_ready_leaves leaves
// wait to be taken, so memory stays bounded by the discovery frontier.
//
// Resume: the journal's records of a leaf (same bucket, prefix and
// delimiter) claim key ranges done (see leaf_state); the leaf comes out as
// one leaf per range no record claims (from, to], none when all are done.
//
// Key ranges: a leaf being listed may be split (start-after bisection, by
// the driver; see key_split.hpp) so that another lister takes (m, to]. A
// discovery node split so (split_node) counts its ranges and finishes when
// each has delivered its last page.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "s3merge/engine/journal.hpp"
#include "s3merge/engine/key_map.hpp"
#include "s3merge/engine/spread_set.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

struct fanout_options {
    int max_depth = 3;
    bool ordered_leaves = false;
    std::size_t max_ready_leaves = 10000;
    // false: the caller takes each node's own objects (no '/' after the node
    // prefix) from the discovery listing itself, which then is the node's
    // leaf: no (prefix, "/") leaf is made, nothing is listed twice, and a
    // discovery task carries the journal state of those objects.
    bool direct_leaves = true;
    // A node whose whole listing is one common prefix and no object does not
    // fan out: its child keeps the node's depth. At most this many such
    // levels along a path (0: every level counts).
    int max_free_levels = 0;
    // Not ordered_leaves: leaves come out spread over the key space (see
    // spread_set) instead of smallest first, and discovery goes first while
    // fewer than max_ready_leaves leaves wait, so the spread covers the whole
    // tree when it fits; discovery tasks go breadth first, spread the same
    // way within a depth, while the frontier is below that bound (smallest
    // first above it, which yields leaves soonest).
    bool spread = false;
    // spread: when the discovery of a depth is complete and its nodes (with
    // the leaves already made) number at least this many, those nodes are
    // not listed level by level but become leaves (prefix, ""): the fan-out
    // is wide enough for the listers, each leaf's listing fills whole pages
    // (a small day of a CloudTrail month is not a request of its own) and
    // key-range splits list the big ones in parallel. It depends only on the
    // tree, so a resumed run makes the same leaves. 0: never.
    std::size_t wide_enough = 0;
};

// The keys in (from, to]; to "" = no upper bound, from "" = from the start.
struct key_interval {
    std::string from, to;
    bool holds(std::string_view key) const {
        return key_less(from, key) && (to.empty() || !key_less(to, key));
    }
    friend bool operator==(const key_interval&, const key_interval&) = default;
};
// Sorted, disjoint and merged: the union of the journal's claims of one leaf.
using done_ranges = std::vector<key_interval>;
bool covers(const done_ranges& done, std::string_view key);
// The union of records' claims (see leaf_state), merged.
done_ranges claims_of(const std::vector<leaf_state>& records);

// ListObjectsV2 under prefix with delimiter "/", every page.
struct discovery_task {
    std::string prefix;
    int depth = 0;
    // direct_leaves == false: the journal's claims on the node's own objects
    // (those in them are done); objects_done: they cover every key.
    done_ranges objects_done_ranges;
    bool objects_done = false;
};

struct leaf {
    std::string bucket;
    std::string prefix;
    std::string delimiter;    // "/": the node's direct objects only; "": everything under prefix
    std::string start_after;  // "" = from the start
    // A key range of the leaf: (from, to], to "" = no upper bound. from is
    // the range's name in the journal; start_after >= from.
    std::string from = {}, to = {};
    friend bool operator==(const leaf&, const leaf&) = default;
};

// The discovery nodes a fan-out from `prefix` lists on its way down to
// `first_key` (the smallest key under the prefix, as a listing without a
// delimiter returns it first): the prefix itself, then each prefix of the
// key that ends with '/' below it, shallowest first, at most `max` of them.
// Their listings do not depend on each other's results, so a driver may ask
// for them all at once instead of one level per round trip (the levels of
// a CloudTrail bucket above the regions each hold one prefix). None when
// the key is empty (no key: nothing to follow) or not under the prefix.
std::vector<std::string> discovery_path(std::string_view prefix, std::string_view first_key, std::size_t max);

class fanout_planner {
public:
    fanout_planner(std::string bucket, std::string prefix, fanout_options opt = {});

    // Call before the first next_task()/next_leaf(); entries of other buckets
    // are ignored.
    void resume(const std::vector<leaf_state>& journal_leaves);

    std::optional<discovery_task> next_task();
    // One page of the listing of an outstanding task. Common prefixes must
    // be under the task prefix, end with '/', and ascend strictly across
    // pages (else errc::malformed_response). objects: how many keys the page
    // returned in Contents. last_page: the listing (of this range) is
    // complete. order: a split-off range's own record of its last common
    // prefix for the order check (nullptr: the node's first range).
    std::error_code on_discovery_page(std::string_view prefix,
                                      const std::vector<std::string>& common_prefixes, std::size_t objects,
                                      bool last_page, diagnostics& diag, std::string* order = nullptr);
    // Another range of an outstanding node is being listed (a split):
    // false (nothing changes) while the node may still turn out to be a
    // level that does not count (it holds back its only child so far).
    bool split_node(std::string_view prefix);
    // The task's listing failed for good: it goes back to the pending set to
    // be listed again from the start; children already seen are not repeated.
    // Not for a split node (errc::invalid_argument).
    std::error_code on_discovery_failed(std::string_view prefix);

    std::optional<leaf> next_leaf();

    bool done() const { return pending_.empty() && outstanding_.empty() && ready_.empty(); }
    std::size_t pending_tasks() const { return pending_.size(); }
    std::size_t outstanding_tasks() const { return outstanding_.size(); }
    std::size_t ready_leaves() const { return ready_.size(); }
    std::uint64_t leaves_dropped() const { return dropped_; }

private:
    struct node {
        int depth = 0;
        int free_levels = 0;  // levels above that did not count (single child, no object)
        bool objects_seen = false;
        bool replaying = false;  // relisting after a failure: skip children <= last_child
        std::size_t children = 0;
        int ranges = 1;  // being listed (split_node adds one)
        bool split = false;
        bool judged = false;  // wide_enough: looked at, stays a node
        std::string last_child;
        std::string held;  // the first child, held until the node is known not to be a free level
    };
    void add_leaf(std::string prefix, std::string delimiter);
    void add_range(leaf l);
    void add_child(std::string prefix, int depth, int free_levels);
    bool leaf_available() const;
    bool spreading() const;

    std::string bucket_;
    fanout_options opt_;
    std::map<std::string, node, key_order> pending_;
    std::map<std::string, node, key_order> outstanding_;
    std::map<std::string, leaf, key_order> ready_;
    // opt_.spread: the same keys, for the order they are taken in; pending
    // nodes by depth (shallowest first: the tree's upper levels are known
    // before its lower ones are listed).
    spread_set ready_spread_;
    std::map<int, spread_set> pending_spread_;
    // wide_enough: the new nodes of the shallowest pending depth, once no
    // node at that depth or above is being listed (so all of them are
    // known), become leaves when there are enough of them. false: not yet
    // (wait for the listings).
    bool judge_width();
    std::map<int, std::size_t> unjudged_;  // pending nodes not judged yet, by depth (depth 0 is never judged)
    // The journal's claims in this bucket: (prefix, delimiter) → ranges done.
    std::map<std::pair<std::string, std::string>, done_ranges> resume_;
    std::uint64_t dropped_ = 0;
};

}  // namespace s3merge::engine
