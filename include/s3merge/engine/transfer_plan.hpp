// The rules of a transfer as one sans-io state machine: what is copied, what
// is skipped, what a move may delete, what counts as a failure, and how far
// the journal's watermark of each listing leaf may advance.
//
// The driver (engine_io/transfer*.cpp) lists, copies, reads checksums and
// deletes; this machine decides. It is fed events and answers with what to
// do; it never performs I/O and never reads a clock (time is an argument).
//
//   event (driver → machine)              answer / steps queued for next()
//   resume(journal leaves)                where each source's listing resumes
//   next_listing()                        the next range to list (a leaf, or a
//                                         discovery node), opened; or none;
//                                         with nothing else ready, half of a
//                                         range being listed (a split)
//   clip_page(leaf, page)                 a source page cut to the range's end
//   on_node_page(leaf, page)              a node's sub-prefixes to the fan-out
//                                         planner; its objects done before dropped
//   open_leaf(source, spec, node, done)   a leaf id (next_listing uses it)
//   on_decision(leaf, decision)           work (copy or check) or settled now:
//                                         skip, dry run, archived, collision
//   on_checked(ticket, verdict)           copy now? (else settled)
//   on_copied(ticket, outcome)            delete_batch (move, batch full),
//                                         set_limit (AIMD), log
//   before_delete(item, head)             keep in the batch, or an outcome
//   on_deleted(item, outcome)             log
//   on_listing_failed(source, ec, diag)   log
//   on_listing_end(leaf, ok)              the leaf's journal record when settled
//   on_throttle(now, leaf)                set_limit (by the share of the
//                                         leaves copying that were throttled)
//   on_tick(now)                          delete_batch for partial batches,
//                                         save_journal, progress (by interval)
//   flush_deletes()                       delete_batch for every partial batch
//   stop(host_down)                       work cut short is not a failure
//
// Every listed object ends exactly once: copied, skipped (identical on
// evidence), deleted after either (move), or failed and reported; a stop
// leaves it unfinished and the watermark before it. The one deletion rule
// lives in confirm(): a source enters a delete batch only after a copy the
// server confirmed or a skip on evidence (same size and a matching ETag, or
// equal full-object checksums), pinned to the ETag that was copied.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <unordered_map>
#include <vector>

#include "s3merge/engine/aimd.hpp"
#include "s3merge/engine/fanout.hpp"
#include "s3merge/engine/journal.hpp"
#include "s3merge/engine/key_split.hpp"
#include "s3merge/engine/merge_join.hpp"
#include "s3merge/engine/object_filter.hpp"
#include "s3merge/engine/shard.hpp"
#include "s3merge/engine/log_record.hpp"
#include "s3merge/engine/report.hpp"
#include "s3merge/engine/watermark.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

using leaf_id = std::uint64_t;

struct plan_options {
    bool move = false;
    bool dry_run = false;  // plan: count only
    bool verify = false;   // a dry run that fails every difference (implies dry_run)
    bool glacier_fail = false;
    bool conditional_deletes = false;  // the service evaluates If-Match on DELETE
    std::string destination_bucket;
    std::vector<std::string> source_buckets;   // one per source
    std::vector<std::string> source_prefixes;  // parallel (missing: "")
    fanout_options fanout;                     // each source's discovery
    // on_tick: the journal is saved and a progress line asked for this often
    // (0: never).
    std::chrono::milliseconds journal_interval{0};
    std::chrono::milliseconds progress_interval{0};
    aimd_params rate;
    std::uint64_t max_logged_failures = 100;
    bool has_report_file = false;  // only for the wording of a log line
    std::size_t delete_batch = 1000;
    // With no leaf or node ready, next_listing() splits a range being
    // listed (one that has more pages) and orders the upper half: flat
    // buckets and the last big leaves list in parallel too.
    bool split_ranges = false;
    // Per source (parallel; missing or empty: none): discovery skips
    // sub-prefixes outside the range.
    std::vector<key_range> source_ranges;
    // Dry runs: told each object that would be copied (archived: in
    // GLACIER/DEEP_ARCHIVE, not copied), e.g. to write a Batch Operations
    // manifest of exactly what still needs copying.
    std::function<void(std::size_t source, const s3::object_entry& o, bool archived)> would_copy;
    // A sharded job: sub-prefixes wholly of other shards are not listed.
    shard_spec shard;
    std::vector<unsigned> shard_depths;  // per source (missing: fanout.max_depth)
    unsigned shard_depth(std::size_t source) const {
        return source < shard_depths.size() ? shard_depths[source] : static_cast<unsigned>(fanout.max_depth);
    }
};

// An object handed to the driver for work; given back with its result.
struct object_ticket {
    leaf_id leaf = 0;
    std::size_t source = 0;
    decision d;  // d.what: copy / replace (copy it) or check (checksums first)
    std::uint64_t seq = watermark_tracker::no_seq;  // its place in its leaf's window
};

// A source confirmed at the destination, waiting for its delete.
struct delete_item {
    leaf_id leaf = 0;
    std::string key;
    std::string etag;        // as listed: what the copy was pinned to
    std::string version_id;  // the source version the copy read, when the server said
    bool copied = false;     // counted as copied (else as skipped): taken back if the delete fails
    std::uint64_t seq = watermark_tracker::no_seq;  // its place in its leaf's window
};

struct copy_outcome {
    std::error_code ec;
    diagnostics diag;
    const char* operation = "CopyObject";  // or "MultipartCopy"
    std::string source_version_id;         // x-amz-copy-source-version-id
};

struct delete_outcome {
    std::error_code ec;  // none: deleted
    diagnostics diag;
    const char* operation = "DeleteObjects";  // or "DeleteObject"
    bool already_gone = false;                // not there any more: nothing to delete, nothing lost
};

enum class step_kind {
    delete_batch,  // delete `batch` from source `source` (DeleteObjects, at most delete_batch keys)
    set_limit,     // the copy budget is now `limit`
    log,           // one line for the user
    save_journal,  // write the journal now (journal_leaves())
    progress,      // print a status line now
};

// A range to list, opened as a leaf of the plan. List it from
// spec.start_after (a node: from spec.from, its sub-prefixes are all
// needed) and pass each source page through clip_page().
struct listing_order {
    leaf_id id = 0;
    std::size_t source = 0;
    leaf spec;
    bool node = false;          // a discovery node: listed with '/', sub-prefixes to on_node_page
    bool objects_done = false;  // the journal says every own object of the node is done
    std::string list_after() const { return node ? spec.from : spec.start_after; }
};

struct resume_counts {
    std::size_t complete = 0;  // leaves the journal says are done: not listed again
    std::size_t resumed = 0;   // leaves resumed after their watermark
};

struct plan_step {
    step_kind kind = step_kind::log;
    std::size_t source = 0;
    std::vector<delete_item> batch;
    std::size_t limit = 0;
    std::string line;
    // log steps: how serious, what kind of event, and about what.
    log_level level = log_level::info;
    const char* event = "note";
    std::optional<diagnostics> diag;

    static plan_step of(step_kind k, std::size_t limit = 0) {
        plan_step s;
        s.kind = k;
        s.limit = limit;
        return s;
    }
    static plan_step log(log_level lv, const char* event, std::string line, const diagnostics* d = nullptr) {
        plan_step s;
        s.level = lv;
        s.event = event;
        s.line = std::move(line);
        if (d) s.diag = *d;
        return s;
    }
};

class transfer_plan {
public:
    // Counts go into rep (its sources and details sized by the caller).
    transfer_plan(plan_options o, report& rep);

    // Destination keys two sources map onto with different content, with the
    // message naming them: never copied, never deleted.
    void set_collisions(std::unordered_map<std::string, std::string> messages);
    // Destination keys two or more sources map onto with identical content
    // (the same size and ETag when planned), with that ETag. A source listed
    // with another ETag since (overwritten mid-run) is not copied there: its
    // copy would replace the content another source's move relies on.
    void set_shared_keys(std::unordered_map<std::string, std::string> etags);
    // The journal of an interrupted run: each source's planner resumes from
    // it, and complete leaves stay complete in later journals. Before the
    // first next_listing().
    resume_counts resume(const std::vector<leaf_state>& journal_leaves);

    // The next range to list, round robin over the sources (leaves first:
    // they make work, then discovery nodes); none when nothing is ready now
    // (more may come from pages in flight) or after a stop.
    std::optional<listing_order> next_listing();
    // A discovery node's page: sub-prefixes to the planner; the node's own
    // objects the journal says are done (at or below its watermark, or all)
    // are removed from `objects`.
    std::error_code on_node_page(leaf_id leaf, const std::vector<std::string>& common_prefixes,
                                 std::vector<s3::object_entry>& objects, bool last_page, diagnostics& diag);
    // Every source's listing is planned out (or failed).
    bool listing_finished() const;
    // Whether a sub-prefix a discovery listing of the source returns is
    // listed further: not when wholly outside the source's key range or
    // wholly of other shards.
    bool lists_sub_prefix(std::size_t source, std::string_view prefix) const;
    // A source page of an open leaf, before anything else sees it: what lies
    // past the range's end (a split gave it to another leaf) is removed, and
    // then the page is the range's last (is_truncated false). Records where
    // the listing is, for splits.
    void clip_page(leaf_id leaf, s3::list_objects_v2_result& page);
    std::uint64_t splits() const { return splits_; }

    // A listing leaf (node: a discovery node whose own objects are listed;
    // objects_done: the journal says all of them are done).
    leaf_id open_leaf(std::size_t source, leaf spec, bool node, bool objects_done, done_ranges done = {});
    // One listed object, in listing order. A ticket: the driver copies it
    // (or, for action::check, reads both sides' checksums first).
    std::optional<object_ticket> on_decision(leaf_id leaf, decision d);
    // Checksums of both sides read: true when the object must be copied now.
    bool on_checked(const object_ticket& t, checksum_verdict v);
    void on_copied(const object_ticket& t, copy_outcome&& out);
    // A HeadObject of a source right before its delete (no conditional
    // deletes): nullopt keeps it in the batch; else feed the outcome to
    // on_deleted (gone already, or changed since it was copied).
    std::optional<delete_outcome> before_delete(const delete_item& item, std::error_code head_ec,
                                                std::string_view head_etag, std::string_view head_version,
                                                diagnostics diag) const;
    void on_deleted(std::size_t source, const delete_item& item, delete_outcome out);
    // Listing a leaf failed after the client's retries (a node: its source
    // lists nothing more in this run; a re-run resumes).
    void on_listing_failed(leaf_id leaf, std::error_code ec, const diagnostics& diag);
    // No more objects will come for the leaf (failed: the listing stopped early).
    void on_listing_end(leaf_id leaf, bool failed);
    // A throttling answer (503 SlowDown) to a request of the leaf's copies
    // (nullopt: of no known leaf). The copy limit falls by the share of the
    // leaves with copies pending that were throttled in this window (see
    // aimd): S3 throttles a partition, a key range, and the leaves are key
    // ranges spread over the key space, so one hot partition slows the
    // copies a little, not by half. A throttle of no known leaf counts as
    // throttling everywhere.
    void on_throttle(std::chrono::steady_clock::time_point now, std::optional<leaf_id> leaf = std::nullopt);
    // The open leaf of the source whose range holds the key (a throttled
    // request's, mapped back to the source): none when no open leaf does.
    // Linear in the open leaves; for throttles, not for every object.
    std::optional<leaf_id> leaf_holding(std::size_t source, std::string_view key) const;
    // The last throttle's spread (for tests and telemetry).
    double throttle_spread() const { return throttle_spread_; }
    void on_tick(std::chrono::steady_clock::time_point now);
    void flush_deletes();
    // Ctrl-C (host_down false) or a host that stopped answering: work cut
    // short after this is not counted as failed; the watermark stays before it.
    void stop(bool host_down);

    std::optional<plan_step> next();

    // Queries.
    bool stopping() const { return stopping_; }
    std::size_t window(leaf_id leaf) const;  // keys listed, not done, of an open leaf
    std::size_t open_leaves() const { return leaves_.size(); }
    std::size_t unfinished_objects() const { return unfinished_; }
    std::size_t queued_deletes() const;
    int limit() const { return rate_.limit(); }
    // Journal records: finished leaves, then open ones with a watermark.
    std::vector<leaf_state> journal_leaves() const;
    // The watermark the journal would give an open leaf.
    std::optional<std::string> journal_watermark(leaf_id leaf) const;

private:
    bool ranged(std::size_t source) const;  // a key range (CloudTrail dates) bounds the source
    struct leaf_entry {
        std::size_t source = 0;
        leaf spec;
        watermark_tracker wm;
        std::optional<std::string> frozen;  // watermark at the first failure
        std::size_t pending = 0;
        bool listing_done = false;
        bool listing_failed = false;
        bool node = false;
        bool objects_done = false;
        done_ranges done;  // a node: the journal's claims on its own objects
        // Where the listing is, for splits: the last key or common prefix
        // listed, whether more pages follow, the bytes keys use.
        std::string position;
        bool more = false;
        std::string order;  // a node range split off: its own record of the sub-prefix order
        key_alphabet alphabet;
        // Entries and pages listed in this range, the first of them: how
        // dense it is, for splits.
        std::uint64_t range_entries = 0, range_pages = 0;
        std::string first;
        std::optional<double> rest;  // estimate_rest of (position, to]; reset when either moves
        const std::string& watermark() const { return frozen ? *frozen : wm.watermark(); }
        // A node's ranges after the first start after a key (a node itself
        // is listed from its start, never resumed after a watermark).
        bool split_child() const { return node && !spec.from.empty(); }
        // Listed and every listed object done: the leaf can be forgotten.
        bool settled() const { return listing_done && pending == 0; }
        bool complete() const { return listing_done && !listing_failed && pending == 0 && !frozen; }
    };

    leaf_entry& entry(leaf_id id);
    void dry_run(leaf_id id, leaf_entry& l, const decision& d);
    // The one rule for deletes: only here does a source become deletable.
    void confirm(leaf_id id, leaf_entry& l, const std::string& key, const std::string& etag, bool copied,
                 std::string version_id, std::uint64_t seq = watermark_tracker::no_seq);
    void done(leaf_id id, leaf_entry& l, const std::string& key,
              std::uint64_t seq = watermark_tracker::no_seq);
    // io: the error came from a request (a stop may have cut it short);
    // else a rule of the plan failed the object (always reported).
    void fail(leaf_id id, leaf_entry& l, const std::string& key, std::string_view op, std::error_code ec,
              const diagnostics& diag, bool io = true);
    void count_failure(std::size_t source, failure_record f, std::error_code ec, const diagnostics& diag);
    bool cut_short(std::error_code ec) const;
    void settle_leaf(leaf_id id);
    std::optional<listing_order> split();
    leaf_state record(const leaf_entry& l) const;

    struct source_state {
        std::unique_ptr<fanout_planner> planner;
        bool failed = false;  // a node's listing failed: nothing more of it this run
    };

    plan_options opt_;
    report& rep_;
    std::vector<source_state> sources_;
    std::size_t next_source_ = 0;
    std::optional<std::chrono::steady_clock::time_point> last_journal_, last_progress_;
    aimd rate_;
    std::vector<leaf_id> throttled_leaves_;  // in the rate's current window, distinct
    double throttle_spread_ = 0;
    std::unordered_map<std::string, std::string> collisions_;
    std::unordered_map<std::string, std::string> shared_;
    std::map<leaf_id, leaf_entry> leaves_;
    std::vector<leaf_state> finished_;
    std::vector<std::vector<delete_item>> batches_;  // per source
    std::deque<plan_step> steps_;
    leaf_id next_id_ = 1;
    std::uint64_t splits_ = 0;
    bool split_stale_ = true;     // a leaf moved since split() last found nothing to split
    std::size_t unfinished_ = 0;  // listed, not yet done
    bool stopping_ = false;
    bool host_down_ = false;
};

bool is_archived(std::string_view storage_class);  // GLACIER, DEEP_ARCHIVE

}  // namespace s3merge::engine
