#include "s3merge/engine/fanout.hpp"

#include <algorithm>
#include <iterator>
#include <utility>

namespace s3merge::engine {

namespace {
constexpr char delimiter = '/';

// a <= b as range ends, "" being the largest (no bound).
bool end_le(const std::string& a, const std::string& b) {
    if (b.empty()) return true;
    if (a.empty()) return false;
    return !key_less(b, a);
}
}  // namespace

bool covers(const done_ranges& done, std::string_view key) {
    // The last range starting before the key.
    auto it = std::partition_point(done.begin(), done.end(),
                                   [&](const key_interval& r) { return key_less(r.from, key); });
    return it != done.begin() && std::prev(it)->holds(key);
}

done_ranges claims_of(const std::vector<leaf_state>& records) {
    done_ranges v;
    for (const auto& r : records) {
        std::string upto = r.complete ? r.to : r.watermark;
        if (!r.complete && (upto.empty() || !key_less(r.from, upto))) continue;  // claims nothing
        if (r.complete && !r.to.empty() && !key_less(r.from, r.to)) continue;
        v.push_back({r.from, std::move(upto)});
    }
    std::sort(v.begin(), v.end(),
              [](const key_interval& a, const key_interval& b) { return key_less(a.from, b.from); });
    done_ranges merged;
    for (auto& r : v) {
        if (!merged.empty()) {
            auto& last = merged.back();
            if (last.to.empty()) break;  // it has no end: it holds all the rest
            // (a, b] and (c, d] with c <= b are one range (a, max(b, d)].
            if (!key_less(last.to, r.from)) {
                if (!end_le(r.to, last.to)) last.to = std::move(r.to);
                continue;
            }
        }
        merged.push_back(std::move(r));
    }
    return merged;
}

std::vector<std::string> discovery_path(std::string_view prefix, std::string_view first_key,
                                        std::size_t max) {
    std::vector<std::string> path;
    if (max == 0 || first_key.empty() || !first_key.starts_with(prefix)) return path;
    path.emplace_back(prefix);
    // A sub-prefix is the key up to and including a '/' after the prefix.
    for (auto slash = first_key.find(delimiter, prefix.size());
         slash != std::string_view::npos && path.size() < max; slash = first_key.find(delimiter, slash + 1))
        path.emplace_back(first_key.substr(0, slash + 1));
    return path;
}

fanout_planner::fanout_planner(std::string bucket, std::string prefix, fanout_options opt)
    : bucket_(std::move(bucket)), opt_(opt) {
    if (opt_.max_ready_leaves == 0) opt_.max_ready_leaves = 1;
    if (opt_.max_depth <= 0) {
        add_leaf(std::move(prefix), "");
    } else {
        if (spreading()) pending_spread_[0].insert(prefix);
        node root;
        root.judged = true;  // a start is never a leaf of a wide level
        pending_.emplace(std::move(prefix), std::move(root));
    }
}

void fanout_planner::resume(const std::vector<leaf_state>& journal_leaves) {
    std::map<std::pair<std::string, std::string>, std::vector<leaf_state>> records;
    for (const auto& l : journal_leaves)
        if (l.bucket == bucket_) records[{l.prefix, l.delimiter}].push_back(l);
    for (const auto& [id, recs] : records) resume_[id] = claims_of(recs);
    // A leaf known before resume() (max_depth 0) is re-evaluated.
    std::map<std::string, leaf, key_order> known;
    known.swap(ready_);
    ready_spread_ = spread_set();
    for (auto& [p, l] : known) add_leaf(std::move(l.prefix), std::move(l.delimiter));
}

void fanout_planner::add_leaf(std::string prefix, std::string delim) {
    auto it = resume_.find({prefix, delim});
    if (it == resume_.end() || it->second.empty()) {
        add_range(leaf{bucket_, std::move(prefix), std::move(delim), {}, {}, {}});
        return;
    }
    // The ranges no record claims: (c, from] before each claim, (c, ∞) after.
    std::string c;
    bool any = false;
    for (const auto& done : it->second) {
        if (key_less(c, done.from)) {
            add_range(leaf{bucket_, prefix, delim, c, c, done.from});
            any = true;
        }
        c = done.to;
        if (c.empty()) break;
    }
    if (!c.empty()) {
        add_range(leaf{bucket_, prefix, delim, c, c, {}});
        any = true;
    }
    if (!any) ++dropped_;
}

void fanout_planner::add_range(leaf l) {
    // Ranges of one leaf are told apart by where they start.
    std::string key = l.from.empty() ? l.prefix : l.from;
    if (ready_.emplace(key, std::move(l)).second && spreading()) ready_spread_.insert(std::move(key));
}

bool fanout_planner::spreading() const {
    return opt_.spread && !opt_.ordered_leaves;
}

bool fanout_planner::leaf_available() const {
    if (ready_.empty()) return false;
    if (!opt_.ordered_leaves) return true;
    // Every leaf a pending or outstanding node can still produce starts with
    // that node's prefix, so it is >= the prefix.
    const std::string& smallest = ready_.begin()->first;
    if (!pending_.empty() && !key_less(smallest, pending_.begin()->first)) return false;
    if (!outstanding_.empty() && !key_less(smallest, outstanding_.begin()->first)) return false;
    return true;
}

std::optional<discovery_task> fanout_planner::next_task() {
    if (pending_.empty()) return std::nullopt;
    // Back-pressure: let the caller drain leaves first (unless none can be
    // taken, which would stall).
    if (ready_.size() >= opt_.max_ready_leaves && leaf_available()) return std::nullopt;
    // Smallest first: discovery proceeds depth-first in key order, which
    // keeps the frontier small and lets ordered leaves flow early. Spread:
    // over the key space while the frontier is small.
    if (!judge_width()) return std::nullopt;
    if (pending_.empty()) return std::nullopt;  // a wide level became leaves
    auto pick = pending_.begin();
    if (spreading()) {
        if (pending_.size() < opt_.max_ready_leaves && !pending_spread_.empty()) {
            auto level = pending_spread_.begin();
            pick = pending_.find(*level->second.take());
            if (level->second.empty()) pending_spread_.erase(level);
        } else {
            auto level = pending_spread_.find(pick->second.depth);
            if (level != pending_spread_.end()) {
                level->second.erase(pick->first);
                if (level->second.empty()) pending_spread_.erase(level);
            }
        }
    }
    auto nh = pending_.extract(pick);
    if (spreading() && !nh.mapped().judged) {
        nh.mapped().judged = true;  // taken (past the frontier bound): a node now
        --unjudged_[nh.mapped().depth];
    }
    discovery_task t{nh.key(), nh.mapped().depth, {}, false};
    if (!opt_.direct_leaves) {
        auto it = resume_.find({t.prefix, std::string(1, delimiter)});
        if (it != resume_.end()) {
            t.objects_done_ranges = it->second;
            const auto& d = t.objects_done_ranges;
            t.objects_done = d.size() == 1 && d[0].from.empty() && d[0].to.empty();
        }
    }
    outstanding_.insert(std::move(nh));
    return t;
}

bool fanout_planner::judge_width() {
    if (!spreading() || !opt_.wide_enough || pending_.size() >= opt_.max_ready_leaves ||
        pending_spread_.empty())
        return true;
    const int d = pending_spread_.begin()->first;
    if (d == 0) return true;
    const std::size_t fresh = unjudged_[d];
    if (fresh == 0) return true;
    // A node being listed at this depth or above may still add nodes here
    // (a level that does not count keeps its parent's depth).
    for (const auto& [p, n] : outstanding_)
        if (n.depth <= d) return false;
    const bool wide = fresh + ready_.size() >= opt_.wide_enough;
    auto& level = pending_spread_.begin()->second;
    for (auto it = pending_.begin(); it != pending_.end();) {
        node& n = it->second;
        if (n.depth != d || n.judged) {
            ++it;
            continue;
        }
        if (!wide || n.replaying || n.children != 0) {
            n.judged = true;
            ++it;
            continue;
        }
        // The leaf of everything under it.
        level.erase(it->first);
        std::string p = it->first;
        it = pending_.erase(it);
        add_leaf(std::move(p), "");
    }
    unjudged_[d] = 0;
    if (level.empty()) pending_spread_.erase(pending_spread_.begin());
    return true;
}

void fanout_planner::add_child(std::string prefix, int depth, int free_levels) {
    if (depth < opt_.max_depth) {
        node child;
        child.depth = depth;
        child.free_levels = free_levels;
        if (pending_.emplace(prefix, std::move(child)).second && spreading()) {
            ++unjudged_[depth];
            pending_spread_[depth].insert(std::move(prefix));
        }
    } else {
        add_leaf(std::move(prefix), "");
    }
}

bool fanout_planner::split_node(std::string_view prefix) {
    auto it = outstanding_.find(std::string(prefix));
    if (it == outstanding_.end() || !it->second.held.empty()) return false;
    ++it->second.ranges;
    it->second.split = true;
    return true;
}

std::error_code fanout_planner::on_discovery_page(std::string_view prefix,
                                                  const std::vector<std::string>& common_prefixes,
                                                  std::size_t objects, bool last_page, diagnostics& diag,
                                                  std::string* order) {
    auto it = outstanding_.find(std::string(prefix));
    if (it == outstanding_.end()) {
        diag.operation = "fan-out";
        diag.detail = "page for a discovery task that is not outstanding: '" + std::string(prefix) + "'";
        return errc::invalid_argument;
    }
    node& n = it->second;
    // Validate the page before changing anything.
    std::string_view last = order ? std::string_view(*order) : std::string_view(n.last_child);
    bool replaying = !order && n.replaying;
    for (const auto& cp : common_prefixes) {
        if (replaying && !last.empty() && !key_less(last, cp)) continue;
        replaying = false;
        bool ok = cp.size() > prefix.size() && cp.starts_with(prefix) && cp.back() == delimiter &&
                  cp.find(delimiter, prefix.size()) == cp.size() - 1 && (last.empty() || key_less(last, cp));
        if (!ok) {
            diag.operation = "ListObjectsV2";
            diag.bucket = bucket_;
            diag.key = cp;
            diag.detail = "unexpected common prefix under '" + std::string(prefix) + "' after '" +
                          std::string(last) + "'";
            return errc::malformed_response;
        }
        last = cp;
    }
    const bool may_be_free = n.free_levels < opt_.max_free_levels;
    for (const auto& cp : common_prefixes) {
        if (order) {
            *order = cp;
        } else {
            if (n.replaying && !n.last_child.empty() && !key_less(n.last_child, cp)) continue;
            n.replaying = false;
            n.last_child = cp;
        }
        ++n.children;
        if (n.children == 1 && may_be_free && !n.objects_seen && objects == 0) {
            n.held = cp;  // a free level if nothing else turns up
            continue;
        }
        if (!n.held.empty()) add_child(std::exchange(n.held, {}), n.depth + 1, n.free_levels);
        add_child(cp, n.depth + 1, n.free_levels);
    }
    if (objects > 0) {
        n.objects_seen = true;
        if (!n.held.empty()) add_child(std::exchange(n.held, {}), n.depth + 1, n.free_levels);
    }
    if (last_page && --n.ranges == 0) {
        if (!n.held.empty()) add_child(std::exchange(n.held, {}), n.depth, n.free_levels + 1);
        bool direct = n.objects_seen && opt_.direct_leaves;
        std::string p = it->first;
        outstanding_.erase(it);
        if (direct) add_leaf(std::move(p), std::string(1, delimiter));
    }
    return {};
}

std::error_code fanout_planner::on_discovery_failed(std::string_view prefix) {
    auto it = outstanding_.find(std::string(prefix));
    // A split node's children came from several ranges: it cannot be
    // replayed from its start (its source's listing ends instead).
    if (it == outstanding_.end() || it->second.split) return errc::invalid_argument;
    auto nh = outstanding_.extract(it);
    nh.mapped().replaying = true;
    if (spreading()) pending_spread_[nh.mapped().depth].insert(nh.key());
    pending_.insert(std::move(nh));
    return {};
}

std::optional<leaf> fanout_planner::next_leaf() {
    judge_width();  // a wide level's nodes become leaves here (taken first)
    if (!leaf_available()) return std::nullopt;
    if (!spreading()) return std::move(ready_.extract(ready_.begin()).mapped());
    // Discovery first while leaves may wait: the more of the tree is known,
    // the wider the leaves spread. next_task() never holds back then.
    if (!pending_.empty() && ready_.size() < opt_.max_ready_leaves) return std::nullopt;
    auto key = ready_spread_.take();
    return std::move(ready_.extract(*key).mapped());
}

}  // namespace s3merge::engine
