// The pure part of dropping a bucket ("a safe `aws s3 rb --force`"): the
// guard, the batcher that turns ListObjectVersions pages into
// DeleteObjects batches, and the one-line explanation of per-key failures.
// See docs/bucket-drop.md. No I/O; engine_io/bucket_drop.hpp drives it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/engine/report.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/s3/versions.hpp"
#include "s3merge/time.hpp"

namespace s3merge::engine {

using s3merge::sys_time;  // include/s3merge/time.hpp

// ---- the guard ----------------------------------------------------------------

enum class guard_verdict { drop, newer, unreadable };
// Without a guard: drop. With one: newer when `last_modified` (ISO 8601) is at
// or after it, unreadable when it does not parse (keep it: safe side), else
// drop. Applies to versions, delete markers and multipart uploads (Initiated).
guard_verdict judge(const std::optional<sys_time>& guard, std::string_view last_modified);

// ---- the batcher ------------------------------------------------------------

// One entry of a DeleteObjects batch.
struct drop_entry {
    std::string key;
    std::string version_id;
    bool delete_marker = false;
    std::uint64_t size = 0;
};

struct drop_batch {
    std::vector<drop_entry> entries;  // 1..batch size

    // The DeleteObjects identifiers, in entry order.
    std::vector<s3::object_identifier> identifiers() const;
};

struct drop_tally {
    std::uint64_t versions = 0;        // found (kept ones included)
    std::uint64_t delete_markers = 0;  // found (kept ones included)
    std::uint64_t bytes = 0;           // of the versions found
    // Not to be deleted: last modified at or after the guard...
    std::uint64_t kept_newer = 0;
    // ...or, with a guard, a LastModified that does not parse (safe side).
    std::uint64_t kept_unreadable = 0;
    std::string kept_sample_key;  // the first kept key, for messages
};

// Feeds ListObjectVersions pages in, hands DeleteObjects batches of exactly
// `batch_size` entries out (the last one may be smaller), across page
// boundaries. Versions and delete markers alike are batched. With a guard,
// an entry whose LastModified is at or after it — or does not parse — is
// counted and kept, never batched. Memory: the batch being filled plus the
// full batches not yet taken (one page's worth when taken after each page).
class drop_batcher {
public:
    explicit drop_batcher(std::optional<sys_time> guard = std::nullopt,
                          std::size_t batch_size = s3::max_delete_objects);

    void add_page(const s3::list_object_versions_result& page);
    void add_version(const s3::object_version& v);
    void add_delete_marker(const s3::delete_marker_entry& m);

    // A full batch, if one is ready.
    std::optional<drop_batch> take_full();
    // At the end of the listing: a full batch, else the partial one, else none.
    std::optional<drop_batch> take_any();

    const drop_tally& tally() const { return tally_; }

private:
    bool keep(std::string_view key, std::string_view last_modified);
    void push(drop_entry e);

    std::optional<sys_time> guard_;
    std::size_t batch_size_;
    drop_batch filling_;
    std::deque<drop_batch> full_;
    drop_tally tally_;
};

// ---- explaining failures -------------------------------------------------------

// Why a key or an upload could not be removed, and so what the user must do.
enum class drop_failure_kind {
    object_lock,    // retention or legal hold (AccessDenied or InvalidRequest naming them)
    access_denied,  // missing permission
    transient,      // throttling, server errors, timeouts, transport
    other,
};

// Decides from the S3 code and message (the message only tells Object Lock
// apart: S3 answers AccessDenied for it, some servers InvalidRequest).
drop_failure_kind classify_drop_failure(std::string_view s3_code, std::string_view message);

// What to do next, for a kind. (explain() says more for access_denied on
// object versions: a plain AccessDenied may also be Object Lock — Ceph RGW
// gives no reason.)
std::string_view drop_fix(drop_failure_kind kind);

// Collects the failures of one bucket (records from DeleteObjects or
// AbortMultipartUpload) into counts per kind with a sample of each, and
// explains them in one line.
class drop_failure_summary {
public:
    void add(const failure_record& f);

    bool empty() const { return total_ == 0; }
    std::uint64_t count() const { return total_; }
    // The kind with the most failures (ties: the order of drop_failure_kind).
    drop_failure_kind main_kind() const;
    // errc for the main kind: access_denied for object_lock and access_denied,
    // else the classification of its sample's code.
    std::error_code error() const;
    // "12 object versions could not be deleted (AccessDenied: Access Denied
    // because object protected by object lock.; e.g. key a/b.json) — remove the
    // legal hold or ...; and 2 multipart uploads could not be aborted (...)"
    // One line, without the bucket (callers put it in front or in diagnostics).
    std::string explain() const;
    // "<bucket>: " + explain().
    std::string line(std::string_view bucket) const { return std::string(bucket) + ": " + explain(); }

private:
    struct group {
        std::uint64_t versions = 0;  // DeleteObjects failures
        std::uint64_t uploads = 0;   // AbortMultipartUpload failures
        failure_record sample;
    };
    group groups_[4];
    std::uint64_t total_ = 0;
};

// ---- which source buckets may go (cloudtrail drop-sources) ------------------

struct bucket_verdict {
    bool drop = false;
    std::string why_kept;  // when kept: what keeps it (up to 10 keys named) and the fix, several lines
};
// A source bucket may be deleted only when a verification of the whole
// bucket (`verified`: its counters in that run's report) found every listed
// object identical at the destination: nothing failed and every object
// counted as identical. Anything else keeps it, naming the objects from
// `rep`'s failures for that bucket and `fix` (what to run first).
bucket_verdict judge_bucket(std::string_view bucket, const counters& verified, const report& rep,
                            std::string_view dest_bucket, std::string_view fix);

}  // namespace s3merge::engine
