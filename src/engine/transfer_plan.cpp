// The rules of a transfer. See include/s3merge/engine/transfer_plan.hpp.
#include "s3merge/engine/transfer_plan.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "s3merge/ascii.hpp"
#include "s3merge/retry.hpp"

namespace s3merge::engine {

bool is_archived(std::string_view sc) {
    return sc == "GLACIER" || sc == "DEEP_ARCHIVE";
}

transfer_plan::transfer_plan(plan_options o, report& rep)
    : opt_(std::move(o)), rep_(rep), rate_(opt_.rate), batches_(opt_.source_buckets.size()) {
    if (opt_.verify) opt_.dry_run = true;
    if (opt_.dry_run) opt_.move = false;
    if (opt_.delete_batch == 0) opt_.delete_batch = 1;
    if (rep_.sources.size() < opt_.source_buckets.size()) rep_.sources.resize(opt_.source_buckets.size());
    if (rep_.details.size() < opt_.source_buckets.size()) rep_.details.resize(opt_.source_buckets.size());
    for (std::size_t i = 0; i < opt_.source_buckets.size(); ++i) {
        source_state st;
        st.planner = std::make_unique<fanout_planner>(
            opt_.source_buckets[i], i < opt_.source_prefixes.size() ? opt_.source_prefixes[i] : std::string(),
            opt_.fanout);
        sources_.push_back(std::move(st));
    }
}

resume_counts transfer_plan::resume(const std::vector<leaf_state>& journal_leaves) {
    resume_counts n;
    for (auto& s : sources_) s.planner->resume(journal_leaves);  // each takes its bucket's entries
    std::map<std::tuple<std::string, std::string, std::string>, std::vector<leaf_state>> by_leaf;
    for (const auto& l : journal_leaves) {
        ++(l.complete ? n.complete : n.resumed);
        by_leaf[{l.bucket, l.prefix, l.delimiter}].push_back(l);
    }
    // A later journal must still claim what this one did: one complete
    // record per range of keys done (the leaves listed now claim the rest).
    for (const auto& [id, records] : by_leaf)
        for (auto& r : claims_of(records)) {
            leaf_state st;
            st.bucket = std::get<0>(id);
            st.prefix = std::get<1>(id);
            st.delimiter = std::get<2>(id);
            st.watermark = r.to;
            st.complete = true;
            st.from = std::move(r.from);
            st.to = std::move(r.to);
            finished_.push_back(std::move(st));
        }
    return n;
}

std::optional<listing_order> transfer_plan::next_listing() {
    if (stopping_) return std::nullopt;
    for (std::size_t n = 0; n < sources_.size(); ++n) {
        const std::size_t i = (next_source_ + n) % sources_.size();
        auto& s = sources_[i];
        if (s.failed) continue;
        listing_order o;
        o.source = i;
        done_ranges done;
        if (auto l = s.planner->next_leaf()) {
            o.spec = std::move(*l);
        } else if (auto t = s.planner->next_task()) {
            // A node: listed with '/', its sub-prefixes go to the planner
            // and its own objects through this leaf.
            o.spec = leaf{opt_.source_buckets[i], t->prefix, "/", {}, {}, {}};
            o.node = true;
            o.objects_done = t->objects_done;
            done = std::move(t->objects_done_ranges);
        } else {
            continue;
        }
        o.id = open_leaf(i, o.spec, o.node, o.objects_done, std::move(done));
        next_source_ = i + 1;
        return o;
    }
    return opt_.split_ranges ? split() : std::nullopt;
}

void transfer_plan::clip_page(leaf_id id, s3::list_objects_v2_result& page) {
    auto& l = entry(id);
    const std::string& to = l.spec.to;
    if (!to.empty()) {
        auto past = [&](const std::string& k) { return key_less(to, k); };
        auto before = page.objects.size() + page.common_prefixes.size();
        std::erase_if(page.objects, [&](const s3::object_entry& o) { return past(o.key); });
        std::erase_if(page.common_prefixes, past);
        if (page.objects.size() + page.common_prefixes.size() < before) page.is_truncated = false;
    }
    // The last entry of the page in listing order: its largest key or prefix.
    const std::string* last = nullptr;
    if (!page.objects.empty()) last = &page.objects.back().key;
    if (!page.common_prefixes.empty() && (!last || key_less(*last, page.common_prefixes.back())))
        last = &page.common_prefixes.back();
    if (last) {
        l.position = *last;
        if (l.range_entries == 0) {
            const std::string* head = page.objects.empty() ? nullptr : &page.objects.front().key;
            if (!page.common_prefixes.empty() && (!head || key_less(page.common_prefixes.front(), *head)))
                head = &page.common_prefixes.front();
            l.first = *head;
        }
        l.range_entries += page.objects.size() + page.common_prefixes.size();
        ++l.range_pages;
        // Bytes after the prefix: the first and last entries and a sample
        // between (keys in one page share most of their bytes).
        const std::size_t skip = l.spec.prefix.size();
        auto see = [&](std::string_view k) { l.alphabet.see(k.substr(std::min(skip, k.size()))); };
        for (std::size_t i = 0; i < page.objects.size(); i += 1 + page.objects.size() / 16)
            see(page.objects[i].key);
        for (std::size_t i = 0; i < page.common_prefixes.size(); i += 1 + page.common_prefixes.size() / 16)
            see(page.common_prefixes[i]);
        see(*last);
    }
    l.more = page.is_truncated && last;
    l.rest.reset();
    split_stale_ = true;
}

std::optional<listing_order> transfer_plan::split() {
    if (!split_stale_) return std::nullopt;
    // The range with the most entries still to list (as dense as what it
    // listed so far) gives up its upper half. One that two more pages
    // finish is left alone: a split costs a request and the part of a page
    // that runs past the split point, and gains less than a round trip.
    leaf_entry* best = nullptr;
    for (auto& [id, l] : leaves_) {
        if (!l.more || l.listing_done || l.frozen || sources_[l.source].failed) continue;
        if (!l.rest)
            l.rest =
                estimate_rest(l.spec.prefix, l.first, l.position, l.spec.to, l.alphabet, l.range_entries);
        const double page = static_cast<double>(l.range_entries) / static_cast<double>(l.range_pages);
        if (*l.rest < 2 * page) continue;
        if (!best || *l.rest > *best->rest) best = &l;
    }
    if (!best) {
        split_stale_ = false;
        return std::nullopt;
    }
    auto& l = *best;
    const bool delimited = l.spec.delimiter == "/";
    auto m = split_key(l.spec.prefix, l.position, l.spec.to, l.alphabet, delimited);
    if (m && l.node && !sources_[l.source].planner->split_node(l.spec.prefix)) m.reset();
    if (!m) {
        l.more = false;  // not again until its next page
        return split();
    }
    listing_order o;
    o.source = l.source;
    o.node = l.node;
    o.objects_done = l.objects_done;
    o.spec = leaf{l.spec.bucket, l.spec.prefix, l.spec.delimiter, *m, *m, l.spec.to};
    l.spec.to = *m;
    l.rest.reset();
    o.id = open_leaf(l.source, o.spec, o.node, o.objects_done, l.done);
    ++splits_;
    return o;
}

bool transfer_plan::ranged(std::size_t source) const {
    return source < opt_.source_ranges.size() && !opt_.source_ranges[source].empty();
}

bool transfer_plan::lists_sub_prefix(std::size_t source, std::string_view prefix) const {
    // A key range (CloudTrail --from-date/--to-date): sub-prefixes wholly
    // outside it are never listed.
    if (ranged(source) && !opt_.source_ranges[source].meets_prefix(prefix)) return false;
    // A sharded job: nor are those wholly of other shards.
    if (!opt_.shard.active()) return true;
    std::string_view rel = prefix;
    if (source < opt_.source_prefixes.size())
        rel.remove_prefix(std::min(rel.size(), opt_.source_prefixes[source].size()));
    return shard_may_own(rel, opt_.shard_depth(source), opt_.shard);
}

std::error_code transfer_plan::on_node_page(leaf_id id, const std::vector<std::string>& common_prefixes,
                                            std::vector<s3::object_entry>& objects, bool last_page,
                                            diagnostics& diag) {
    auto& l = entry(id);
    const bool filtered = ranged(l.source) || opt_.shard.active();
    std::vector<std::string> kept;
    if (filtered)
        for (const auto& p : common_prefixes)
            if (lists_sub_prefix(l.source, p)) kept.push_back(p);
    auto ec = sources_[l.source].planner->on_discovery_page(l.spec.prefix, filtered ? kept : common_prefixes,
                                                            objects.size(), last_page, diag,
                                                            l.split_child() ? &l.order : nullptr);
    // A node is listed from its start (its sub-prefixes are all needed); its
    // own objects the journal claims are done are dropped here.
    if (l.objects_done)
        objects.clear();
    else if (!l.done.empty())
        std::erase_if(objects, [&](const s3::object_entry& o) { return covers(l.done, o.key); });
    return ec;
}

bool transfer_plan::listing_finished() const {
    for (const auto& s : sources_)
        if (!s.failed && !s.planner->done()) return false;
    return true;
}

void transfer_plan::on_tick(std::chrono::steady_clock::time_point now) {
    // Partial delete batches go out a tick after they start.
    flush_deletes();
    if (!last_journal_) last_journal_ = now;
    if (!last_progress_) last_progress_ = now;
    if (opt_.journal_interval.count() > 0 && now - *last_journal_ >= opt_.journal_interval) {
        steps_.push_back(plan_step::of(step_kind::save_journal));
        last_journal_ = now;
    }
    if (opt_.progress_interval.count() > 0 && now - *last_progress_ >= opt_.progress_interval) {
        steps_.push_back(plan_step::of(step_kind::progress));
        last_progress_ = now;
    }
}

void transfer_plan::set_collisions(std::unordered_map<std::string, std::string> messages) {
    collisions_ = std::move(messages);
}

void transfer_plan::set_shared_keys(std::unordered_map<std::string, std::string> etags) {
    shared_ = std::move(etags);
}

leaf_id transfer_plan::open_leaf(std::size_t source, leaf spec, bool node, bool objects_done,
                                 done_ranges done) {
    leaf_id id = next_id_++;
    auto& l = leaves_[id];
    l.source = source;
    // A node's range lists from its start; a leaf's from its start_after.
    l.wm = watermark_tracker(node ? spec.from : spec.start_after);
    l.spec = std::move(spec);
    l.node = node;
    l.objects_done = objects_done;
    l.done = std::move(done);
    return id;
}

transfer_plan::leaf_entry& transfer_plan::entry(leaf_id id) {
    return leaves_.at(id);  // an unknown id is a driver bug
}

std::size_t transfer_plan::window(leaf_id id) const {
    auto it = leaves_.find(id);
    return it == leaves_.end() ? 0 : it->second.wm.window();
}

std::optional<std::string> transfer_plan::journal_watermark(leaf_id id) const {
    auto it = leaves_.find(id);
    if (it == leaves_.end()) return std::nullopt;
    return it->second.watermark();
}

std::size_t transfer_plan::queued_deletes() const {
    std::size_t n = 0;
    for (const auto& b : batches_) n += b.size();
    return n;
}

std::optional<object_ticket> transfer_plan::on_decision(leaf_id id, decision d) {
    auto& l = entry(id);
    const std::size_t si = l.source;
    counters listed;
    listed.listed = 1;
    rep_.count(si, listed);
    rep_.details[si].bytes_listed += d.source.size;
    std::uint64_t seq = watermark_tracker::no_seq;
    if (auto ec = l.wm.listed(d.source.key, &seq); ec) {
        // Listing order is checked by the merge-join already; a repeat here
        // would be a bug: counted as a failure, the object is not acted on.
        diagnostics diag;
        diag.operation = "ListObjectsV2";
        diag.bucket = opt_.source_buckets[si];
        diag.key = d.source.key;
        diag.detail = "listed out of order";
        count_failure(si, make_failure(diag, ec), ec, diag);
        if (!l.frozen) l.frozen = l.wm.watermark();
        return std::nullopt;
    }
    ++l.pending;
    ++unfinished_;
    // Two sources onto one destination key: with other content (found
    // before the run), or with the content planned but this source changed
    // since (its copy would replace what the other source's move relies on).
    std::string collision;
    if (auto it = collisions_.empty() ? collisions_.end() : collisions_.find(d.dest_key);
        it != collisions_.end()) {
        collision = it->second;
    } else if (auto sh = shared_.empty() ? shared_.end() : shared_.find(d.dest_key);
               sh != shared_.end() && !iequals(sh->second, d.source.etag)) {
        collision = "s3://" + opt_.destination_bucket + "/" + d.dest_key +
                    " is written by two or more sources that held the same content (ETag " + sh->second +
                    ") when the run began; this one changed since (ETag now " + d.source.etag +
                    "): not copied, not deleted; give each --source its own destination prefix";
    }
    if (!collision.empty()) {
        ++rep_.details[si].collisions;
        diagnostics diag;
        diag.operation = "Plan";
        diag.bucket = opt_.source_buckets[si];
        diag.key = d.source.key;
        diag.s3_code = "KeyCollision";
        diag.message = std::move(collision);
        fail(id, l, d.source.key, "Plan", make_error_code(errc::invalid_argument), diag, false);
        return std::nullopt;
    }
    const bool archived = is_archived(d.source.storage_class);
    // A verification of an object whose identity the listing cannot tell
    // reads both sides' checksums (work); a plan only counts it.
    if (opt_.dry_run && !(opt_.verify && d.what == action::check && !archived)) {
        dry_run(id, l, d);
        return std::nullopt;
    }
    if (archived && d.what != action::skip) {
        if (opt_.glacier_fail) {
            diagnostics diag;
            diag.operation = "CopyObject";
            diag.bucket = opt_.source_buckets[si];
            diag.key = d.source.key;
            diag.s3_code = "InvalidObjectState";
            diag.message =
                "object is in " + d.source.storage_class + " and needs a restore before it can be copied";
            fail(id, l, d.source.key, "CopyObject", make_error_code(errc::invalid_object_state), diag, false);
        } else {
            ++rep_.glacier_skipped;
            done(id, l, d.source.key);
        }
        return std::nullopt;
    }
    // Skipped only when identical on evidence (compare_objects): then a move
    // deletes the source, with the listed ETag as the condition.
    if (d.what == action::skip) {
        counters sd;
        sd.skipped = 1;
        rep_.count(si, sd);
        confirm(id, l, d.source.key, d.source.etag, false, {}, seq);
        return std::nullopt;
    }
    // Made in place in the answer (the decision moved once, into it).
    std::optional<object_ticket> work(std::in_place);
    work->leaf = id;
    work->source = si;
    work->d = std::move(d);
    work->seq = seq;
    return work;
}

void transfer_plan::dry_run(leaf_id id, leaf_entry& l, const decision& d) {
    const std::size_t si = l.source;
    auto& det = rep_.details[si];
    if (d.what == action::skip) {
        counters sd;
        sd.skipped = 1;
        rep_.count(si, sd);
        done(id, l, d.source.key);
        return;
    }
    const bool missing = d.what == action::copy;
    const bool archived = is_archived(d.source.storage_class);
    if (archived) {
        ++det.archived;
        if (!opt_.verify) ++rep_.glacier_skipped;
    } else {
        ++det.to_copy;
        det.bytes_to_copy += d.source.size;
    }
    if (opt_.would_copy && !opt_.verify) opt_.would_copy(si, d.source, archived);
    ++(missing ? det.missing : det.different);
    if (d.why == reason::unverifiable) ++det.unverifiable;
    if (!opt_.verify) {
        done(id, l, d.source.key);
        return;
    }
    diagnostics diag;
    diag.operation = "Verify";
    diag.bucket = opt_.source_buckets[si];
    diag.key = d.source.key;
    if (missing) {
        diag.s3_code = "Missing";
        diag.message = "not at s3://" + opt_.destination_bucket + "/" + d.dest_key;
    } else {
        diag.s3_code = d.why == reason::size_differs ? "SizeDiffers" : "ETagDiffers";
        diag.message =
            std::string(to_string(d.why)) + " at s3://" + opt_.destination_bucket + "/" + d.dest_key;
    }
    if (archived) diag.message += " (the source is in " + d.source.storage_class + ": restore it to copy it)";
    fail(id, l, d.source.key, "Verify", make_error_code(errc::s3_error), diag, false);
}

bool transfer_plan::on_checked(const object_ticket& t, checksum_verdict v) {
    auto& l = entry(t.leaf);
    const std::size_t si = l.source;
    auto& det = rep_.details[si];
    const decision& d = t.d;
    if (v == checksum_verdict::identical) {
        counters sd;
        sd.skipped = 1;
        rep_.count(si, sd);
        if (opt_.verify)
            done(t.leaf, l, d.source.key, t.seq);
        else
            confirm(t.leaf, l, d.source.key, d.source.etag, false, {}, t.seq);
        return false;
    }
    ++det.unverifiable;
    if (!opt_.verify) return true;  // not identical on evidence: copied again
    // Not identical on evidence: "different", as a plan counts it.
    ++det.different;
    diagnostics diag;
    diag.operation = "Verify";
    diag.bucket = opt_.source_buckets[si];
    diag.key = d.source.key;
    diag.s3_code = v == checksum_verdict::different ? "ChecksumDiffers" : "Unverifiable";
    diag.message = v == checksum_verdict::different
                       ? "full-object checksum differs at s3://" + opt_.destination_bucket + "/" + d.dest_key
                       : "same size at s3://" + opt_.destination_bucket + "/" + d.dest_key +
                             ", but the ETags (" + d.source.etag +
                             ") cannot prove the same content and neither side has a full-object checksum: "
                             "copy it again (s3merge copy) to make it provable";
    fail(t.leaf, l, d.source.key, "Verify", make_error_code(errc::s3_error), diag, false);
    return false;
}

void transfer_plan::on_copied(const object_ticket& t, copy_outcome&& out) {
    auto& l = entry(t.leaf);
    const decision& d = t.d;
    if (out.ec) {
        if (out.ec == errc::precondition_failed) {
            out.diag.s3_code = "SourceChanged";
            out.diag.message = "the source changed after it was listed (ETag no longer " + d.source.etag +
                               "): not copied, not deleted; re-run to copy its new content";
        }
        fail(t.leaf, l, d.source.key, out.operation, out.ec, out.diag);
        return;
    }
    counters delta;
    delta.copied = 1;
    delta.bytes_copied = d.source.size;
    rep_.count(l.source, delta);
    const int before = rate_.limit();
    rate_.on_success();
    if (rate_.limit() != before)
        steps_.push_back(plan_step::of(step_kind::set_limit, static_cast<std::size_t>(rate_.limit())));
    confirm(t.leaf, l, d.source.key, d.source.etag, true, std::move(out.source_version_id), t.seq);
}

void transfer_plan::confirm(leaf_id id, leaf_entry& l, const std::string& key, const std::string& etag,
                            bool copied, std::string version_id, std::uint64_t seq) {
    if (!opt_.move) {
        done(id, l, key, seq);
        return;
    }
    if (etag.empty()) {
        // Nothing ties a delete to the content that was copied (a server
        // that sends no ETags): the copy stands, the source is kept.
        counters undo;
        (copied ? undo.copied : undo.skipped) = 1;
        rep_.uncount(l.source, undo);
        diagnostics diag;
        diag.operation = "DeleteObjects";
        diag.bucket = opt_.source_buckets[l.source];
        diag.key = key;
        diag.s3_code = "NoETag";
        diag.message =
            "the server gave the source no ETag, so its delete cannot be tied to the content that was "
            "copied: copied, kept at the source (delete it yourself once checked)";
        fail(id, l, key, "DeleteObjects", make_error_code(errc::precondition_failed), diag, false);
        return;
    }
    auto& batch = batches_[l.source];
    batch.push_back({id, key, etag, std::move(version_id), copied, seq});
    if (batch.size() >= opt_.delete_batch) {
        plan_step s;
        s.kind = step_kind::delete_batch;
        s.source = l.source;
        s.batch.swap(batch);
        steps_.push_back(std::move(s));
    }
}

void transfer_plan::flush_deletes() {
    for (std::size_t i = 0; i < batches_.size(); ++i) {
        if (batches_[i].empty()) continue;
        plan_step s;
        s.kind = step_kind::delete_batch;
        s.source = i;
        s.batch.swap(batches_[i]);
        steps_.push_back(std::move(s));
    }
}

std::optional<delete_outcome> transfer_plan::before_delete(const delete_item& item, std::error_code head_ec,
                                                           std::string_view head_etag,
                                                           std::string_view head_version,
                                                           diagnostics diag) const {
    delete_outcome out;
    out.operation = "DeleteObjects";
    if (head_ec == errc::not_found || head_ec == errc::no_such_key) {
        out.already_gone = true;
        return out;
    }
    if (head_ec) {
        out.ec = head_ec;
        out.diag = std::move(diag);
        return out;
    }
    const bool same_version =
        item.version_id.empty() || head_version.empty() || head_version == item.version_id;
    if (same_version && iequals(head_etag, item.etag)) return std::nullopt;
    out.diag = std::move(diag);
    if (auto it = leaves_.find(item.leaf); it != leaves_.end() && out.diag.bucket.empty())
        out.diag.bucket = opt_.source_buckets[it->second.source];
    out.diag.operation = "HeadObject";
    out.diag.key = item.key;
    out.diag.s3_code = "SourceChanged";
    out.diag.message = "the source was overwritten after it was copied (ETag now " + std::string(head_etag) +
                       ", copied " + item.etag + "): kept; re-run to copy its new content";
    out.ec = make_error_code(errc::precondition_failed);
    return out;
}

void transfer_plan::on_deleted(std::size_t si, const delete_item& item, delete_outcome out) {
    auto& l = entry(item.leaf);
    if (!out.ec) {
        if (!out.already_gone) {
            counters delta;
            delta.deleted = 1;
            rep_.count(si, delta);
        }
        done(item.leaf, l, item.key, item.seq);
        return;
    }
    if (out.diag.s3_code == "PreconditionFailed" || out.ec == errc::precondition_failed) {
        out.ec = make_error_code(errc::precondition_failed);
        if (out.diag.s3_code != "SourceChanged") {
            out.diag.s3_code = "SourceChanged";
            out.diag.message =
                "the source was overwritten after it was copied: kept; re-run to copy its new content";
        }
    }
    if (!cut_short(out.ec)) {
        // Counted as copied or skipped, but the move of it failed: a failure only.
        counters undo;
        (item.copied ? undo.copied : undo.skipped) = 1;
        rep_.uncount(si, undo);
    }
    fail(item.leaf, l, item.key, out.operation, out.ec, out.diag);
}

void transfer_plan::on_listing_failed(leaf_id id, std::error_code ec, const diagnostics& diag) {
    auto& l = entry(id);
    const std::size_t si = l.source;
    // A node's sub-prefixes are unknown: no more listing of its source.
    if (l.node) sources_[si].failed = true;
    failure_record f;
    f.operation = diag.operation.empty() ? "ListObjectsV2" : diag.operation;
    f.bucket = diag.bucket.empty() ? opt_.source_buckets[si] : diag.bucket;
    f.key = diag.key;
    f.s3_code = diag.s3_code.empty() ? ec.message() : diag.s3_code;
    f.message = diag.message.empty() ? diag.detail : diag.message;
    f.attempts = static_cast<int>(diag.attempts);
    rep_.add_failure(si, std::move(f));  // counts it as failed
    steps_.push_back(plan_step::log(log_level::error, "listing_failed",
                                    "s3merge: listing failed: " + diag.to_string(), &diag));
}

void transfer_plan::on_listing_end(leaf_id id, bool failed) {
    auto& l = entry(id);
    l.listing_done = true;
    l.listing_failed = failed || stopping_;
    settle_leaf(id);
}

std::optional<leaf_id> transfer_plan::leaf_holding(std::size_t source, std::string_view key) const {
    for (const auto& [id, l] : leaves_) {
        if (l.source != source || !key.starts_with(l.spec.prefix)) continue;
        // A node's own leaf (delimiter '/') holds no key below a sub-prefix.
        if (!l.spec.delimiter.empty() &&
            key.substr(l.spec.prefix.size()).find(l.spec.delimiter) != std::string_view::npos)
            continue;
        if (key_interval{l.spec.from, l.spec.to}.holds(key)) return id;
    }
    return std::nullopt;
}

void transfer_plan::on_throttle(std::chrono::steady_clock::time_point now, std::optional<leaf_id> leaf) {
    if (!rate_.in_window(now)) throttled_leaves_.clear();
    double spread = 1.0;
    if (leaf) {
        if (std::find(throttled_leaves_.begin(), throttled_leaves_.end(), *leaf) == throttled_leaves_.end())
            throttled_leaves_.push_back(*leaf);
        std::size_t copying = 0;
        for (const auto& [id, l] : leaves_) copying += l.pending > 0 ? 1 : 0;
        spread = std::min(1.0, double(throttled_leaves_.size()) / double(std::max<std::size_t>(copying, 1)));
    }
    throttle_spread_ = spread;
    if (rate_.on_throttle(now, spread))
        steps_.push_back(plan_step::of(step_kind::set_limit, static_cast<std::size_t>(rate_.limit())));
}

void transfer_plan::stop(bool host_down) {
    stopping_ = true;
    host_down_ = host_down_ || host_down;
}

bool transfer_plan::cut_short(std::error_code ec) const {
    return stopping_ && (ec == errc::cancelled || host_down_);
}

std::optional<plan_step> transfer_plan::next() {
    if (steps_.empty()) return std::nullopt;
    plan_step s = std::move(steps_.front());
    steps_.pop_front();
    return s;
}

void transfer_plan::done(leaf_id id, leaf_entry& l, const std::string& key, std::uint64_t seq) {
    (void)l.wm.done(key, seq);
    --l.pending;
    --unfinished_;
    if (l.settled()) settle_leaf(id);  // forgets l (no second lookup per object otherwise)
}

void transfer_plan::count_failure(std::size_t si, failure_record f, std::error_code ec,
                                  const diagnostics& diag) {
    rep_.add_failure(si, std::move(f));  // counts it as failed
    if (is_transport_failure(ec)) ++rep_.network_failures;
    // One line per failure for the first ones; the report has them all.
    const auto failed = rep_.totals.failed;
    if (failed == opt_.max_logged_failures + 1) {
        steps_.push_back(
            plan_step::log(log_level::warning, "failures_not_logged",
                           "s3merge: more failures follow; they are not logged one by one" +
                               std::string(opt_.has_report_file ? " (see the report)"
                                                                : " (--report FILE.json lists them)")));
    }
    if (failed <= opt_.max_logged_failures) {
        auto line = "s3merge: failed: " + diag.to_string();
        auto hint = hint_for(ec, diag);
        if (!hint.empty()) line += " — " + hint;
        steps_.push_back(plan_step::log(log_level::error, "failure", std::move(line), &diag));
    }
}

void transfer_plan::fail(leaf_id id, leaf_entry& l, const std::string& key, std::string_view op,
                         std::error_code ec, const diagnostics& diag, bool io) {
    // The journal's watermark never passes a failed or unfinished key: a
    // re-run retries it.
    if (!l.frozen) l.frozen = l.wm.watermark();
    if (io && cut_short(ec)) {
        // Cut short by the stop (Ctrl-C, a host that is down): not a failure
        // of the object.
        done(id, l, key);
        return;
    }
    failure_record f;
    f.operation = std::string(op);
    f.bucket = diag.bucket.empty() ? opt_.source_buckets[l.source] : diag.bucket;
    f.key = diag.key.empty() ? key : diag.key;
    f.s3_code = diag.s3_code.empty() ? ec.message() : diag.s3_code;
    f.message = diag.message.empty() ? diag.detail : diag.message;
    f.attempts = static_cast<int>(diag.attempts);
    count_failure(l.source, std::move(f), ec, diag);
    done(id, l, key);
}

void transfer_plan::settle_leaf(leaf_id id) {
    auto it = leaves_.find(id);
    const auto& l = it->second;
    if (!l.settled()) return;
    // The leaf is settled: its journal record is kept (if it claims
    // anything), the rest forgotten.
    leaf_state st = record(l);
    if (st.complete || key_less(st.from, st.watermark)) finished_.push_back(std::move(st));
    leaves_.erase(it);
    split_stale_ = true;
}

leaf_state transfer_plan::record(const leaf_entry& l) const {
    leaf_state st;
    st.bucket = l.spec.bucket;
    st.prefix = l.spec.prefix;
    st.delimiter = l.spec.delimiter;
    st.watermark = l.watermark();
    st.complete = l.complete();
    st.from = l.spec.from;
    st.to = l.spec.to;
    return st;
}

std::vector<leaf_state> transfer_plan::journal_leaves() const {
    std::vector<leaf_state> out = finished_;
    for (const auto& [id, l] : leaves_) {
        leaf_state st = record(l);
        st.complete = false;
        // A leaf that claims nothing yet gains nothing from an entry.
        if (key_less(st.from, st.watermark)) out.push_back(std::move(st));
    }
    return out;
}

const char* level_name(log_level l) {
    switch (l) {
        case log_level::info:
            return "info";
        case log_level::warning:
            return "warning";
        case log_level::error:
            return "error";
    }
    return "info";
}

}  // namespace s3merge::engine
