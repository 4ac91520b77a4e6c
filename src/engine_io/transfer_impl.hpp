// Private: the state of one transfer run, shared by transfer.cpp (scheduling
// and listing), transfer_copy.cpp (copies and deletes) and
// transfer_status.cpp (journal, progress, report).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <map>
#include <optional>
#include <unordered_map>

#include "s3merge/engine/aimd.hpp"
#include "s3merge/engine/collisions.hpp"
#include "s3merge/engine/journal.hpp"
#include "s3merge/engine/merge_join.hpp"
#include "s3merge/engine/telemetry.hpp"
#include "s3merge/engine_io/metrics_server.hpp"
#include "s3merge/engine/transfer_plan.hpp"
#include "s3merge/engine_io/async_limiter.hpp"
#include "s3merge/engine_io/transfer.hpp"

namespace s3merge::engine {

namespace asio = boost::asio;

struct source_run {
    location loc;
    key_map map;
    bool versioned = false;  // versioning Enabled or Suspended
    // The destination range of this source held no object when the run
    // started: its leaves list the source side alone (a first copy into a
    // fresh bucket or prefix needs half the listing requests).
    bool dest_empty = false;
};

// One listing page fetched by a concurrent coroutine.
struct page_fetch {
    s3::list_objects_v2_result page;
    std::error_code ec;
    diagnostics diag;
    bool done = false;
};

// Copies a lister has decided and that wait for a copy slot: at most this
// many per lister (it waits once its queue is full, until it is down to
// half), so that copies that end find the next one there.
inline constexpr std::size_t lister_queue_cap = 16;

// One lister's copies waiting for a slot (it lives in the lister's frame,
// which stays until the queue is empty or cut short).
struct lister_queue {
    explicit lister_queue(const asio::any_io_executor& ex)
        : wake(ex, asio::steady_timer::time_point::max()) {}
    std::deque<object_ticket> items;
    bool in_rotation = false;  // on transfer::impl::rotation
    bool waiting = false;      // its lister waits for it to shrink
    // Cancelled to wake this queue's lister alone (pop_ready, a stop): a
    // copy taken from one queue does not wake every lister.
    asio::steady_timer wake;
};

struct transfer::impl {
    impl(s3::client& c, transfer_options o);
    ~impl();

    s3::client& client;
    transfer_options opts;
    asio::any_io_executor ex;
    async_limiter copy_slots;
    transfer_result result;
    // The rules: made once the sources are known (prepare).
    std::optional<transfer_plan> plan;
    std::string job;  // job id: SHA-256 of mode, sources and destination
    std::vector<source_run> sources;
    std::size_t listers = 0;           // listing coroutines running
    std::size_t waiting_for_slot = 0;  // of them, waiting for room in their queue
    std::size_t window_waiters = 0;    // of them, waiting for their leaf's window to shrink
    std::size_t workers = 0;           // copy / delete coroutines running
    // Copies decided and waiting for a copy slot, in their listers' queues.
    // A copy that ends takes the next one with its slot (no coroutine
    // started, no waiter woken per copy), one from each lister with queued
    // copies in turn (as the copies of concurrent listers went before:
    // interleaved, over the key ranges of their leaves). At a stop what is
    // left is cut short (settle_ready).
    std::deque<lister_queue*> rotation;
    std::vector<lister_queue*> queues;  // every lister's, for a stop to wake them
    bool dispatching = false;           // dispatch_ready() is running
    bool stopping = false;
    bool done = false;
    asio::steady_timer wake;  // cancelled whenever something finishes
    asio::steady_timer tick;  // the ticker's timer
    bool ticker_running = false;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    // Destination keys that two or more sources map onto with different
    // content (found before any copy), with their message for the plan.
    std::unordered_map<std::string, std::string> collisions;
    // Move only: keys two sources map onto with identical content, and its ETag.
    std::unordered_map<std::string, std::string> shared_keys;
    // Multipart uploads created and not yet completed or aborted (journaled,
    // so that a killed run's uploads are found and aborted on resume), and
    // those the journal of an interrupted run named.
    std::vector<upload_state> open_uploads;
    std::vector<upload_state> journaled_uploads;
    asio::awaitable<void> clean_up_uploads();  // transfer_multipart.cpp
    void upload_closed(const std::string& upload_id);

    // Telemetry: the timeline (sampled by the ticker), changes of the
    // adaptive limit, the byte cap, metrics.
    timeline samples;
    std::uint64_t limit_changes = 0;
    std::uint64_t limit_lowest = 0;
    std::optional<token_bucket> byte_cap;
    asio::awaitable<void> pace_bytes(std::uint64_t bytes);
    std::chrono::steady_clock::time_point last_metrics{};
    std::unique_ptr<metrics_server> metrics;
    timeline_point sample_now() const;
    std::string render_metrics() const;
    void write_metrics();
    void fill_telemetry();  // into result.rep, at the end
    // Whether a listed object belongs to the job (exclude, filter, range).
    bool admitted(std::size_t source, const s3::object_entry& o) const;

    // transfer_collisions.cpp
    asio::awaitable<std::error_code> find_collisions(diagnostics& diag);
    std::string collision_message(const collision& c) const;

    // transfer.cpp
    asio::awaitable<transfer_result> run();
    asio::awaitable<std::error_code> prepare(diagnostics& diag);
    bool room_for_lister() const;
    // Lists a range the plan ordered (a leaf, or a discovery node).
    asio::awaitable<void> list_leaf(listing_order lr);
    asio::awaitable<void> fetch_page(std::string bucket, s3::list_objects_v2_params p,
                                     std::shared_ptr<page_fetch> out);
    // Discovery listings asked for ahead of the plan: each source's nodes
    // on the way down to its first key (engine::discovery_path), and their
    // destination sides, all fetched together right after the probes
    // instead of one level per round trip. list_leaf takes a node's first
    // page from here when it was asked for exactly so. Bounded in number;
    // those never taken are dropped at the end.
    std::map<std::pair<std::string, std::string>, std::shared_ptr<page_fetch>>
        prefetched;               // (bucket, prefix)
    std::size_t prefetching = 0;  // fetches in flight (run() waits for them)
    s3::list_objects_v2_params node_listing(std::string prefix) const;
    void prefetch(const std::string& bucket, std::string prefix);
    std::shared_ptr<page_fetch> take_prefetched(const std::string& bucket,
                                                const s3::list_objects_v2_params& p);
    asio::awaitable<void> end_prefetches();  // waits for those in flight, drops the rest
    const std::string& dest_prefix(std::size_t source) const;
    void notify();
    asio::awaitable<void> wait_for_change();  // until the next notify()
    // Until q's wake is cancelled: pop_ready() took q down to half (or
    // empty), or a stop.
    static asio::awaitable<void> wait_for_queue(lister_queue& q);
    // Performs what the plan asks for now (delete batches, the copy budget,
    // log lines); called after every event fed to it.
    void drain();
    void stop(bool host_down);
    asio::awaitable<void> count_noncurrent(std::size_t source);

    // The open leaf whose range holds a destination key (of any source
    // mapping onto it), for the plan to learn which leaf a 503 SlowDown
    // answered.
    std::optional<leaf_id> leaf_of_dest_key(std::string_view dest_key) const;

    // transfer_copy.cpp
    // A copy (or, for action::check, a checksum comparison first) holding
    // one copy slot; then the next ready copy with the same slot, while
    // take_ready() gives one; the slot is released at the end.
    asio::awaitable<void> copy_one(object_ticket t);
    // The next ready copy for a copy slot that is free again: none when
    // stopping, when another task waits for a slot, or when the adaptive
    // limit went below the slots in use.
    bool take_ready(object_ticket& t);
    void pop_ready(object_ticket& into);  // the next in rotation (there is one)
    // A lister's copy that waits for a slot: queued, served in rotation.
    void enqueue(lister_queue& q, object_ticket&& t);
    // Cuts short what q holds (a stop) and takes it out of the rotation.
    void settle_queue(lister_queue& q);
    // Starts copies for ready work while slots are free (a limit that
    // grew, a slot given back by a delete).
    void dispatch_ready();
    // At a stop: ready copies never started are cut short (not failures;
    // the journal's watermark stays before them).
    void settle_ready();
    // action::check: full-object checksums of both sides (HeadObject).
    asio::awaitable<checksum_verdict> compare_checksums(const object_ticket& t);
    asio::awaitable<std::error_code> copy_multipart(std::size_t source, const decision& d, diagnostics& diag);
    asio::awaitable<void> flush_deletes(std::size_t source, std::vector<delete_item> batch);
    // Right before a delete without conditional deletes: HeadObject of each
    // key; the plan drops from the batch those changed since the copy or
    // already gone.
    asio::awaitable<void> drop_changed(std::size_t source, std::vector<delete_item>& batch);

    // transfer_status.cpp
    journal make_journal() const;
    void save_journal();
    std::error_code load_journal(diagnostics& diag);
    asio::awaitable<void> ticker();
    std::string status_line() const;
    void write_report();
};

constexpr std::size_t max_collisions = 10000;  // conflicting keys tracked; more is an error
std::string utc_timestamp();                   // "2024-01-02T03:04:05Z"
job_description describe(const transfer_options& o);
const char* mode_name(const transfer_options& o);  // "copy" | "move" | "plan" | "verify"
bool is_multipart_etag(std::string_view etag);

}  // namespace s3merge::engine
