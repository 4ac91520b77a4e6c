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
    if (auto ec = co_await c.copy_object(dst_bucket, p, res, diag)) co_return ec;
    if (copy_confirmed_by_etag(src_etag, res.etag)) co_return std::error_code{};
    co_return co_await confirm_size(c, std::move(dst_bucket), std::move(p.key), src_size, "the destination",
                                    diag);
}

asio::awaitable<checksum_verdict> transfer::impl::compare_checksums(const object_ticket& t) {
    const decision& d = t.d;
    s3::head_object_result src, dst;
    diagnostics ignored;
    s3::head_object_params hp;
    hp.checksum_mode = true;
    hp.key = d.source.key;
    if (co_await client.head_object(sources[t.source].loc.bucket, hp, src, ignored))
        co_return checksum_verdict::unknown;
    hp.key = d.dest_key;
    if (co_await client.head_object(opts.destination.bucket, hp, dst, ignored))
        co_return checksum_verdict::unknown;
    // Changed since listed: the listing's sizes no longer describe these.
    if (src.size != d.source.size || src.size != dst.size) co_return checksum_verdict::unknown;
    co_return identity_from_checksums(src.checksums, dst.checksums);
}

asio::awaitable<void> transfer::impl::copy_one(object_ticket t) {
    // The request's parameters, kept from one copy of this worker to the
    // next: what is the same for every copy of a source (its bucket, the
    // job's storage class and encryption) is set when the source changes.
    s3::copy_object_params p;
    std::size_t p_source = sources.size();
    s3::copy_object_result res;  // its strings' buffers too
    do {
        const decision& d = t.d;
        // Same size, but the ETags prove nothing: full-object checksums on both
        // sides may; otherwise a copy (never a skip or a delete on size).
        bool copy = d.what != action::check || plan->on_checked(t, co_await compare_checksums(t));
        if (copy) {
            copy_outcome out;
            const bool multipart = d.source.size > opts.multipart_threshold;
            if (multipart) {
                out.operation = "MultipartCopy";
                out.ec = co_await copy_multipart(t.source, d, out.diag);
            } else {
                if (p_source != t.source) {
                    p_source = t.source;
                    p.source_bucket = sources[t.source].loc.bucket;
                    p.storage_class = opts.storage_class;
                    p.sse = opts.sse;
                    p.sse_kms_key_id = opts.sse_kms_key_id;
                }
                // The ticket's own strings (the driver holds the only copy):
                // lent to the request and taken back once it is answered.
                p.source_key = std::move(t.d.source.key);
                p.key = std::move(t.d.dest_key);
                // Pinned to the listed version: a source overwritten since the
                // listing is not copied in its place (412 where S3 honours it).
                p.source_if_match = std::move(t.d.source.etag);
                if (byte_cap) co_await pace_bytes(d.source.size);  // no frame when bytes are not capped
                // Nothing of the last copy's answer may stand for this one's
                // (the parsers clear it too): its buffers are kept, not its text.
                res.etag.clear();
                res.source_version_id.clear();
                out.ec = co_await client.copy_object(opts.destination.bucket, p, res, out.diag);
                t.d.source.key = std::move(p.source_key);
                t.d.dest_key = std::move(p.key);
                t.d.source.etag = std::move(p.source_if_match);
                out.source_version_id = std::move(res.source_version_id);
                if (!out.ec && !copy_confirmed_by_etag(d.source.etag, res.etag)) {
                    out.ec = co_await confirm_size(client, opts.destination.bucket, t.d.dest_key,
                                                   d.source.size, "the destination", out.diag);
                }
            }
            plan->on_copied(t, std::move(out));
        }
        drain();
    } while (take_ready(t));
    copy_slots.release();
    --workers;
    notify();
}

bool transfer::impl::take_ready(object_ticket& t) {
    if (rotation.empty() || stopping || copy_slots.waiting() > 0 || copy_slots.in_use() > copy_slots.limit())
        return false;
    pop_ready(t);
    return true;
}

namespace {
// The strings of a ticket were written when its page was listed, long ago
// as the CPU's caches go (512 copies in flight pass through them since):
// the ticket that goes next has them asked for now, so that they are in
// cache when its request is written.
void prefetch_strings(const object_ticket& t) {
    for (const std::string* s : {&t.d.source.key, &t.d.dest_key}) {
        __builtin_prefetch(s->data());
        if (s->size() > 64) __builtin_prefetch(s->data() + 64);
    }
    __builtin_prefetch(t.d.source.etag.data());
}
}  // namespace

void transfer::impl::pop_ready(object_ticket& into) {
    lister_queue* q = rotation.front();
    rotation.pop_front();
    into = std::move(q->items.front());
    q->items.pop_front();
    if (q->items.empty())
        q->in_rotation = false;
    else
        rotation.push_back(q);
    if (!rotation.empty()) prefetch_strings(rotation.front()->items.front());
    // Its lister, waiting for room (half its queue) or for the queue to
    // empty (its leaf is listed), wakes, alone; a lister waiting for its
    // leaf's window to shrink, at every copy done.
    if (q->waiting && q->items.size() <= lister_queue_cap / 2) q->wake.cancel();
    if (window_waiters > 0) notify();
}

void transfer::impl::enqueue(lister_queue& q, object_ticket&& t) {
    q.items.push_back(std::move(t));
    if (!q.in_rotation) {
        q.in_rotation = true;
        rotation.push_back(&q);
    }
    dispatch_ready();
}

void transfer::impl::dispatch_ready() {
    if (dispatching) return;  // a copy started here that ended at once (drain) comes back here
    dispatching = true;
    while (!rotation.empty() && !stopping && copy_slots.try_acquire()) {
        ++workers;
        object_ticket t;
        pop_ready(t);
        asio::co_spawn(ex, copy_one(std::move(t)), asio::detached);
    }
    dispatching = false;
}

void transfer::impl::settle_queue(lister_queue& q) {
    if (q.in_rotation) {
        rotation.erase(std::find(rotation.begin(), rotation.end(), &q));
        q.in_rotation = false;
    }
    while (!q.items.empty()) {
        object_ticket t = std::move(q.items.front());
        q.items.pop_front();
        copy_outcome out;
        out.ec = make_error_code(errc::cancelled);
        out.diag.operation = "CopyObject";
        out.diag.detail = "stopped before it was sent";
        plan->on_copied(t, std::move(out));
    }
    drain();
}

void transfer::impl::settle_ready() {
    while (!rotation.empty()) settle_queue(*rotation.front());
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
        if (auto out = plan->before_delete(item, ec, head.etag, head.version_id, std::move(diag))) {
            keep[i] = 0;
            plan->on_deleted(si, item, std::move(*out));
        }
    });
    drain();
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
        delete_outcome out;
        out.operation = "DeleteObject";
        out.ec = co_await client.delete_object(bucket, o, out.diag);
        copy_slots.release();
        plan->on_deleted(si, item, std::move(out));
        drain();
    }
    // Keys the service answered with a retryable error (SlowDown,
    // InternalError: DeleteObjects reports them per key inside a 200) are
    // sent again, after the client's backoff, within the retry budget.
    for (int attempt = 1; !batch.empty(); ++attempt) {
        co_await copy_slots.acquire();
        s3::delete_objects_params p;
        p.quiet = true;
        for (const auto& item : batch)
            p.objects.push_back({item.key, {}, opts.conditional_deletes ? item.etag : std::string()});
        s3::delete_objects_result res;
        diagnostics diag;
        auto ec = co_await client.delete_objects(bucket, p, res, diag);
        copy_slots.release();
        std::map<std::string, const s3::delete_error*, std::less<>> errors;
        if (!ec)
            for (const auto& e : res.errors) errors[e.key] = &e;
        std::vector<delete_item> again;
        std::error_code again_ec;
        const bool may_retry =
            attempt < client.config().retry.max_attempts && !client.cancelled() && !stopping;
        for (auto& item : batch) {
            delete_outcome out;
            if (ec) {
                // The whole request failed: every key of it is named.
                out.ec = ec;
                out.diag = diag;
                out.diag.key = item.key;
                if (!diag.key.empty() && diag.key != item.key)
                    out.diag.detail = "in a DeleteObjects batch that failed because of key '" + diag.key +
                                      "': " + diag.detail;
            } else if (auto it = errors.find(item.key); it != errors.end()) {
                out.diag.operation = "DeleteObjects";
                out.diag.bucket = bucket;
                out.diag.key = item.key;
                out.diag.s3_code = it->second->code;
                out.diag.message = it->second->message;
                out.diag.attempts = diag.attempts + static_cast<unsigned>(attempt - 1);
                out.ec = s3::classify_error(403, it->second->code);
                if (may_retry && is_retryable(out.ec)) {
                    again_ec = out.ec;
                    again.push_back(std::move(item));
                    continue;
                }
            }
            plan->on_deleted(si, item, std::move(out));
        }
        drain();
        if (again.empty()) break;
        co_await client.before_retry(again_ec, attempt, s3::op::delete_objects::name);
        batch = std::move(again);
    }
    --workers;
    notify();
}

}  // namespace s3merge::engine
