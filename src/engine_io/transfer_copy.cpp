// Copies, verification and batched deletes of a transfer.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "engine_io/transfer_impl.hpp"
#include "s3merge/engine_io/verified_copy.hpp"

namespace s3merge::engine {

asio::awaitable<std::error_code> confirm_size(s3::client& c, std::string bucket, std::string key,
                                              std::uint64_t expected, std::string_view what, diagnostics& diag) {
    s3::head_object_params hp;
    hp.key = std::move(key);
    s3::head_object_result head;
    if (auto ec = co_await c.head_object(bucket, hp, head, diag)) co_return ec;
    if (head.size != expected) {
        diag.s3_code = "VerificationFailed";
        diag.message = std::string(what) + " has " + std::to_string(head.size) + " bytes, the source " +
                       std::to_string(expected);
        co_return make_error_code(errc::s3_error);
    }
    co_return std::error_code{};
}

// A single-part ETag is the MD5 of the content and survives a copy; a
// multipart one ("...-N") does not, nor does one under SSE-KMS: then the
// destination's size is checked instead.
bool copy_confirmed_by_etag(std::string_view src_etag, std::string_view copy_etag) {
    return !is_multipart_etag(src_etag) && copy_etag == src_etag;
}

asio::awaitable<std::error_code> verified_copy(s3::client& c, std::string dst_bucket, s3::copy_object_params p,
                                               std::uint64_t src_size, std::string src_etag,
                                               s3::copy_object_result& res, diagnostics& diag) {
    // The parameters move into the call; only the destination key is needed
    // afterwards.
    std::string key = p.key;
    if (auto ec = co_await c.copy_object(dst_bucket, std::move(p), res, diag)) co_return ec;
    if (copy_confirmed_by_etag(src_etag, res.etag)) co_return std::error_code{};
    co_return co_await confirm_size(c, std::move(dst_bucket), std::move(key), src_size, "the destination", diag);
}

asio::awaitable<void> transfer::impl::copy_one(leaf_run& lr, decision d) {
    diagnostics diag;
    const bool multipart = d.source.size > opts.multipart_threshold;
    std::error_code ec;
    if (multipart) {
        ec = co_await copy_multipart(lr, d, diag);
    } else {
        // verified_copy's steps, written out: this runs once per object, and
        // each coroutine layer costs a frame and a resumption.
        s3::copy_object_params p;
        p.source_bucket = sources[lr.source].loc.bucket;
        p.source_key = d.source.key;
        p.key = std::move(d.dest_key);
        p.storage_class = opts.storage_class;
        p.sse = opts.sse;
        p.sse_kms_key_id = opts.sse_kms_key_id;
        s3::copy_object_result res;
        ec = co_await client.copy_object(opts.destination.bucket, std::move(p), res, diag);
        if (!ec && !copy_confirmed_by_etag(d.source.etag, res.etag)) {
            std::string dest_key = sources[lr.source].map.to_dest(d.source.key);
            ec = co_await confirm_size(client, opts.destination.bucket, std::move(dest_key), d.source.size,
                                       "the destination", diag);
        }
    }
    if (ec) {
        object_failed(lr, d.source.key, multipart ? "MultipartCopy" : "CopyObject", ec, diag);
    } else {
        counters delta;
        delta.copied = 1;
        delta.bytes_copied = d.source.size;
        result.rep.count(lr.source, delta);
        rate.on_success();
        copy_slots.set_limit(static_cast<std::size_t>(rate.limit()));
        confirmed(lr, d.source.key);
    }
    copy_slots.release();
    --workers;
    notify();
}

void transfer::impl::object_done(leaf_run& lr, const std::string& key) {
    (void)lr.wm.done(key);
    --lr.pending;
    leaf_progress(lr);  // may forget lr: do not touch it after this
}

void transfer::impl::object_failed(leaf_run& lr, const std::string& key, std::string_view op,
                                   std::error_code ec, const diagnostics& diag) {
    failure_record f;
    f.operation = std::string(op);
    f.bucket = diag.bucket.empty() ? sources[lr.source].loc.bucket : diag.bucket;
    f.key = diag.key.empty() ? key : diag.key;
    f.s3_code = diag.s3_code.empty() ? ec.message() : diag.s3_code;
    f.message = diag.message.empty() ? diag.detail : diag.message;
    f.attempts = static_cast<int>(diag.attempts);
    result.rep.add_failure(lr.source, std::move(f));  // counts it as failed
    // One line per failure for the first ones; the report has them all.
    auto failed = result.rep.totals.failed;
    if (opts.log && failed == max_logged_failures + 1) {
        opts.log("s3merge: more failures follow; they are not logged one by one" +
                 std::string(opts.report_path.empty() ? " (--report FILE.json lists them)" : " (see the report)"));
    }
    if (opts.log && failed <= max_logged_failures) {
        auto line = "s3merge: failed: " + diag.to_string();
        auto hint = hint_for(ec, diag);
        if (!hint.empty()) line += " — " + hint;
        opts.log(line);
    }
    // The journal's watermark never passes a failed key: a re-run retries it.
    if (!lr.frozen) lr.frozen = lr.wm.watermark();
    object_done(lr, key);
}

void transfer::impl::confirmed(leaf_run& lr, const std::string& key) {
    if (!opts.move) {
        object_done(lr, key);
        return;
    }
    auto& batch = delete_batches[lr.source];
    batch.push_back({&lr, key});
    if (batch.size() >= s3::max_delete_objects) {
        std::vector<delete_item> full;
        full.swap(batch);
        ++workers;
        asio::co_spawn(ex, flush_deletes(lr.source, std::move(full)), asio::detached);
    }
}

void transfer::impl::flush_all_deletes() {
    for (std::size_t i = 0; i < delete_batches.size(); ++i) {
        if (delete_batches[i].empty()) continue;
        std::vector<delete_item> batch;
        batch.swap(delete_batches[i]);
        ++workers;
        asio::co_spawn(ex, flush_deletes(i, std::move(batch)), asio::detached);
    }
}

asio::awaitable<void> transfer::impl::flush_deletes(std::size_t si, std::vector<delete_item> batch) {
    co_await copy_slots.acquire();
    s3::delete_objects_params p;
    p.quiet = true;
    for (const auto& item : batch) p.objects.push_back({item.key, {}});
    s3::delete_objects_result res;
    diagnostics diag;
    auto ec = co_await client.delete_objects(sources[si].loc.bucket, p, res, diag);
    if (ec) {
        for (auto& item : batch) {
            diagnostics d = diag;
            d.key = item.key;
            object_failed(*item.leaf, item.key, "DeleteObjects", ec, d);
        }
    } else {
        std::map<std::string, const s3::delete_error*, std::less<>> errors;
        for (const auto& e : res.errors) errors[e.key] = &e;
        for (auto& item : batch) {
            auto it = errors.find(item.key);
            if (it != errors.end()) {
                diagnostics d;
                d.operation = "DeleteObjects";
                d.bucket = sources[si].loc.bucket;
                d.key = item.key;
                d.s3_code = it->second->code;
                d.message = it->second->message;
                d.attempts = diag.attempts;
                object_failed(*item.leaf, item.key, "DeleteObjects",
                              s3::classify_error(403, it->second->code), d);
            } else {
                counters delta;
                delta.deleted = 1;
                result.rep.count(si, delta);
                object_done(*item.leaf, item.key);
            }
        }
    }
    copy_slots.release();
    --workers;
    notify();
}

} // namespace s3merge::engine
