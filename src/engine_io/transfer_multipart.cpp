// Multipart server-side copy of objects above --multipart-threshold:
// HeadObject + GetObjectTagging (a multipart copy does not carry metadata or
// tags) -> CreateMultipartUpload -> parallel UploadPartCopy ->
// CompleteMultipartUpload -> size check; AbortMultipartUpload on failure.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <set>

#include "engine_io/transfer_impl.hpp"
#include "s3merge/engine_io/verified_copy.hpp"

namespace s3merge::engine {

namespace {
// Parts of one object in flight at once, at most. Every part copy counts
// against the global budget: the first worker runs on the slot the object
// holds; each other part takes a free slot only if one is free at once
// (never waits for one), so objects holding slots cannot deadlock each other
// waiting for more.
constexpr std::size_t parts_in_flight = 8;
}  // namespace

asio::awaitable<std::error_code> transfer::impl::copy_multipart(std::size_t source, const decision& d,
                                                                diagnostics& diag) {
    const std::string src_bucket = sources[source].loc.bucket;
    const std::string dst_bucket = opts.destination.bucket;

    s3::head_object_params hp;
    hp.key = d.source.key;
    s3::head_object_result head;
    if (auto ec = co_await client.head_object(src_bucket, hp, head, diag)) co_return ec;
    s3::get_object_tagging_params tp;
    tp.key = d.source.key;
    s3::get_object_tagging_result tags;
    if (auto ec = co_await client.get_object_tagging(src_bucket, tp, tags, diag)) co_return ec;

    // A multipart source is copied with its own part layout where the server
    // tells it (HeadObject ?partNumber=1): the copy then has the source's
    // ETag, and a later listing proves it identical.
    std::uint64_t part_size = opts.part_size;
    if (is_multipart_etag(d.source.etag)) {
        s3::head_object_params pp;
        pp.key = d.source.key;
        pp.part_number = 1;
        s3::head_object_result part1;
        diagnostics pd;
        if (!co_await client.head_object(src_bucket, pp, part1, pd)) {
            if (auto same =
                    s3::source_layout_part_size(head.size, d.source.etag, part1.size, part1.parts_count))
                part_size = same;
        }
    }
    auto parts = s3::plan_parts(head.size, part_size);
    if (parts.empty()) {
        diag.detail = "object of " + std::to_string(head.size) + " bytes cannot be copied in parts";
        co_return make_error_code(errc::invalid_request);
    }

    s3::create_multipart_upload_params cp;
    cp.key = d.dest_key;
    cp.content_type = head.content_type;
    cp.metadata = head.metadata;
    cp.storage_class = !opts.storage_class.empty()        ? opts.storage_class
                       : head.storage_class == "STANDARD" ? std::string()
                                                          : head.storage_class;
    cp.tagging = s3::encode_tagging(tags.tags);
    cp.sse = opts.sse;
    cp.sse_kms_key_id = opts.sse_kms_key_id;
    s3::create_multipart_upload_result created;
    if (auto ec = co_await client.create_multipart_upload(dst_bucket, cp, created, diag)) co_return ec;
    // Journaled at once: a run killed from here on leaves an upload that the
    // next run finds and aborts.
    open_uploads.push_back({dst_bucket, d.dest_key, created.upload_id});
    save_journal();

    std::vector<s3::completed_part> done_parts(parts.size());
    std::size_t next = 0, running = 0;
    std::error_code first_error;
    diagnostics error_diag;
    asio::steady_timer part_wake(ex);
    part_wake.expires_at(asio::steady_timer::time_point::max());  // a wait ends only by cancel()
    auto worker = [&](bool own_slot) -> asio::awaitable<void> {
        while (next < parts.size() && !first_error) {
            if (!own_slot && !copy_slots.try_acquire()) break;  // the budget is full: fewer parts at once
            const auto& part = parts[next++];
            s3::upload_part_copy_params up;
            up.key = d.dest_key;
            up.upload_id = created.upload_id;
            up.part_number = part.part_number;
            up.source_bucket = src_bucket;
            up.source_key = d.source.key;
            up.source_range = s3::byte_range{part.first, part.last};
            up.source_if_match = d.source.etag.empty() ? head.etag : d.source.etag;  // the listed version
            s3::upload_part_copy_result pr;
            diagnostics pd;
            co_await pace_bytes(part.last - part.first + 1);
            auto ec = co_await client.upload_part_copy(dst_bucket, up, pr, pd);
            if (!own_slot) copy_slots.release();
            if (ec) {
                if (!first_error) {
                    first_error = ec;
                    error_diag = pd;
                }
                break;
            }
            done_parts[static_cast<std::size_t>(part.part_number - 1)] = {part.part_number, pr.etag};
        }
        --running;
        part_wake.cancel();
    };
    for (std::size_t i = 0; i < std::min(parts_in_flight, parts.size()); ++i) {
        ++running;
        asio::co_spawn(ex, worker(i == 0), asio::detached);
    }
    while (running > 0) co_await part_wake.async_wait(asio::as_tuple(asio::use_awaitable));

    std::error_code ec = first_error;
    if (ec) {
        diag = error_diag;
    } else {
        s3::complete_multipart_upload_params cmp;
        cmp.key = d.dest_key;
        cmp.upload_id = created.upload_id;
        cmp.parts = std::move(done_parts);
        s3::complete_multipart_upload_result cres;
        ec = co_await client.complete_multipart_upload(dst_bucket, cmp, cres, diag);
    }
    if (ec) {
        // Leave no billable fragments behind.
        s3::abort_multipart_upload_params ap;
        ap.key = d.dest_key;
        ap.upload_id = created.upload_id;
        diagnostics ad;
        if (!co_await client.abort_multipart_upload(dst_bucket, ap, ad)) upload_closed(created.upload_id);
        co_return ec;
    }
    upload_closed(created.upload_id);
    co_return co_await confirm_size(client, dst_bucket, d.dest_key, head.size, "the multipart copy", diag);
}

void transfer::impl::upload_closed(const std::string& upload_id) {
    std::erase_if(open_uploads, [&](const upload_state& u) { return u.upload_id == upload_id; });
}

asio::awaitable<void> transfer::impl::clean_up_uploads() {
    // Each destination range once: its unfinished uploads are listed; those
    // this job's journal names are aborted (a resume copies their objects
    // again), others are reported and left alone (another writer's).
    std::set<std::string> ranges;
    for (std::size_t i = 0; i < sources.size(); ++i) ranges.insert(dest_prefix(i));
    std::uint64_t aborted = 0, foreign = 0;
    std::string foreign_sample;
    for (const auto& range : ranges) {
        s3::list_multipart_uploads_params p;
        p.prefix = range;
        for (;;) {
            s3::list_multipart_uploads_result page;
            diagnostics diag;
            if (auto ec = co_await client.list_multipart_uploads(opts.destination.bucket, p, page, diag)) {
                if (opts.log)
                    opts.log("s3merge: warning: cannot list unfinished multipart uploads: " +
                             diag.to_string());
                break;
            }
            for (const auto& u : page.uploads) {
                auto mine = std::find_if(journaled_uploads.begin(), journaled_uploads.end(),
                                         [&](const upload_state& j) {
                                             return j.upload_id == u.upload_id && j.key == u.key &&
                                                    j.bucket == opts.destination.bucket;
                                         });
                if (mine == journaled_uploads.end()) {
                    if (foreign++ == 0) foreign_sample = u.key;
                    continue;
                }
                s3::abort_multipart_upload_params ap;
                ap.key = u.key;
                ap.upload_id = u.upload_id;
                diagnostics ad;
                if (auto aec = co_await client.abort_multipart_upload(opts.destination.bucket, ap, ad)) {
                    if (opts.log)
                        opts.log("s3merge: warning: cannot abort an unfinished upload: " + ad.to_string());
                    continue;
                }
                ++aborted;
                journaled_uploads.erase(mine);
            }
            if (!page.is_truncated) break;
            p.key_marker = page.next_key_marker;
            p.upload_id_marker = page.next_upload_id_marker;
        }
    }
    // What the journal named and the listing did not show is gone already.
    journaled_uploads.clear();
    result.rep.uploads_aborted = aborted;
    result.rep.uploads_foreign = foreign;
    if (opts.log && aborted)
        opts.log(
            "s3merge: aborted " + std::to_string(aborted) +
            " unfinished multipart uploads left by the interrupted run (their objects are copied again)");
    if (opts.log && foreign)
        opts.log("s3merge: note: " + std::to_string(foreign) + " unfinished multipart uploads under s3://" +
                 opts.destination.bucket + "/ were not started by this job (e.g. " + foreign_sample +
                 "); left alone — they are billed until aborted");
}

}  // namespace s3merge::engine
