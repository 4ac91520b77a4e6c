// Prometheus text exposition (format 0.0.4) of a run's counters and
// telemetry, for --metrics-file (node_exporter's textfile collector) and
// --metrics-listen (/metrics). Pure: the snapshot is assembled by the
// engine; this only encodes it. Every series carries the labels
// s3merge_job (the job id's first 16 hex digits) and mode, so files of
// several jobs can sit in one textfile directory.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "s3merge/engine/counters.hpp"
#include "s3merge/engine/telemetry.hpp"

namespace s3merge::engine {

struct metrics_snapshot {
    std::string job_id, mode;
    counters totals;
    std::vector<source_progress> sources;
    std::uint64_t retries = 0, throttles = 0, network_failures = 0;
    std::uint64_t in_flight = 0, limit = 0, limit_changes = 0;
    std::span<const op_stats> operations;
    std::vector<host_stats> hosts;
    double started_unix = 0;   // seconds since the epoch
    double finished_unix = 0;  // 0 while running
    bool succeeded = false;    // finished, nothing failed, not interrupted
};

// The latency buckets of s3merge_request_duration_seconds (upper bounds, s).
std::span<const double> duration_buckets();

std::string encode_metrics(const metrics_snapshot& m);

}  // namespace s3merge::engine
