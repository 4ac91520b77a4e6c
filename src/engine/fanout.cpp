#include "s3merge/engine/fanout.hpp"

#include <utility>

namespace s3merge::engine {

namespace {
constexpr char delimiter = '/';
}

fanout_planner::fanout_planner(std::string bucket, std::string prefix, fanout_options opt)
    : bucket_(std::move(bucket)), opt_(opt) {
    if (opt_.max_ready_leaves == 0) opt_.max_ready_leaves = 1;
    if (opt_.max_depth <= 0) {
        add_leaf(std::move(prefix), "");
    } else {
        if (spreading()) pending_spread_[0].insert(prefix);
        pending_.emplace(std::move(prefix), node{});
    }
}

void fanout_planner::resume(const std::vector<leaf_state>& journal_leaves) {
    for (const auto& l : journal_leaves)
        if (l.bucket == bucket_) resume_[{l.prefix, l.delimiter}] = {l.watermark, l.complete};
    // A leaf known before resume() (max_depth 0) is re-evaluated.
    std::map<std::string, leaf, key_order> known;
    known.swap(ready_);
    ready_spread_ = spread_set();
    for (auto& [p, l] : known) add_leaf(std::move(l.prefix), std::move(l.delimiter));
}

void fanout_planner::add_leaf(std::string prefix, std::string delim) {
    leaf l{bucket_, std::move(prefix), std::move(delim), {}};
    auto it = resume_.find({l.prefix, l.delimiter});
    if (it != resume_.end()) {
        if (it->second.second) {
            ++dropped_;
            return;
        }
        l.start_after = it->second.first;
    }
    std::string key = l.prefix;
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
    discovery_task t{nh.key(), nh.mapped().depth, {}, false};
    if (!opt_.direct_leaves) {
        auto it = resume_.find({t.prefix, std::string(1, delimiter)});
        if (it != resume_.end()) {
            t.objects_after = it->second.first;
            t.objects_done = it->second.second;
        }
    }
    outstanding_.insert(std::move(nh));
    return t;
}

void fanout_planner::add_child(std::string prefix, int depth, int free_levels) {
    if (depth < opt_.max_depth) {
        node child;
        child.depth = depth;
        child.free_levels = free_levels;
        if (pending_.emplace(prefix, std::move(child)).second && spreading())
            pending_spread_[depth].insert(std::move(prefix));
    } else {
        add_leaf(std::move(prefix), "");
    }
}

std::error_code fanout_planner::on_discovery_page(std::string_view prefix,
                                                  const std::vector<std::string>& common_prefixes,
                                                  std::size_t objects, bool last_page, diagnostics& diag) {
    auto it = outstanding_.find(std::string(prefix));
    if (it == outstanding_.end()) {
        diag.operation = "fan-out";
        diag.detail = "page for a discovery task that is not outstanding: '" + std::string(prefix) + "'";
        return errc::invalid_argument;
    }
    node& n = it->second;
    // Validate the page before changing anything.
    std::string_view last = n.last_child;
    bool replaying = n.replaying;
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
        if (n.replaying && !n.last_child.empty() && !key_less(n.last_child, cp)) continue;
        n.replaying = false;
        n.last_child = cp;
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
    if (last_page) {
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
    if (it == outstanding_.end()) return errc::invalid_argument;
    auto nh = outstanding_.extract(it);
    nh.mapped().replaying = true;
    if (spreading()) pending_spread_[nh.mapped().depth].insert(nh.key());
    pending_.insert(std::move(nh));
    return {};
}

std::optional<leaf> fanout_planner::next_leaf() {
    if (!leaf_available()) return std::nullopt;
    if (!spreading()) return std::move(ready_.extract(ready_.begin()).mapped());
    // Discovery first while leaves may wait: the more of the tree is known,
    // the wider the leaves spread. next_task() never holds back then.
    if (!pending_.empty() && ready_.size() < opt_.max_ready_leaves) return std::nullopt;
    auto key = ready_spread_.take();
    return std::move(ready_.extract(*key).mapped());
}

}  // namespace s3merge::engine
