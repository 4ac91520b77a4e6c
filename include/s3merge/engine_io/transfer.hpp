// The transfer engine: many sources into one destination, pipelined and
// bounded. Listers stream ListObjectsV2 pages (with prefix fan-out) through a
// merge-join against the destination listing; copy workers run server-side
// CopyObject (or a multipart copy) under one global in-flight budget that
// adapts to throttling (AIMD); a move deletes a source key only after its copy
// is verified, in DeleteObjects batches. A journal of per-leaf watermarks
// makes a re-run resume. See docs/pipeline.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "s3merge/client/s3_client.hpp"
#include "s3merge/engine/counters.hpp"
#include "s3merge/engine/key_map.hpp"
#include "s3merge/engine/log_record.hpp"
#include "s3merge/engine/object_filter.hpp"
#include "s3merge/engine/shard.hpp"
#include "s3merge/engine/report.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

struct transfer_options {
    bool move = false;
    // Dry runs list and compare only: nothing is written, no journal.
    //   plan:   objects to copy are counted (report details), not copied;
    //   verify: every source object not identical at the destination is a
    //           failure ("Missing", "SizeDiffers", "ETagDiffers").
    bool dry_run = false;
    bool verify = false;  // implies dry_run
    std::vector<location> sources;
    location destination;
    // Per source (parallel to sources), the destination prefix its keys go
    // under; empty: destination.prefix for every source.
    std::vector<std::string> dest_prefixes;

    std::size_t concurrency = 256;    // requests in flight, all sources together
    std::size_t min_concurrency = 8;  // AIMD floor
    std::size_t max_listers = 64;     // leaves (or discovery tasks) listed at once
    int fanout_depth = 4;             // levels of '/' discovered below each source prefix
    int page_size = 1000;
    bool overwrite = false;
    bool glacier_fail = false;  // default: skip archived objects and count them
    std::uint64_t multipart_threshold = 5ull << 30;
    std::uint64_t part_size = 256ull << 20;
    std::string storage_class;
    std::string sse;
    std::string sse_kms_key_id;
    // A move's deletes carry the copied ETag (DeleteObjects <ETag>, If-Match)
    // and S3 refuses to delete an object that changed since: for services
    // that evaluate conditional deletes (AWS S3). Otherwise each batch's keys
    // are checked with HeadObject right before the delete.
    bool conditional_deletes = false;

    std::string journal_path;  // empty: no journal
    std::chrono::milliseconds journal_interval{2000};
    std::string report_path;  // empty: no report file

    // Progress: called with a status line every progress_interval.
    std::function<void(std::string_view line, bool final)> progress;
    std::chrono::milliseconds progress_interval{5000};
    // Diagnostics for humans (one line each): failures, resume notes.
    std::function<void(std::string_view line)> log;
    // Source keys left out of the job (never listed into it, copied or
    // deleted): e.g. log files the overlap de-duplication handles itself.
    std::function<bool(std::size_t source, std::string_view key)> exclude;
    // Which listed objects the job takes (--include/--exclude globs on the
    // key relative to its source prefix, --modified-after/-before), and per
    // source a key range (CloudTrail --from-date/--to-date; parallel to
    // sources, may be shorter): discovery does not list sub-prefixes outside
    // it. Both are part of the job's identity. Objects left out are not
    // listed into the job: never copied, counted or deleted.
    object_filter filter;
    std::vector<key_range> source_ranges;
    // One shard of a sharded job (engine/shard.hpp): only keys of this
    // shard are listed into the job; prefixes wholly of other shards are not
    // listed. Per source (parallel, may be shorter: fanout_depth), the
    // number of '/' components after its prefix that decide a key's shard.
    // Part of the job's identity.
    shard_spec shard;
    std::vector<unsigned> shard_depths;
    // Dry runs: each object that would be copied (see plan_options).
    std::function<void(std::size_t source, const s3::object_entry& o, bool archived)> would_copy;
    // Bytes copied server-side per second, all copies together (CopyObject
    // and each UploadPartCopy take their size from a token bucket before
    // they are sent; 0: no cap). The request cap is the client's.
    double max_bytes_per_second = 0;
    // Prometheus text exposition: written to metrics_file (through a
    // temporary file, renamed) every metrics_interval and at the end, and
    // served at http://metrics_listen/metrics ("127.0.0.1:9187") while the
    // run lasts. Empty: off.
    std::string metrics_file;
    std::chrono::milliseconds metrics_interval{5000};
    std::string metrics_listen;
    // Log steps with their level, event and diagnostics (--log-format
    // json); when unset they go to `log` as lines.
    std::function<void(const log_record&)> log_event;
};

struct transfer_result {
    report rep;
    // The job could not run (bad bucket, overlap, journal), or stopped: a
    // host that stopped answering (a transport errc, exit 4).
    std::error_code fatal;
    diagnostics fatal_diag;
    bool interrupted = false;
    // The report (--report) could not be written at the end of the run.
    std::error_code report_error;
    diagnostics report_diag;
    bool resumed = false;
    std::uint64_t leaves_resumed = 0;   // leaves restarted after their watermark
    std::uint64_t leaves_complete = 0;  // leaves the journal said were done
    counters resumed_totals;            // what the interrupted run(s) had done
    std::string metrics_address;        // where /metrics was served ("127.0.0.1:PORT")
};

// The job id (names the default journal): SHA-256 of the mode, the
// sources, the destination and any per-source destination prefixes.
std::string transfer_job_id(const transfer_options& o);

class transfer {
public:
    transfer(s3::client& client, transfer_options opts);
    ~transfer();
    transfer(const transfer&) = delete;
    transfer& operator=(const transfer&) = delete;

    boost::asio::awaitable<transfer_result> run();
    // Stop listing, let in-flight requests finish, write the journal. Safe
    // to call from a signal handler running on the same executor.
    void request_stop();
    // Writes the journal as it stands (a second Ctrl-C, just before exit).
    void save_journal_now();

    struct impl;

private:
    std::unique_ptr<impl> impl_;
};

}  // namespace s3merge::engine
