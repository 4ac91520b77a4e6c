// The end-of-job report: counters in total and per source, retry and
// throttle counts, objects deliberately not copied, and the failures.
// Bounded: at most max_failures failures are kept in detail; the rest are
// only counted (failures_omitted). Encoded as pretty-printed JSON; see
// docs/engine-core.md for the format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "s3merge/engine/counters.hpp"
#include "s3merge/engine/key_map.hpp"
#include "s3merge/engine/telemetry.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

constexpr int report_version = 1;
constexpr std::size_t default_max_failures = 10000;

struct failure_record {
    std::string operation;  // "CopyObject", "DeleteObjects", ...
    std::string bucket;
    std::string key;
    std::string s3_code;  // may be empty (transport errors)
    std::string message;
    int attempts = 0;
};

// operation, bucket, key, s3_code and attempts from diag; message is diag's
// message, else its detail (transport errors), else ec.message().
failure_record make_failure(const diagnostics& diag, std::error_code ec);

// What a dry run (plan / verify) or the listing learnt about one source,
// beyond the progress counters. Not journaled.
struct source_details {
    std::uint64_t bytes_listed = 0;  // current objects listed
    std::uint64_t to_copy = 0;       // dry run: missing or different at the destination
    std::uint64_t bytes_to_copy = 0;
    std::uint64_t missing = 0;       // of to_copy: no such key at the destination
    std::uint64_t different = 0;     // of to_copy: size or ETag differs
    std::uint64_t unverifiable = 0;  // of different: same size, identity not provable from the
                                     // listing (multipart/empty ETag) nor by checksums
    std::uint64_t collisions = 0;    // source keys that another source maps onto the same
                                     // destination key with other content: neither copied
    std::uint64_t archived = 0;      // GLACIER / DEEP_ARCHIVE, not copied
    std::uint64_t noncurrent_versions = 0;
    std::uint64_t delete_markers = 0;

    source_details& operator+=(const source_details& o) {
        bytes_listed += o.bytes_listed, to_copy += o.to_copy, bytes_to_copy += o.bytes_to_copy;
        missing += o.missing, different += o.different, archived += o.archived;
        unverifiable += o.unverifiable, collisions += o.collisions;
        noncurrent_versions += o.noncurrent_versions, delete_markers += o.delete_markers;
        return *this;
    }
    friend bool operator==(const source_details&, const source_details&) = default;
};

// CloudTrail's overlap de-duplication, per region (`cloudtrail --dedup`).
struct overlap_record {
    std::string region, bucket;
    std::vector<std::string> days;  // the window
    std::uint64_t files_read = 0, events = 0, duplicate_events = 0;
    std::uint64_t duplicate_files = 0, partial_files = 0, filtered_files = 0, deleted = 0;
};

// One S3 operation's calls during the run: latencies in µs (whole calls,
// retries included), from a latency_histogram.
struct operation_record {
    std::string name;
    std::uint64_t calls = 0, errors = 0;
    std::uint64_t requests = 0, throttles = 0;  // every attempt; throttling answers among them
    std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, max = 0, sum = 0;
    std::vector<code_count> codes;           // failed calls by code ("other": beyond the slots)
    std::vector<code_count> throttle_codes;  // throttling answers by code
    // The latency distribution: (highest µs of a histogram bucket, calls in
    // it) for each bucket holding any, in order.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> histogram;
};

operation_record make_operation_record(const op_stats& s);

struct report {
    // Header, filled by the engine (timestamps as ISO 8601; "" = omitted).
    std::string job_id;
    std::string mode;  // "copy" / "move" / "plan" / "verify"
    location destination;
    std::string started_at;
    std::string finished_at;

    counters totals;
    std::vector<source_progress> sources;
    std::vector<source_details> details;  // parallel to sources (may be shorter)
    std::uint64_t retries = 0;
    std::uint64_t throttles = 0;
    std::uint64_t glacier_skipped = 0;     // archived objects not copied
    std::uint64_t noncurrent_skipped = 0;  // noncurrent versions not copied
    std::uint64_t uploads_aborted = 0;     // unfinished multipart uploads of an interrupted run, aborted
    std::uint64_t uploads_foreign = 0;     // unfinished uploads under the destination not of this job
    // Where the credentials came from (never the keys), and how many times
    // temporary credentials were renewed during the run.
    std::string credentials;
    std::uint64_t credential_renewals = 0;
    std::vector<operation_record> operations;  // per S3 operation, in the order first called
    std::vector<host_stats> hosts;             // per endpoint
    std::uint64_t duration_ms = 0;             // the run, start to finish
    // Cumulative counts sampled every timeline_interval_ms (see telemetry.hpp).
    std::uint64_t timeline_interval_ms = 0;
    std::vector<timeline_point> timeline;
    std::uint64_t limit_changes = 0;                 // adaptive concurrency limit changes (throttling)
    std::uint64_t limit_lowest = 0;                  // the lowest limit it reached
    std::uint64_t listing_splits = 0;                // key ranges split off for parallel listing
    std::uint64_t shard_index = 0, shard_count = 1;  // a sharded job's shard (count 1: not sharded)
    std::uint64_t max_requests_per_second = 0;       // caps in force (0: none)
    std::uint64_t max_bytes_per_second = 0;
    std::string dedup;                    // "keep" / "filter" when the overlap was de-duplicated
    std::vector<overlap_record> overlap;  // regions with a window
    // Of totals.failed: failures of the network (the host did not answer,
    // the connection broke, a timeout) rather than of S3.
    std::uint64_t network_failures = 0;
    std::vector<failure_record> failures;  // at most max_failures
    std::uint64_t failures_omitted = 0;
    std::size_t max_failures = default_max_failures;

    // Adds delta to sources[source] and to totals.
    void count(std::size_t source, const counters& delta);
    // Takes back a count (an object counted as copied or skipped whose move
    // then failed is a failure only: copied + skipped + failed <= listed).
    void uncount(std::size_t source, const counters& delta);
    // Counts one failure (failed += 1 for the source and the totals) and keeps
    // its detail while there is room.
    void add_failure(std::size_t source, failure_record f);
};

// "0 B", "1023 B", "1.5 KiB", "3.2 GiB", "1.0 TiB": for status lines and tables.
std::string human_bytes(std::uint64_t bytes);

// Pretty JSON with a trailing newline. A key that is not valid UTF-8 is
// written with U+FFFD replacements plus a "key_hex" field holding its bytes.
std::string encode_report(const report& r);

// Reads a report written by encode_report (for `report show|compare|html`).
// errc::invalid_argument with diag.detail naming the field on anything else.
std::error_code decode_report(std::string_view json, report& out, diagnostics& diag);

// The reports of a sharded job's shards as one (`s3merge report merge`):
// counts added, per source by URI, operations by name (histograms merged,
// percentiles recomputed), hosts by name, timelines added second by second
// from each shard's start, failures concatenated (bounded). `problem` says
// what does not fit (other jobs, shards missing or twice); empty when the
// set is whole.
report merge_reports(const std::vector<report>& shards, std::string& problem);

}  // namespace s3merge::engine
