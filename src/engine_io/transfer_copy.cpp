// Copies, verification and batched deletes of a transfer.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <algorithm>
#include <iterator>

#include "engine_io/transfer_impl.hpp"
#include "s3merge/engine_io/parallel_for.hpp"
#include "s3merge/engine_io/verified_copy.hpp"

namespace s3merge::engine {

namespace {
// HeadObject checks of one delete batch in flight at once (each also takes
// a slot of the global budget while it runs).
constexpr std::size_t head_checks_in_flight = 16;
}  // namespace

asio::awaitable<std::error_code> confirm_size(s3::client& c, std::string bucket, std::string key,
                                              std::uint64_t expected, std::string_view what,
                                              diagnostics& diag) {
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

asio::awaitable<std::error_code> verified_copy(s3::client& c, std::string dst_bucket,
                                               s3::copy_object_params p, std::uint64_t src_size,
                                               std::string src_etag, s3::copy_object_result& res,
                                               diagnostics& diag) {
    // The parameters move into the call; only the destination key is needed
    // afterwards.
    std::string key = p.key;
    if (auto ec = co_await c.copy_object(dst_bucket, std::move(p), res, diag)) co_return ec;
    if (copy_confirmed_by_etag(src_etag, res.etag)) co_return std::error_code{};
    co_return co_await confirm_size(c, std::move(dst_bucket), std::move(key), src_size, "the destination",
                                    diag);
}

asio::awaitable<checksum_verdict> transfer::impl::compare_checksums(const leaf_run& lr, const decision& d) {
    s3::head_object_result src, dst;
    diagnostics ignored;
    s3::head_object_params hp;
    hp.checksum_mode = true;
    hp.key = d.source.key;
    if (co_await client.head_object(sources[lr.source].loc.bucket, hp, src, ignored))
        co_return checksum_verdict::unknown;
    hp.key = d.dest_key;
    if (co_await client.head_object(opts.destination.bucket, hp, dst, ignored))
        co_return checksum_verdict::unknown;
    // Changed since listed: the listing's sizes no longer describe these.
    if (src.size != d.source.size || src.size != dst.size) co_return checksum_verdict::unknown;
    co_return identity_from_checksums(src.checksums, dst.checksums);
}

asio::awaitable<void> transfer::impl::copy_one(leaf_run& lr, decision d) {
    diagnostics diag;
    std::error_code ec;
    if (d.what == action::check) {
        // Same size, but the ETags prove nothing: full-object checksums on
        // both sides may; otherwise a copy (never a skip or a delete on size).
        auto verdict = co_await compare_checksums(lr, d);
        auto& det = result.rep.details[lr.source];
        if (verdict == checksum_verdict::identical) {
            counters sd;
            sd.skipped = 1;
            result.rep.count(lr.source, sd);
            if (opts.verify)
                object_done(lr, d.source.key);
            else
                confirmed(lr, d.source.key, d.source.etag, false);
        } else if (opts.verify) {
            // Not identical on evidence: "different", as a plan counts it.
            ++det.different;
            ++det.unverifiable;
            diag.operation = "Verify";
            diag.bucket = sources[lr.source].loc.bucket;
            diag.key = d.source.key;
            diag.s3_code = verdict == checksum_verdict::different ? "ChecksumDiffers" : "Unverifiable";
            diag.message =
                verdict == checksum_verdict::different
                    ? "full-object checksum differs at s3://" + opts.destination.bucket + "/" + d.dest_key
                    : "same size at s3://" + opts.destination.bucket + "/" + d.dest_key +
                          ", but the ETags (" + d.source.etag +
                          ") cannot prove the same content and "
                          "neither side has a full-object checksum: copy it again (s3merge copy) to make it "
                          "provable";
            object_failed(lr, d.source.key, "Verify", make_error_code(errc::s3_error), diag);
        }
        if (verdict == checksum_verdict::identical || opts.verify) {
            copy_slots.release();
            --workers;
            notify();
            co_return;
        }
        ++det.unverifiable;
    }
    const bool multipart = d.source.size > opts.multipart_threshold;
    std::string copied_version;
    if (multipart) {
        ec = co_await copy_multipart(lr, d, diag);
    } else {
        s3::copy_object_params p;
        p.source_bucket = sources[lr.source].loc.bucket;
        p.source_key = d.source.key;
        p.key = std::move(d.dest_key);
        p.storage_class = opts.storage_class;
        p.sse = opts.sse;
        p.sse_kms_key_id = opts.sse_kms_key_id;
        // Pinned to the listed version: a source overwritten since the
        // listing is not copied in its place (412 where S3 honours it).
        p.source_if_match = d.source.etag;
        s3::copy_object_result res;
        ec = co_await client.copy_object(opts.destination.bucket, std::move(p), res, diag);
        copied_version = std::move(res.source_version_id);
        if (!ec && !copy_confirmed_by_etag(d.source.etag, res.etag)) {
            std::string dest_key = sources[lr.source].map.to_dest(d.source.key);
            ec = co_await confirm_size(client, opts.destination.bucket, std::move(dest_key), d.source.size,
                                       "the destination", diag);
        }
    }
    if (ec) {
        if (ec == errc::precondition_failed) {
            diag.s3_code = "SourceChanged";
            diag.message = "the source changed after it was listed (ETag no longer " + d.source.etag +
                           "): not copied, not deleted; re-run to copy its new content";
        }
        object_failed(lr, d.source.key, multipart ? "MultipartCopy" : "CopyObject", ec, diag);
    } else {
        counters delta;
        delta.copied = 1;
        delta.bytes_copied = d.source.size;
        result.rep.count(lr.source, delta);
        rate.on_success();
        copy_slots.set_limit(static_cast<std::size_t>(rate.limit()));
        confirmed(lr, d.source.key, d.source.etag, true, std::move(copied_version));
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
    if (stopping && (ec == errc::cancelled || result.fatal)) {
        // Cut short by the stop (Ctrl-C, a host that is down): not a failure
        // of the object; the journal's watermark stays before it.
        if (!lr.frozen) lr.frozen = lr.wm.watermark();
        object_done(lr, key);
        return;
    }
    failure_record f;
    f.operation = std::string(op);
    f.bucket = diag.bucket.empty() ? sources[lr.source].loc.bucket : diag.bucket;
    f.key = diag.key.empty() ? key : diag.key;
    f.s3_code = diag.s3_code.empty() ? ec.message() : diag.s3_code;
    f.message = diag.message.empty() ? diag.detail : diag.message;
    f.attempts = static_cast<int>(diag.attempts);
    result.rep.add_failure(lr.source, std::move(f));  // counts it as failed
    if (is_transport_failure(ec)) ++result.rep.network_failures;
    // One line per failure for the first ones; the report has them all.
    auto failed = result.rep.totals.failed;
    if (opts.log && failed == max_logged_failures + 1) {
        opts.log(
            "s3merge: more failures follow; they are not logged one by one" +
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

void transfer::impl::confirmed(leaf_run& lr, const std::string& key, const std::string& etag, bool copied,
                               std::string version_id) {
    if (!opts.move) {
        object_done(lr, key);
        return;
    }
    auto& batch = delete_batches[lr.source];
    batch.push_back({&lr, key, etag, std::move(version_id), copied});
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

void transfer::impl::delete_failed(std::size_t si, delete_item& item, std::string_view op, std::error_code ec,
                                   const diagnostics& diag) {
    if (!(stopping && (ec == errc::cancelled || result.fatal))) {
        counters undo;
        (item.copied ? undo.copied : undo.skipped) = 1;
        result.rep.uncount(si, undo);
    }
    object_failed(*item.leaf, item.key, op, ec, diag);
}

void transfer::impl::delete_done(std::size_t si, delete_item& item) {
    counters delta;
    delta.deleted = 1;
    result.rep.count(si, delta);
    object_done(*item.leaf, item.key);
}

asio::awaitable<void> transfer::impl::drop_changed(std::size_t si, std::vector<delete_item>& batch) {
    const std::string& bucket = sources[si].loc.bucket;
    std::vector<char> keep(batch.size(), 1);
    co_await parallel_for(batch.size(), head_checks_in_flight, [&](std::size_t i) -> asio::awaitable<void> {
        auto& item = batch[i];
        co_await copy_slots.acquire();
        s3::head_object_params hp;
        hp.key = item.key;
        s3::head_object_result head;
        diagnostics diag;
        auto ec = co_await client.head_object(bucket, hp, head, diag);
        copy_slots.release();
        if (ec == errc::not_found || ec == errc::no_such_key) {
            keep[i] = 0;  // gone already: nothing to delete, nothing lost
            object_done(*item.leaf, item.key);
            co_return;
        }
        bool same_version =
            item.version_id.empty() || head.version_id.empty() || head.version_id == item.version_id;
        if (!ec && (!same_version || !iequals(head.etag, item.etag))) {
            diag.operation = "HeadObject";
            diag.bucket = bucket;
            diag.key = item.key;
            diag.s3_code = "SourceChanged";
            diag.message = "the source was overwritten after it was copied (ETag now " + head.etag +
                           ", copied " + item.etag + "): kept; re-run to copy its new content";
            ec = make_error_code(errc::precondition_failed);
        }
        if (ec) {
            keep[i] = 0;
            delete_failed(si, item, "DeleteObjects", ec, diag);
        }
    });
    std::size_t n = 0;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (!keep[i]) continue;
        if (n != i) batch[n] = std::move(batch[i]);
        ++n;
    }
    batch.resize(n);
}

asio::awaitable<void> transfer::impl::flush_deletes(std::size_t si, std::vector<delete_item> batch) {
    const std::string& bucket = sources[si].loc.bucket;
    // Only what was copied is deleted: a conditional delete (the ETag in the
    // request) where the service evaluates it, else a HeadObject of each key
    // right before the delete.
    if (!opts.conditional_deletes) co_await drop_changed(si, batch);
    // Keys XML 1.0 cannot carry go one by one, in the URL, so that one key
    // cannot fail the batch.
    std::vector<delete_item> singles;
    {
        auto xml_ok = std::stable_partition(batch.begin(), batch.end(), [](const delete_item& item) {
            return s3::xml_can_carry_key(item.key);
        });
        std::move(xml_ok, batch.end(), std::back_inserter(singles));
        batch.erase(xml_ok, batch.end());
    }
    for (auto& item : singles) {
        co_await copy_slots.acquire();
        s3::object_identifier o{item.key, {}, opts.conditional_deletes ? item.etag : std::string()};
        diagnostics diag;
        auto ec = co_await client.delete_object(bucket, o, diag);
        copy_slots.release();
        if (ec)
            delete_failed(si, item, "DeleteObject", ec, diag);
        else
            delete_done(si, item);
    }
    if (!batch.empty()) {
        co_await copy_slots.acquire();
        s3::delete_objects_params p;
        p.quiet = true;
        for (const auto& item : batch)
            p.objects.push_back({item.key, {}, opts.conditional_deletes ? item.etag : std::string()});
        s3::delete_objects_result res;
        diagnostics diag;
        auto ec = co_await client.delete_objects(bucket, p, res, diag);
        copy_slots.release();
        if (ec) {
            // The whole request failed: every key of it is named.
            for (auto& item : batch) {
                diagnostics d = diag;
                d.key = item.key;
                if (!diag.key.empty() && diag.key != item.key)
                    d.detail = "in a DeleteObjects batch that failed because of key '" + diag.key +
                               "': " + diag.detail;
                delete_failed(si, item, "DeleteObjects", ec, d);
            }
        } else {
            std::map<std::string, const s3::delete_error*, std::less<>> errors;
            for (const auto& e : res.errors) errors[e.key] = &e;
            for (auto& item : batch) {
                auto it = errors.find(item.key);
                if (it == errors.end()) {
                    delete_done(si, item);
                    continue;
                }
                diagnostics d;
                d.operation = "DeleteObjects";
                d.bucket = bucket;
                d.key = item.key;
                d.s3_code = it->second->code;
                d.message = it->second->message;
                d.attempts = diag.attempts;
                auto kec = s3::classify_error(403, it->second->code);
                if (it->second->code == "PreconditionFailed") {
                    d.s3_code = "SourceChanged";
                    d.message =
                        "the source was overwritten after it was copied: kept; re-run to copy its new "
                        "content";
                    kec = make_error_code(errc::precondition_failed);
                }
                delete_failed(si, item, "DeleteObjects", kec, d);
            }
        }
    }
    --workers;
    notify();
}

}  // namespace s3merge::engine
