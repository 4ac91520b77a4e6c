// Dropping a bucket with everything in it — a safe `aws s3 rb --force`:
// every object version and delete marker, every unfinished multipart upload,
// then the bucket. Used by `s3merge cloudtrail drop-sources` after the caller
// has verified the bucket's content elsewhere. See docs/bucket-drop.md.
//
// Safe means: the bucket is deleted only when everything in it was removed;
// with a guard, nothing written at or after the guard is deleted (it arrived
// after the verification) and the bucket is kept; any failure keeps the
// bucket and says why, on which bucket and key, and what to do.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "s3merge/client/s3_client.hpp"
#include "s3merge/engine/report.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

// At most this many failures are kept in detail; the rest are counted.
constexpr std::size_t max_drop_failures = 1000;

struct drop_options {
    std::string bucket;
    // Versions and delete markers last modified at or after this, and
    // multipart uploads initiated at or after it, are kept (they appeared
    // after the caller verified the bucket), and so is the bucket. So is an
    // entry whose date cannot be read.
    std::optional<std::chrono::system_clock::time_point> guard;
    bool dry_run = false;           // list and count only: nothing is deleted (used by `plan`)
    std::size_t max_in_flight = 8;  // DeleteObjects / Abort requests in flight (bounded; 0 means 1)
    std::function<void(std::string_view)> log;  // one line per notable event (no secrets)
};

struct drop_result {
    std::uint64_t versions = 0, delete_markers = 0, uploads = 0;  // found
    std::uint64_t versions_deleted = 0, delete_markers_deleted = 0, uploads_aborted = 0;
    std::uint64_t bytes = 0;            // of the versions found
    std::uint64_t kept_newer = 0;       // not deleted: at or after the guard (uploads included)
    std::uint64_t kept_unreadable = 0;  // not deleted: unreadable date (with a guard)
    bool bucket_deleted = false;
    std::vector<failure_record> failures;  // at most max_drop_failures
    std::uint64_t failures_omitted = 0;
    // Why the bucket was kept: empty when it was deleted, or in dry_run when
    // a real run would delete it. no_such_bucket when it did not exist at the
    // start; bucket_not_empty when entries were kept (guard) or kept
    // arriving; access_denied for permissions and Object Lock; else the
    // error of the failed operation.
    std::error_code ec;
    // The one line to show is diag.to_string(): the operation, the bucket,
    // what S3 said, and the fix. For failed keys or kept entries: operation
    // "DropBucket", the bucket, and the explanation in detail — "DropBucket
    // s3://b: 12 object versions could not be deleted (AccessDenied: ...;
    // e.g. key k) — remove the legal hold or ...". For a failed request
    // (listing, DeleteBucket): that request's diagnostics, the fix in detail.
    diagnostics diag;
};

// Lists every version and delete marker of the bucket page by page (memory:
// one page plus the batches in flight) and deletes them in DeleteObjects
// batches of up to 1000 (quiet), at most max_in_flight requests at a time;
// aborts every multipart upload (NoSuchUpload counts as aborted); then, if
// nothing failed and nothing was kept, deletes the bucket. If DeleteBucket
// answers BucketNotEmpty (objects arrived meanwhile), runs all of it once
// more, then gives up. In dry_run, sends only GET requests.
// Never throws; all outcomes are in the result.
boost::asio::awaitable<drop_result> drop_bucket(s3::client& c, drop_options o);

}  // namespace s3merge::engine
