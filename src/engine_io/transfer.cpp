// Scheduling and listing of a transfer. See include/s3merge/engine_io/transfer.hpp.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

#include "engine_io/transfer_impl.hpp"
#include "s3merge/engine_io/parallel_for.hpp"

namespace s3merge::engine {

bool is_multipart_etag(std::string_view etag) {
    return etag.find('-') != std::string_view::npos;
}

namespace {
constexpr std::size_t max_leaf_window = 20000;
constexpr int max_free_levels = 8;
// Discovery listings fetched ahead of the plan, in all (see prefetched).
constexpr std::size_t max_prefetched = 64;
// Listers waiting for a copy slot before no more leaves are started.
constexpr std::size_t max_listers_waiting = 4;

aimd_params rate_params(const transfer_options& o) {
    aimd_params p;
    p.ceiling = static_cast<int>(o.concurrency);
    p.floor = static_cast<int>(std::min(o.min_concurrency, o.concurrency));
    p.initial = p.ceiling;  // start at the ceiling; throttling halves it
    return p;
}
}  // namespace

transfer::impl::impl(s3::client& c, transfer_options o)
    : client(c), opts(std::move(o)), ex(c.executor()), copy_slots(ex, opts.concurrency), wake(ex), tick(ex) {
    if (opts.verify) opts.dry_run = true;  // verify is a dry run that reports differences
    wake.expires_at(asio::steady_timer::time_point::max());
    result.rep.started_at = utc_timestamp();
    limit_lowest = opts.concurrency;
    if (opts.max_bytes_per_second > 0)
        byte_cap.emplace(opts.max_bytes_per_second, std::max(1.0, opts.max_bytes_per_second / 10));
    job = job_id(describe(opts));
    client.set_on_throttle([this](std::string_view operation, std::string_view key) {
        if (!plan || !throttle_paces_copies(operation)) return;
        // The leaf whose copy was throttled: the limit falls by the share of
        // the leaves throttled (S3 throttles a key range, not the bucket).
        plan->on_throttle(std::chrono::steady_clock::now(),
                          key.empty() ? std::nullopt : leaf_of_dest_key(key));
        drain();
    });
    // A host that stopped answering stops the job (fast, with one reason)
    // instead of failing every object after all its attempts.
    client.set_on_host_down([this](std::error_code ec, const diagnostics& diag) {
        if (!result.fatal) {
            result.fatal = ec;
            result.fatal_diag = diag;
        }
        stop(true);
    });
}

transfer::impl::~impl() {
    client.set_on_throttle(nullptr);
    client.set_on_host_down(nullptr);
}

void transfer::impl::notify() {
    wake.cancel();
}

asio::awaitable<void> transfer::impl::wait_for_change() {
    // `wake` never expires (armed once at construction): a wait ends only
    // when notify() cancels it, which wakes every waiter at once.
    co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> transfer::impl::wait_for_queue(lister_queue& q) {
    co_await q.wake.async_wait(asio::as_tuple(asio::use_awaitable));
}

transfer::transfer(s3::client& client, transfer_options opts)
    : impl_(std::make_unique<impl>(client, std::move(opts))) {}
transfer::~transfer() = default;

asio::awaitable<transfer_result> transfer::run() {
    return impl_->run();
}

void transfer::request_stop() {
    // Waits between retries end now; no new attempt is made.
    impl_->client.cancel_retries();
    impl_->stop(false);
}

void transfer::impl::stop(bool host_down) {
    stopping = true;
    if (plan) plan->stop(host_down);
    notify();
    for (auto* q : queues) q->wake.cancel();
}

void transfer::impl::drain() {
    while (auto s = plan->next()) {
        switch (s->kind) {
            case step_kind::delete_batch:
                ++workers;
                asio::co_spawn(ex, flush_deletes(s->source, std::move(s->batch)), asio::detached);
                break;
            case step_kind::set_limit:
                copy_slots.set_limit(s->limit);
                ++limit_changes;
                limit_lowest = std::min<std::uint64_t>(limit_lowest, s->limit);
                break;
            case step_kind::log:
                if (opts.log_event)
                    opts.log_event({s->level, s->event, s->line, s->diag ? &*s->diag : nullptr});
                else if (opts.log)
                    opts.log(s->line);
                break;
            case step_kind::save_journal:
                save_journal();
                break;
            case step_kind::progress:
                if (opts.progress) opts.progress(status_line(), false);
                break;
        }
    }
    dispatch_ready();
}

void transfer::save_journal_now() {
    impl_->save_journal();
}

asio::awaitable<std::error_code> transfer::impl::prepare(diagnostics& diag) {
    if (opts.sources.empty()) {
        diag.operation = "copy";
        diag.detail = "no --source given";
        co_return make_error_code(errc::invalid_argument);
    }
    if (!opts.dest_prefixes.empty() && opts.dest_prefixes.size() != opts.sources.size()) {
        diag.operation = "copy";
        diag.detail = "one destination prefix per source is needed";
        co_return make_error_code(errc::invalid_argument);
    }
    for (std::size_t i = 0; i < opts.sources.size(); ++i) {
        location dest{opts.destination.bucket, dest_prefix(i)};
        if (auto ec = check_overlap(opts.sources[i], dest, diag)) co_return ec;
    }
    // Outputs are checked before any request: a run must not end unable to
    // say what it did.
    if (!opts.report_path.empty()) {
        if (auto why = check_output_path(opts.report_path); !why.empty()) {
            diag.operation = "report";
            diag.detail = "cannot write the report '" + opts.report_path + "': " + why +
                          "; choose another --report path";
            co_return make_error_code(errc::invalid_argument);
        }
    }
    if (!opts.metrics_file.empty()) {
        if (auto why = check_output_path(opts.metrics_file); !why.empty()) {
            diag.operation = "metrics";
            diag.detail = "cannot write the metrics file '" + opts.metrics_file + "': " + why +
                          "; choose another --metrics-file path";
            co_return make_error_code(errc::invalid_argument);
        }
    }
    if (!opts.metrics_listen.empty()) {
        metrics = std::make_unique<metrics_server>(ex, [this] { return render_metrics(); });
        if (auto ec = metrics->listen(opts.metrics_listen, result.metrics_address, diag)) co_return ec;
        if (opts.log) opts.log("s3merge: serving metrics at http://" + result.metrics_address + "/metrics");
    }
    if (!opts.journal_path.empty() && !opts.dry_run) {
        std::string why = is_regular_or_absent(opts.journal_path) ? check_output_path(opts.journal_path)
                                                                  : std::string("it is not a regular file");
        if (!why.empty()) {
            diag.operation = "journal";
            diag.detail = "cannot use the journal '" + opts.journal_path + "': " + why +
                          "; choose another --journal path or --no-journal";
            co_return make_error_code(errc::invalid_argument);
        }
    }
    // Learn each bucket's region and whether a source is versioned, all
    // buckets at once; a missing bucket stops the job before any write.
    std::vector<std::string> buckets;
    for (const auto& s : opts.sources) buckets.push_back(s.bucket);
    buckets.push_back(opts.destination.bucket);
    struct probe {
        std::error_code ec;
        diagnostics diag;
        bool versioned = false;
        std::string first_key;  // a source's smallest key (none: empty or not asked)
    };
    std::vector<probe> probes(buckets.size());
    // Destination prefixes (one per source, often all the same) whose range
    // holds no object: their sources' leaves need not list the destination.
    std::set<std::string> empty_dest_prefixes;
    co_await parallel_for(buckets.size(), buckets.size(), [&](std::size_t i) -> asio::awaitable<void> {
        const bool is_source = i + 1 < buckets.size();
        auto& pr = probes[i];
        const std::string& b = buckets[i];
        s3::head_bucket_result hb;
        pr.ec = co_await client.head_bucket(b, hb, pr.diag);
        if (!hb.region.empty()) client.set_bucket_region(b, hb.region);
        if (pr.ec == errc::wrong_region && !hb.region.empty())
            pr.ec = co_await client.head_bucket(b, hb, pr.diag);
        if (!pr.ec && is_source) {
            // Versioned sources: only current versions are copied; the
            // others are counted for the report by a ListObjectVersions pass.
            // With a fan-out, the source's first key is asked for at the
            // same time: it names the nodes the discovery will list first.
            const bool fan_out = opts.fanout_depth > 0;
            co_await parallel_for(fan_out ? 2 : 1, 2, [&](std::size_t j) -> asio::awaitable<void> {
                if (j == 0) {
                    s3::get_bucket_versioning_result vr;
                    diagnostics vd;
                    pr.versioned = !co_await client.get_bucket_versioning(b, vr, vd) && !vr.status.empty();
                } else {
                    s3::list_objects_v2_params fp;
                    fp.prefix = opts.sources[i].prefix;
                    fp.max_keys = 1;
                    s3::list_objects_v2_result fr;
                    diagnostics fd;
                    if (!co_await client.list_objects_v2(b, fp, fr, fd) && !fr.objects.empty())
                        pr.first_key = std::move(fr.objects.front().key);
                }
            });
        }
        if (!pr.ec && !is_source && !opts.overwrite) {
            // One key of each destination range, once its region is
            // known, tells whether there is anything to compare with.
            std::set<std::string> ranges;
            for (std::size_t j = 0; j < opts.sources.size(); ++j) ranges.insert(dest_prefix(j));
            for (const auto& range : ranges) {
                s3::list_objects_v2_params lp;
                lp.prefix = range;
                lp.max_keys = 1;
                s3::list_objects_v2_result lr;
                diagnostics ld;
                auto lec = co_await client.list_objects_v2(b, lp, lr, ld);
                if (!lec && lr.objects.empty() && lr.common_prefixes.empty() && !lr.is_truncated)
                    empty_dest_prefixes.insert(range);
            }
        }
    });
    for (auto& pr : probes) {
        if (pr.ec) {
            diag = pr.diag;
            co_return pr.ec == errc::not_found ? make_error_code(errc::no_such_bucket) : pr.ec;
        }
    }
    for (std::size_t i = 0; i < opts.sources.size(); ++i) {
        source_run sr;
        sr.versioned = probes[i].versioned;
        sr.dest_empty = empty_dest_prefixes.count(dest_prefix(i)) > 0;
        sr.loc = opts.sources[i];
        sr.map = key_map(sr.loc.prefix, dest_prefix(i));
        sources.push_back(std::move(sr));
    }
    // Two sources onto one destination key: found before any copy.
    if (sources.size() > 1)
        if (auto ec = co_await find_collisions(diag)) co_return ec;
    result.rep.mode = mode_name(opts);
    result.rep.destination = opts.destination;
    for (const auto& s : opts.sources) result.rep.sources.push_back({s, {}});
    result.rep.details.resize(opts.sources.size());
    plan_options po;
    po.move = opts.move;
    po.dry_run = opts.dry_run;
    po.verify = opts.verify;
    po.glacier_fail = opts.glacier_fail;
    po.conditional_deletes = opts.conditional_deletes;
    po.destination_bucket = opts.destination.bucket;
    for (const auto& s : opts.sources) {
        po.source_buckets.push_back(s.bucket);
        po.source_prefixes.push_back(s.prefix);
    }
    po.fanout.max_depth = opts.fanout_depth;
    // A node's own objects are copied from its discovery listing (listed
    // once), and levels that do not branch are not counted.
    po.fanout.direct_leaves = false;
    po.fanout.max_free_levels = max_free_levels;
    // Copies spread over the key space: every partition of the destination
    // is loaded, stays hot and splits (S3 splits a range under sustained load).
    po.fanout.spread = true;
    // Idle listers take the upper half of a range being listed: flat
    // buckets and the last, biggest leaves list in parallel too.
    po.split_ranges = true;
    // A run that only lists (--dry-run, --verify, plan): a level with a leaf
    // for every lister is wide enough, its prefixes are listed whole (full
    // pages, splits for the big ones) rather than level by level down to
    // the small leaves of --fanout-depth. Not when copying: copies are the
    // bottleneck there, and 64 listings of 1,000-key pages in flight hold
    // ~20 MiB more than of a CloudTrail day's 288 (the ceiling scenario:
    // 60 -> 83 MiB peak at 1,000,000 objects).
    po.fanout.wide_enough = opts.dry_run ? opts.max_listers : 0;
    po.journal_interval =
        opts.journal_path.empty() || opts.dry_run ? std::chrono::milliseconds(0) : opts.journal_interval;
    po.progress_interval = opts.progress ? opts.progress_interval : std::chrono::milliseconds(0);
    po.rate = rate_params(opts);
    po.has_report_file = !opts.report_path.empty();
    po.delete_batch = s3::max_delete_objects;
    po.source_ranges = opts.source_ranges;
    po.shard = opts.shard;
    po.would_copy = opts.would_copy;
    po.shard_depths = opts.shard_depths;
    result.rep.shard_index = opts.shard.index;
    result.rep.shard_count = opts.shard.count;
    plan.emplace(std::move(po), result.rep);
    plan->set_collisions(std::move(collisions));
    plan->set_shared_keys(std::move(shared_keys));
    if (stopping) plan->stop(static_cast<bool>(result.fatal));
    if (auto ec = load_journal(diag)) co_return ec;
    // The first levels of every source's discovery, asked for together (the
    // levels above a CloudTrail bucket's regions each hold one prefix: one
    // round trip for all of them rather than one each). Down to
    // --fanout-depth levels (a node that deep is always listed with '/',
    // whatever levels below it do not count or turn out wide), and not
    // into sub-prefixes the plan leaves out (key ranges, other shards).
    for (std::size_t i = 0; i < sources.size(); ++i) {
        const auto& s = sources[i];
        auto path =
            discovery_path(s.loc.prefix, probes[i].first_key, static_cast<std::size_t>(opts.fanout_depth));
        for (std::size_t n = 0; n < path.size(); ++n) {
            if (n > 0 && !plan->lists_sub_prefix(i, path[n])) break;
            if (!s.dest_empty) prefetch(opts.destination.bucket, s.map.to_dest(path[n]));
            prefetch(s.loc.bucket, std::move(path[n]));
        }
    }
    // A resumed run first aborts the multipart uploads its interrupted run
    // left unfinished (their objects are copied again).
    if (!journaled_uploads.empty()) co_await clean_up_uploads();
    co_return std::error_code{};
}

asio::awaitable<transfer_result> transfer::impl::run() {
    diagnostics diag;
    if (auto ec = co_await prepare(diag)) {
        if (!result.fatal) {  // a host found down during the probes has its own reason
            result.fatal = ec;
            result.fatal_diag = diag;
        }
        co_await end_prefetches();
        co_return result;
    }
    ticker_running = true;
    asio::co_spawn(ex, ticker(), asio::detached);
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (!sources[i].versioned) continue;
        ++workers;
        asio::co_spawn(ex, count_noncurrent(i), asio::detached);
    }

    // The scheduler: keep up to max_listers listing coroutines busy with
    // what the plan orders (leaves first: they produce work).
    for (;;) {
        bool spawned = false;
        while (!stopping && room_for_lister()) {
            auto order = plan->next_listing();
            if (!order) break;
            ++listers;
            asio::co_spawn(ex, list_leaf(std::move(*order)), asio::detached);
            spawned = true;
        }
        if ((plan->listing_finished() || stopping) && listers == 0) break;
        if (!spawned || !room_for_lister() || stopping) co_await wait_for_change();
    }
    // Listing is over: drain copies and deletes (copies finishing now still
    // fill delete batches, so flush until nothing runs).
    for (;;) {
        if (stopping) settle_ready();
        plan->flush_deletes();
        drain();
        if (workers == 0 && rotation.empty()) break;
        co_await wait_for_change();
    }
    co_await end_prefetches();
    result.interrupted = stopping;
    done = true;
    tick.cancel();
    while (ticker_running) co_await wait_for_change();
    save_journal();
    if (auto* creds = client.credentials_source()) {
        result.rep.credentials = creds->source();
        result.rep.credential_renewals = creds->renewals();
    }
    fill_telemetry();
    write_report();
    write_metrics();
    if (metrics) metrics->close();
    if (opts.progress) opts.progress(status_line(), true);
    co_return result;
}

asio::awaitable<void> transfer::impl::count_noncurrent(std::size_t si) {
    s3::list_object_versions_params p;
    p.prefix = sources[si].loc.prefix;
    p.max_keys = opts.page_size;
    while (!stopping) {
        s3::list_object_versions_result page;
        diagnostics diag;
        if (auto ec = co_await client.list_object_versions(sources[si].loc.bucket, p, page, diag)) {
            if (opts.log) opts.log("s3merge: cannot count noncurrent versions: " + diag.to_string());
            break;
        }
        auto& det = result.rep.details[si];
        for (const auto& v : page.versions) {
            if (v.is_latest) continue;
            ++result.rep.noncurrent_skipped;
            ++det.noncurrent_versions;
        }
        // Delete markers are not copied either.
        result.rep.noncurrent_skipped += page.delete_markers.size();
        det.delete_markers += page.delete_markers.size();
        if (!page.is_truncated) break;
        p.key_marker = page.next_key_marker;
        p.version_id_marker = page.next_version_id_marker;
    }
    --workers;
    notify();
}

s3::list_objects_v2_params transfer::impl::node_listing(std::string prefix) const {
    s3::list_objects_v2_params p;
    p.prefix = std::move(prefix);
    p.delimiter = "/";
    p.max_keys = opts.page_size;
    return p;
}

void transfer::impl::prefetch(const std::string& bucket, std::string prefix) {
    if (prefetched.size() >= max_prefetched) return;
    auto [it, fresh] = prefetched.try_emplace({bucket, prefix});
    if (!fresh) return;
    it->second = std::make_shared<page_fetch>();
    ++prefetching;
    asio::co_spawn(
        ex,
        [this, bucket, p = node_listing(std::move(prefix)), out = it->second]() -> asio::awaitable<void> {
            co_await fetch_page(bucket, p, out);
            --prefetching;
            notify();
        },
        asio::detached);
}

asio::awaitable<void> transfer::impl::end_prefetches() {
    while (prefetching > 0) co_await wait_for_change();
    prefetched.clear();
}

std::shared_ptr<page_fetch> transfer::impl::take_prefetched(const std::string& bucket,
                                                            const s3::list_objects_v2_params& p) {
    if (prefetched.empty() || p.delimiter != "/" || !p.start_after.empty() || !p.continuation_token.empty() ||
        p.max_keys != opts.page_size || !p.encoding_type_url)
        return nullptr;
    auto it = prefetched.find({bucket, p.prefix});
    if (it == prefetched.end()) return nullptr;
    auto f = std::move(it->second);
    prefetched.erase(it);
    return f;
}

asio::awaitable<void> transfer::impl::fetch_page(std::string bucket, s3::list_objects_v2_params p,
                                                 std::shared_ptr<page_fetch> out) {
    out->ec = co_await client.list_objects_v2(bucket, p, out->page, out->diag);
    out->done = true;
    notify();
}

asio::awaitable<void> transfer::impl::list_leaf(listing_order lr) {
    auto& s = sources[lr.source];
    merge_options mo;
    mo.overwrite = opts.overwrite;
    merge_join mj(s.map, mo);
    lister_queue queue(ex);
    queues.push_back(&queue);
    if (s.dest_empty || lr.objects_done) mj.dest_done();
    s3::list_objects_v2_params sp;
    sp.prefix = lr.spec.prefix;
    sp.delimiter = lr.spec.delimiter;
    // A node is listed from its range's start (its sub-prefixes are all
    // needed); its own objects the journal claims are dropped by the plan.
    sp.start_after = lr.list_after();
    sp.max_keys = opts.page_size;
    s3::list_objects_v2_params dp = sp;
    dp.prefix = s.map.to_dest(lr.spec.prefix);
    dp.start_after = sp.start_after.empty() ? std::string() : s.map.to_dest(sp.start_after);
    // The first destination page is fetched together with the first source
    // page, from the leaf's start: one round trip per page pair. When that
    // page ends before the first source key (many sources into one
    // destination prefix), the listing jumps to just before that key instead
    // of paging through other sources' keys.
    std::string first_source_key;
    std::string dest_last;  // the last destination key listed so far
    bool have_first = false, positioned = false;
    bool ok = true;
    while (!stopping && !mj.finished()) {
        // Bound the leaf's watermark window (keys listed, not yet done): a
        // slow object must not let listing run ahead without limit.
        while (plan->window(lr.id) > max_leaf_window && !stopping) {
            ++window_waiters;
            co_await wait_for_change();
            --window_waiters;
        }
        bool want_src = mj.wants_source();
        // The first destination page is asked for together with the first
        // source page, also for a node (which may hold only sub-prefixes: then
        // the destination page is a short list of them, discarded).
        bool want_dst = mj.wants_dest();
        if (want_dst && !positioned && have_first) {
            positioned = true;
            auto from = s.map.to_dest(first_source_key);
            if (!from.empty()) from.pop_back();  // keys > from include every key >= the first
            if (compare_keys(from, dp.start_after) > 0 &&
                (dp.continuation_token.empty() || compare_keys(from, dest_last) > 0)) {
                dp.start_after = std::move(from);
                dp.continuation_token.clear();
            }
        }
        diagnostics diag;
        std::error_code ec;
        // Both sides wanted: the destination page is fetched concurrently.
        std::shared_ptr<page_fetch> dst;
        bool dst_ahead = false;
        if (want_src && want_dst) {
            dst = take_prefetched(opts.destination.bucket, dp);
            dst_ahead = static_cast<bool>(dst);
            if (!dst) {
                dst = std::make_shared<page_fetch>();
                asio::co_spawn(ex, fetch_page(opts.destination.bucket, dp, dst), asio::detached);
            }
        }
        if (want_src) {
            s3::list_objects_v2_result page;
            // A node's first page may have been asked for already.
            auto ahead = take_prefetched(s.loc.bucket, sp);
            if (ahead) {
                while (!ahead->done) co_await wait_for_change();
                if (!ahead->ec) page = std::move(ahead->page);
            }
            if (!ahead || ahead->ec) ec = co_await client.list_objects_v2(s.loc.bucket, sp, page, diag);
            // What a split gave to another leaf is cut off here.
            if (!ec) {
                plan->clip_page(lr.id, page);
                notify();  // a range with more pages may be split
            }
            if (!ec && lr.node) {
                ec = plan->on_node_page(lr.id, page.common_prefixes, page.objects, !page.is_truncated, diag);
                notify();  // new tasks or leaves for the scheduler
            }
            if (!ec) {
                bool last = !page.is_truncated;
                sp.continuation_token = page.next_continuation_token;
                if (!have_first && !page.objects.empty()) {
                    first_source_key = page.objects.front().key;
                    have_first = true;
                }
                if (opts.exclude || !opts.filter.empty() || lr.source < opts.source_ranges.size() ||
                    opts.shard.active())
                    std::erase_if(page.objects,
                                  [&](const s3::object_entry& o) { return !admitted(lr.source, o); });
                // Past admission nothing reads an object's LastModified: its
                // buffer goes back now, while warm, for the next page, and
                // does not wait in the listing's queues for the copy to end.
                for (auto& o : page.objects) std::string().swap(o.last_modified);
                ec = mj.push_source(std::move(page.objects), diag);
                if (last) mj.source_done();
            }
        } else if (want_dst) {
            dst = std::make_shared<page_fetch>();
            co_await fetch_page(opts.destination.bucket, dp, dst);
        }
        if (dst) {
            while (!dst->done) co_await wait_for_change();
            if (!ec && dst->ec && dst_ahead) {
                // Asked for ahead and failed (possibly not a fault now): once more.
                *dst = page_fetch{};
                co_await fetch_page(opts.destination.bucket, dp, dst);
            }
            if (!ec && dst->ec) {
                ec = dst->ec;
                diag = dst->diag;
            }
            if (!ec) {
                dp.continuation_token = dst->page.next_continuation_token;
                if (!dst->page.objects.empty()) dest_last = dst->page.objects.back().key;
                ec = mj.push_dest(std::move(dst->page.objects), diag);
                if (!dst->page.is_truncated) mj.dest_done();
            }
        }
        if (ec) {
            plan->on_listing_failed(lr.id, ec, diag);
            drain();
            ok = false;
            break;
        }
        // Most decisions settle at once (skips, dry runs); a copy starts at
        // once when a slot is free and no other copy waits, else it waits in
        // this lister's queue for a copy that ends (the lister waits only
        // while its queue is full).
        for (auto& d : mj.pop_decisions()) {
            auto work = plan->on_decision(lr.id, std::move(d));
            drain();
            if (!work) continue;
            if (rotation.empty() && copy_slots.try_acquire()) {
                ++workers;
                asio::co_spawn(ex, copy_one(std::move(*work)), asio::detached);
            } else {
                if (queue.items.size() >= lister_queue_cap) {
                    queue.waiting = true;
                    ++waiting_for_slot;
                    while (queue.items.size() > lister_queue_cap / 2 && !stopping)
                        co_await wait_for_queue(queue);
                    // One lister fewer waiting may make room for another.
                    if (waiting_for_slot-- == max_listers_waiting) notify();
                    queue.waiting = false;
                }
                // At a stop it is cut short with the rest of the queue.
                enqueue(queue, std::move(*work));
            }
            if (stopping) break;
        }
    }
    plan->on_listing_end(lr.id, !ok || stopping);
    // The queue lives in this frame: its copies are taken before it goes
    // (a few milliseconds' worth), or cut short at a stop.
    queue.waiting = true;
    while (!queue.items.empty() && !stopping) co_await wait_for_queue(queue);
    settle_queue(queue);
    std::erase(queues, &queue);
    --listers;
    notify();
}

bool transfer::impl::admitted(std::size_t source, const s3::object_entry& o) const {
    if (opts.exclude && opts.exclude(source, o.key)) return false;
    if (source < opts.source_ranges.size() && !opts.source_ranges[source].holds(o.key)) return false;
    std::string_view rel = o.key;
    rel.remove_prefix(std::min(rel.size(), sources[source].loc.prefix.size()));
    if (opts.shard.active()) {
        const unsigned depth = source < opts.shard_depths.size() ? opts.shard_depths[source]
                                                                 : static_cast<unsigned>(opts.fanout_depth);
        if (shard_of(rel, depth, opts.shard.count) != opts.shard.index) return false;
    }
    return opts.filter.empty() || opts.filter.admits(rel, o.last_modified);
}

std::optional<leaf_id> transfer::impl::leaf_of_dest_key(std::string_view dest_key) const {
    std::string source_key;
    for (std::size_t i = 0; i < sources.size(); ++i) {
        if (!sources[i].map.to_source(dest_key, source_key)) continue;
        if (auto leaf = plan->leaf_holding(i, source_key)) return leaf;
    }
    return std::nullopt;
}

bool transfer::impl::room_for_lister() const {
    // Copies are the bottleneck when listers queue for copy slots: then no
    // more leaves start (each would hold a page of decisions).
    return listers < opts.max_listers && waiting_for_slot < max_listers_waiting;
}

const std::string& transfer::impl::dest_prefix(std::size_t source) const {
    return opts.dest_prefixes.empty() ? opts.destination.prefix : opts.dest_prefixes[source];
}

}  // namespace s3merge::engine
