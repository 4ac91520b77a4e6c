// Dropping a bucket: list versions -> DeleteObjects batches (bounded in
// flight) -> abort multipart uploads -> DeleteBucket, with one more pass when
// objects arrived meanwhile. The decisions (what to batch, what to keep, how
// to explain failures) are pure, in engine/drop_plan.
#include "s3merge/engine_io/bucket_drop.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <map>
#include <set>
#include <utility>

#include "s3merge/engine/drop_plan.hpp"
#include "s3merge/engine_io/async_limiter.hpp"

namespace s3merge::engine {

namespace asio = boost::asio;

namespace {

std::string count_of(std::uint64_t n, std::string_view what) {
    return std::to_string(n) + " " + std::string(what);
}

class dropper {
public:
    dropper(s3::client& c, drop_options& o)
        : c_(c), o_(o), slots_(c.executor(), o.max_in_flight ? o.max_in_flight : 1) {}

    asio::awaitable<void> run();
    drop_result& result() { return r_; }

private:
    asio::awaitable<std::error_code> versions_pass(diagnostics& d);
    asio::awaitable<std::error_code> uploads_pass(diagnostics& d);
    asio::awaitable<void> delete_batch(drop_batch b);
    asio::awaitable<void> abort_upload(s3::multipart_upload_entry u);
    // Waits until no request is in flight: holds every slot, then frees them.
    asio::awaitable<void> wait_idle();

    void fail(failure_record f);
    void log(const std::string& line) const {
        if (o_.log) o_.log(line);
    }
    // The bucket is kept because of a failed request (listing, DeleteBucket).
    void stop_on(std::error_code ec, diagnostics d);
    // The bucket is kept because of failed keys/uploads or kept entries.
    void keep_bucket();

    s3::client& c_;
    drop_options& o_;
    drop_result r_;
    async_limiter slots_;
    drop_failure_summary summary_;
    bool request_failed_ = false;  // a whole DeleteObjects request failed: stop listing
    std::error_code request_ec_;   // the first such failure, reported as the reason
    diagnostics request_diag_;
    std::string kept_sample_;  // a kept key, for the message
};

void dropper::fail(failure_record f) {
    summary_.add(f);
    if (r_.failures.size() < max_drop_failures)
        r_.failures.push_back(std::move(f));
    else
        ++r_.failures_omitted;
}

asio::awaitable<void> dropper::wait_idle() {
    const std::size_t n = slots_.limit();
    for (std::size_t i = 0; i < n; ++i) co_await slots_.acquire();
    for (std::size_t i = 0; i < n; ++i) slots_.release();
}

asio::awaitable<void> dropper::delete_batch(drop_batch b) {
    s3::delete_objects_params p;
    p.quiet = true;
    p.objects = b.identifiers();
    s3::delete_objects_result res;
    diagnostics d;
    const std::error_code ec = co_await c_.delete_objects(o_.bucket, p, res, d);
    if (ec) {
        // The whole request failed (after the client's retries): every key
        // of it failed, and listing more would only fail the same way.
        if (!request_failed_) {
            request_failed_ = true;
            request_ec_ = ec;
            request_diag_ = d;
        }
        log("s3merge: drop: " + d.to_string());
        for (const drop_entry& e : b.entries) {
            diagnostics k = d;
            k.key = e.key;
            fail(make_failure(k, ec));
        }
    } else {
        // Quiet mode: only failed keys are listed. An error without a
        // version id names every version of its key.
        std::set<std::pair<std::string_view, std::string_view>> failed;
        std::set<std::string_view> failed_keys;
        std::map<std::string_view, const s3::delete_error*> error_of;
        for (const s3::delete_error& e : res.errors) {
            // Already gone is what we wanted (DeleteBucket checks the rest).
            if (e.code == "NoSuchKey" || e.code == "NoSuchVersion") continue;
            if (e.version_id.empty())
                failed_keys.insert(e.key);
            else
                failed.insert({e.key, e.version_id});
            error_of.emplace(e.key, &e);
        }
        std::uint64_t n_failed = 0;
        for (const drop_entry& e : b.entries) {
            if (failed.count({e.key, e.version_id}) || failed_keys.count(e.key)) {
                const s3::delete_error& err = *error_of.at(e.key);
                failure_record f;
                f.operation = "DeleteObjects";
                f.bucket = o_.bucket;
                f.key = e.key;
                f.s3_code = err.code;
                f.message = err.message;
                f.attempts = static_cast<int>(d.attempts);
                fail(std::move(f));
                ++n_failed;
            } else {
                ++(e.delete_marker ? r_.delete_markers_deleted : r_.versions_deleted);
            }
        }
        if (n_failed)
            log("s3merge: drop: DeleteObjects s3://" + o_.bucket + ": " + std::to_string(n_failed) + " of " +
                std::to_string(b.entries.size()) + " keys failed, e.g. " +
                std::string(error_of.begin()->first) + ": " + error_of.begin()->second->code);
    }
    slots_.release();
}

asio::awaitable<void> dropper::abort_upload(s3::multipart_upload_entry u) {
    s3::abort_multipart_upload_params p;
    p.key = std::move(u.key);
    p.upload_id = std::move(u.upload_id);
    diagnostics d;
    const std::error_code ec = co_await c_.abort_multipart_upload(o_.bucket, p, d);
    if (!ec || ec == errc::not_found) {  // 404 NoSuchUpload: already gone
        ++r_.uploads_aborted;
    } else {
        log("s3merge: drop: " + d.to_string());
        fail(make_failure(d, ec));
    }
    slots_.release();
}

asio::awaitable<std::error_code> dropper::versions_pass(diagnostics& d) {
    drop_batcher batcher(o_.guard);
    s3::list_object_versions_params lp;
    std::error_code ec;
    for (;;) {
        s3::list_object_versions_result page;
        d.clear();
        ec = co_await c_.list_object_versions(o_.bucket, lp, page, d);
        if (ec) break;
        batcher.add_page(page);
        bool last = !page.is_truncated;
        lp.key_marker = std::move(page.next_key_marker);
        lp.version_id_marker = std::move(page.next_version_id_marker);
        page = {};  // memory: one page, plus the batches in flight
        while (auto b = last ? batcher.take_any() : batcher.take_full()) {
            if (o_.dry_run) continue;
            co_await slots_.acquire();
            asio::co_spawn(c_.executor(), delete_batch(std::move(*b)), asio::detached);
        }
        if (last || request_failed_) break;
    }
    const drop_tally& t = batcher.tally();
    r_.versions += t.versions;
    r_.delete_markers += t.delete_markers;
    r_.bytes += t.bytes;
    r_.kept_newer += t.kept_newer;
    r_.kept_unreadable += t.kept_unreadable;
    if (kept_sample_.empty()) kept_sample_ = t.kept_sample_key;
    if (t.kept_newer + t.kept_unreadable)
        log("s3merge: drop: s3://" + o_.bucket + ": keeping " +
            count_of(t.kept_newer + t.kept_unreadable, "entries") +
            " written at or after the guard (or of unreadable date), e.g. " + t.kept_sample_key);
    co_return ec;
}

asio::awaitable<std::error_code> dropper::uploads_pass(diagnostics& d) {
    s3::list_multipart_uploads_params lp;
    for (;;) {
        s3::list_multipart_uploads_result page;
        d.clear();
        if (auto ec = co_await c_.list_multipart_uploads(o_.bucket, lp, page, d)) co_return ec;
        r_.uploads += page.uploads.size();
        for (auto& u : page.uploads) {
            // An upload started at or after the guard may be a delivery in
            // progress: kept like a newer version.
            if (auto v = judge(o_.guard, u.initiated); v != guard_verdict::drop) {
                ++(v == guard_verdict::newer ? r_.kept_newer : r_.kept_unreadable);
                if (kept_sample_.empty()) kept_sample_ = u.key;
                continue;
            }
            if (o_.dry_run) continue;
            co_await slots_.acquire();
            asio::co_spawn(c_.executor(), abort_upload(std::move(u)), asio::detached);
        }
        if (!page.is_truncated) co_return std::error_code{};
        lp.key_marker = std::move(page.next_key_marker);
        lp.upload_id_marker = std::move(page.next_upload_id_marker);
    }
}

void dropper::stop_on(std::error_code ec, diagnostics d) {
    std::string fix;
    if (ec == errc::no_such_bucket)
        fix = "the bucket does not exist (already dropped?)";
    else if (ec == errc::access_denied)
        fix = std::string(drop_fix(drop_failure_kind::access_denied));
    else
        fix = hint_for(ec, d);
    if (!fix.empty()) d.detail += (d.detail.empty() ? "" : "; ") + fix;
    r_.ec = ec;
    r_.diag = std::move(d);
}

void dropper::keep_bucket() {
    std::string why = summary_.explain();
    const std::uint64_t kept = r_.kept_newer + r_.kept_unreadable;
    if (kept) {
        if (!why.empty()) why += "; and ";
        if (r_.kept_newer)
            why += count_of(r_.kept_newer, "versions, delete markers or uploads were") +
                   " written at or after " +
                   (o_.guard ? format_iso8601(*o_.guard) : std::string("the guard")) +
                   ", after the bucket was verified";
        if (r_.kept_unreadable)
            why += std::string(r_.kept_newer ? " and " : "") + count_of(r_.kept_unreadable, "entries") +
                   " have an unreadable date";
        why += " (e.g. key " + kept_sample_ +
               ") — kept them and the bucket; verify the bucket again, then re-run "
               "drop-sources";
    }
    r_.ec = summary_.empty() ? make_error_code(errc::bucket_not_empty) : summary_.error();
    r_.diag.clear();
    r_.diag.operation = o_.dry_run ? "DropBucket (plan)" : "DropBucket";
    r_.diag.bucket = o_.bucket;
    r_.diag.detail = std::move(why);  // to_string(): "DropBucket s3://b: <why>"
}

asio::awaitable<void> dropper::run() {
    for (int pass = 0; pass < 2; ++pass) {
        diagnostics d;
        std::error_code ec = co_await versions_pass(d);
        co_await wait_idle();
        if (!ec && !request_failed_) {
            ec = co_await uploads_pass(d);
            co_await wait_idle();
        }
        log("s3merge: drop: s3://" + o_.bucket +
            (o_.dry_run ? ": found " : ": pass " + std::to_string(pass + 1) + ": found ") +
            count_of(r_.versions, "versions, ") + count_of(r_.delete_markers, "delete markers, ") +
            count_of(r_.uploads, "uploads; deleted ") + count_of(r_.versions_deleted, "versions, ") +
            count_of(r_.delete_markers_deleted, "delete markers, aborted ") +
            count_of(r_.uploads_aborted, "uploads"));
        if (ec) {
            stop_on(ec, std::move(d));
            co_return;
        }
        if (request_failed_) {  // its keys are in failures; the request says why
            stop_on(request_ec_, request_diag_);
            co_return;
        }
        if (!summary_.empty() || r_.kept_newer + r_.kept_unreadable) {
            keep_bucket();
            co_return;
        }
        if (o_.dry_run) co_return;
        d.clear();
        ec = co_await c_.delete_bucket(o_.bucket, d);
        if (!ec) {
            r_.bucket_deleted = true;
            log("s3merge: drop: deleted bucket s3://" + o_.bucket);
            co_return;
        }
        if (ec == errc::bucket_not_empty && pass == 0) {
            log("s3merge: drop: s3://" + o_.bucket +
                " is not empty any more (objects arrived meanwhile); one more pass");
            continue;
        }
        if (ec == errc::bucket_not_empty)
            d.detail =
                "objects kept arriving while the bucket was emptied twice; stop what writes to it (e.g. a "
                "trail delivering to it), then re-run drop-sources";
        stop_on(ec, std::move(d));
        co_return;
    }
}

}  // namespace

asio::awaitable<drop_result> drop_bucket(s3::client& c, drop_options o) {
    dropper d(c, o);
    co_await d.run();
    co_return std::move(d.result());
}

}  // namespace s3merge::engine
