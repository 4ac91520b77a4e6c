#include "s3merge/engine/report.hpp"

#include <algorithm>
#include <cstdio>

#include "engine/json_writer.hpp"

namespace s3merge::engine {

namespace {

void write_counter_fields(json_writer& w, const counters& c) {
    w.field_uint("listed", c.listed);
    w.field_uint("copied", c.copied);
    w.field_uint("skipped", c.skipped);
    w.field_uint("deleted", c.deleted);
    w.field_uint("failed", c.failed);
    w.field_uint("bytes_copied", c.bytes_copied);
}

}  // namespace

std::string human_bytes(std::uint64_t b) {
    char buf[32];
    if (b >= (1ull << 40))
        std::snprintf(buf, sizeof buf, "%.1f TiB", double(b) / double(1ull << 40));
    else if (b >= (1ull << 30))
        std::snprintf(buf, sizeof buf, "%.1f GiB", double(b) / double(1ull << 30));
    else if (b >= (1ull << 20))
        std::snprintf(buf, sizeof buf, "%.1f MiB", double(b) / double(1ull << 20));
    else if (b >= 1024)
        std::snprintf(buf, sizeof buf, "%.1f KiB", double(b) / 1024.0);
    else
        std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
    return buf;
}

operation_record make_operation_record(const op_stats& s) {
    operation_record o;
    o.name = std::string(s.name);
    o.calls = s.calls, o.errors = s.errors, o.requests = s.requests, o.throttles = s.throttles;
    const auto& h = s.latency;
    o.p50 = h.percentile(50), o.p90 = h.percentile(90), o.p99 = h.percentile(99);
    o.p999 = h.percentile(99.9), o.max = h.max(), o.sum = h.sum();
    o.codes = s.codes.list();
    o.throttle_codes = s.throttle_codes.list();
    for (std::size_t b = 0; b < latency_histogram::bucket_count; ++b)
        if (auto n = h.in_bucket(b))
            o.histogram.emplace_back(std::min(latency_histogram::highest_in(b), h.max()), n);
    return o;
}

failure_record make_failure(const diagnostics& diag, std::error_code ec) {
    failure_record f;
    f.operation = diag.operation;
    f.bucket = diag.bucket;
    f.key = diag.key;
    f.s3_code = diag.s3_code;
    f.message = !diag.message.empty() ? diag.message : !diag.detail.empty() ? diag.detail : ec.message();
    f.attempts = static_cast<int>(diag.attempts);
    return f;
}

void report::count(std::size_t source, const counters& delta) {
    if (source < sources.size()) sources[source].counters += delta;
    totals += delta;
}

void report::uncount(std::size_t source, const counters& delta) {
    if (source < sources.size()) sources[source].counters -= delta;
    totals -= delta;
}

void report::add_failure(std::size_t source, failure_record f) {
    counters one;
    one.failed = 1;
    count(source, one);
    if (failures.size() < max_failures) {
        failures.push_back(std::move(f));
    } else {
        ++failures_omitted;
    }
}

std::string encode_report(const report& r) {
    json_writer w(true);
    w.begin_object();
    w.key("version");
    w.int_value(report_version);
    w.field("job_id", r.job_id);
    w.field("mode", r.mode);
    w.field("destination", r.destination.uri());
    if (!r.started_at.empty()) w.field("started_at", r.started_at);
    if (!r.finished_at.empty()) w.field("finished_at", r.finished_at);
    w.field_uint("duration_ms", r.duration_ms);
    w.key("totals");
    w.begin_object();
    write_counter_fields(w, r.totals);
    w.end_object();
    w.key("sources");
    w.begin_array();
    for (std::size_t i = 0; i < r.sources.size(); ++i) {
        const auto& s = r.sources[i];
        w.begin_object();
        w.field("source", s.source.uri());
        w.field("bucket", s.source.bucket);
        w.field("prefix", s.source.prefix);
        write_counter_fields(w, s.counters);
        if (i < r.details.size()) {
            const auto& d = r.details[i];
            w.field_uint("bytes_listed", d.bytes_listed);
            w.field_uint("to_copy", d.to_copy);
            w.field_uint("bytes_to_copy", d.bytes_to_copy);
            w.field_uint("missing", d.missing);
            w.field_uint("different", d.different);
            w.field_uint("unverifiable", d.unverifiable);
            w.field_uint("collisions", d.collisions);
            w.field_uint("archived", d.archived);
            w.field_uint("noncurrent_versions", d.noncurrent_versions);
            w.field_uint("delete_markers", d.delete_markers);
        }
        w.end_object();
    }
    w.end_array();
    w.field_uint("retries", r.retries);
    w.field_uint("throttles", r.throttles);
    w.field_uint("glacier_skipped", r.glacier_skipped);
    w.field_uint("noncurrent_skipped", r.noncurrent_skipped);
    w.field_uint("network_failures", r.network_failures);
    w.field_uint("uploads_aborted", r.uploads_aborted);
    w.field_uint("uploads_foreign", r.uploads_foreign);
    if (!r.credentials.empty()) {
        w.field("credentials", r.credentials);
        w.field_uint("credential_renewals", r.credential_renewals);
    }
    w.key("operations");
    w.begin_array();
    for (const auto& o : r.operations) {
        w.begin_object();
        w.field("name", o.name);
        w.field_uint("calls", o.calls);
        w.field_uint("requests", o.requests);
        w.field_uint("errors", o.errors);
        w.field_uint("throttles", o.throttles);
        w.key("codes");
        w.begin_object();
        for (const auto& c : o.codes) w.field_uint(c.code, c.count);
        w.end_object();
        w.key("throttle_codes");
        w.begin_object();
        for (const auto& c : o.throttle_codes) w.field_uint(c.code, c.count);
        w.end_object();
        w.key("latency_us");
        w.begin_object();
        w.field_uint("p50", o.p50);
        w.field_uint("p90", o.p90);
        w.field_uint("p99", o.p99);
        w.field_uint("p99.9", o.p999);
        w.field_uint("max", o.max);
        w.field_uint("sum", o.sum);
        w.end_object();
        // [upper µs, calls] per histogram bucket, compact.
        std::string hist = "[";
        for (const auto& [upper, n] : o.histogram) {
            if (hist.size() > 1) hist += ',';
            hist += "[" + std::to_string(upper) + "," + std::to_string(n) + "]";
        }
        hist += "]";
        w.key("latency_histogram");
        w.raw_value(hist);
        w.end_object();
    }
    w.end_array();
    w.key("hosts");
    w.begin_array();
    for (const auto& h : r.hosts) {
        w.begin_object();
        w.field("host", h.host);
        w.field_uint("requests", h.requests);
        w.field_uint("retries", h.retries);
        w.field_uint("throttles", h.throttles);
        w.field_uint("connections_opened", h.connections_opened);
        w.field_uint("transport_errors", h.transport_errors);
        w.end_object();
    }
    w.end_array();
    w.field_uint("limit_changes", r.limit_changes);
    w.field_uint("limit_lowest", r.limit_lowest);
    w.field_uint("listing_splits", r.listing_splits);
    if (r.shard_count > 1) {
        w.field_uint("shard_index", r.shard_index);
        w.field_uint("shard_count", r.shard_count);
    }
    if (r.max_requests_per_second) w.field_uint("max_requests_per_second", r.max_requests_per_second);
    if (r.max_bytes_per_second) w.field_uint("max_bytes_per_second", r.max_bytes_per_second);
    w.key("timeline");
    w.begin_object();
    w.field_uint("interval_ms", r.timeline_interval_ms);
    w.key("columns");
    w.raw_value(R"(["t_ms","copies","bytes","listed","requests","throttles","errors","in_flight","limit"])");
    w.key("rows");
    w.begin_array();
    for (const auto& p : r.timeline) {
        std::string row = "[";
        for (auto v :
             {p.t_ms, p.copies, p.bytes, p.listed, p.requests, p.throttles, p.errors, p.in_flight, p.limit}) {
            if (row.size() > 1) row += ',';
            row += std::to_string(v);
        }
        row += ']';
        w.raw_value(row);
    }
    w.end_array();
    w.end_object();
    if (!r.dedup.empty()) {
        w.field("dedup", r.dedup);
        w.key("overlap");
        w.begin_array();
        for (const auto& o : r.overlap) {
            w.begin_object();
            w.field("region", o.region);
            w.field("bucket", o.bucket);
            w.key("days");
            w.begin_array();
            for (const auto& d : o.days) w.string_value(d);
            w.end_array();
            w.field_uint("files_read", o.files_read);
            w.field_uint("events", o.events);
            w.field_uint("duplicate_events", o.duplicate_events);
            w.field_uint("duplicate_files", o.duplicate_files);
            w.field_uint("partial_files", o.partial_files);
            w.field_uint("filtered_files", o.filtered_files);
            w.field_uint("deleted", o.deleted);
            w.end_object();
        }
        w.end_array();
    }
    w.key("failures");
    w.begin_array();
    for (const auto& f : r.failures) {
        w.begin_object();
        w.field("operation", f.operation);
        w.field("bucket", f.bucket);
        w.field("key", f.key);
        if (!is_valid_utf8(f.key)) w.field("key_hex", to_hex(f.key));
        w.field("code", f.s3_code);
        w.field("message", f.message);
        w.key("attempts");
        w.int_value(f.attempts);
        w.end_object();
    }
    w.end_array();
    w.field_uint("failures_omitted", r.failures_omitted);
    w.end_object();
    std::string out = w.take();
    out += '\n';
    return out;
}

}  // namespace s3merge::engine
