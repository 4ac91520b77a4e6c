// Prometheus text exposition of a run (pure). See metrics.hpp.
#include "s3merge/engine/metrics.hpp"

#include <cstdio>

namespace s3merge::engine {

namespace {

constexpr double buckets_s[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                0.5,   1,      2.5,   5,    10,    30,   60,  300};

std::string label_value(std::string_view v) {
    std::string out;
    for (char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}

// A bucket bound as written in `le` ("0.005", not its nearest double's digits).
std::string bound(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", v);
    return buf;
}

class writer {
public:
    explicit writer(const metrics_snapshot& m)
        : base_("s3merge_job=\"" + label_value(m.job_id.substr(0, 16)) + "\",mode=\"" + label_value(m.mode) +
                "\"") {}
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    // extra: more labels, already formatted (`operation="CopyObject"`), or "".
    void sample(std::string_view name, const std::string& extra, double v) {
        out_ += name;
        out_ += '{';
        out_ += base_;
        if (!extra.empty()) out_ += "," + extra;
        out_ += "} " + number(v) + "\n";
    }
    void one(std::string_view name, std::string_view type, std::string_view help, double v) {
        family(name, type, help);
        sample(name, "", v);
    }
    std::string take() { return std::move(out_); }

private:
    std::string base_;
    std::string out_;
};

std::string label(std::string_view name, std::string_view value) {
    return std::string(name) + "=\"" + label_value(value) + "\"";
}

}  // namespace

std::span<const double> duration_buckets() {
    return buckets_s;
}

std::string encode_metrics(const metrics_snapshot& m) {
    writer w(m);
    const auto& t = m.totals;
    w.one("s3merge_objects_listed_total", "counter", "Source objects listed.", double(t.listed));
    w.one("s3merge_objects_copied_total", "counter", "Objects copied (or replaced) at the destination.",
          double(t.copied));
    w.one("s3merge_objects_skipped_total", "counter", "Objects already identical at the destination.",
          double(t.skipped));
    w.one("s3merge_objects_deleted_total", "counter", "Source objects deleted after a verified copy (move).",
          double(t.deleted));
    w.one("s3merge_objects_failed_total", "counter", "Objects that failed permanently.", double(t.failed));
    w.one("s3merge_bytes_copied_total", "counter", "Bytes copied server-side.", double(t.bytes_copied));
    w.family("s3merge_source_objects_copied_total", "counter", "Objects copied, per source.");
    for (const auto& s : m.sources)
        w.sample("s3merge_source_objects_copied_total", label("source", s.source.uri()),
                 double(s.counters.copied));
    w.one("s3merge_retries_total", "counter", "Requests sent again after a retryable error.",
          double(m.retries));
    w.one("s3merge_throttles_total", "counter", "Throttling answers (503 SlowDown, 429).",
          double(m.throttles));
    w.one("s3merge_network_failures_total", "counter", "Objects failed for the network.",
          double(m.network_failures));
    w.one("s3merge_requests_in_flight", "gauge", "Copy requests in flight.", double(m.in_flight));
    w.one("s3merge_concurrency_limit", "gauge", "The adaptive limit of copy requests in flight.",
          double(m.limit));
    w.one("s3merge_concurrency_limit_changes_total", "counter", "Changes of the adaptive limit.",
          double(m.limit_changes));

    w.family("s3merge_requests_total", "counter", "S3 requests sent (every attempt), per operation.");
    for (const auto& o : m.operations)
        w.sample("s3merge_requests_total", label("operation", o.name), double(o.requests));
    w.family("s3merge_calls_total", "counter", "S3 calls (retries included in one call), per operation.");
    for (const auto& o : m.operations)
        w.sample("s3merge_calls_total", label("operation", o.name), double(o.calls));
    w.family("s3merge_request_throttles_total", "counter", "Throttling answers, per operation.");
    for (const auto& o : m.operations)
        w.sample("s3merge_request_throttles_total", label("operation", o.name), double(o.throttles));
    w.family("s3merge_request_errors_total", "counter",
             "Calls that failed, per operation and S3 error code.");
    for (const auto& o : m.operations) {
        for (const auto& c : o.codes.list())
            w.sample("s3merge_request_errors_total", label("operation", o.name) + "," + label("code", c.code),
                     double(c.count));
    }
    w.family("s3merge_request_throttle_codes_total", "counter",
             "Throttling answers, per operation and code (SlowDown, 503, ...).");
    for (const auto& o : m.operations)
        for (const auto& c : o.throttle_codes.list())
            w.sample("s3merge_request_throttle_codes_total",
                     label("operation", o.name) + "," + label("code", c.code), double(c.count));
    w.family("s3merge_request_duration_seconds", "histogram",
             "Duration of S3 calls (retries included), per operation.");
    for (const auto& o : m.operations) {
        const auto op = label("operation", o.name);
        const auto& h = o.latency;
        std::size_t b = 0;
        std::uint64_t cumulative = 0;
        for (double le : buckets_s) {
            const auto le_us = static_cast<std::uint64_t>(le * 1e6 + 0.5);
            // Histogram buckets wholly at or below the bound (a value is kept
            // to within 1/32 of itself).
            while (b < latency_histogram::bucket_count && latency_histogram::highest_in(b) <= le_us)
                cumulative += h.in_bucket(b++);
            w.sample("s3merge_request_duration_seconds_bucket", op + ",le=\"" + bound(le) + "\"",
                     double(cumulative));
        }
        w.sample("s3merge_request_duration_seconds_bucket", op + ",le=\"+Inf\"", double(h.count()));
        w.sample("s3merge_request_duration_seconds_sum", op, double(h.sum()) / 1e6);
        w.sample("s3merge_request_duration_seconds_count", op, double(h.count()));
    }
    // One counter family per endpoint figure.
    auto per_host = [&](const char* name, const char* help, std::uint64_t host_stats::*field) {
        w.family(name, "counter", help);
        for (const auto& h : m.hosts) w.sample(name, label("host", h.host), double(h.*field));
    };
    per_host("s3merge_host_requests_total", "Requests sent, per endpoint.", &host_stats::requests);
    per_host("s3merge_host_retries_total", "Requests sent again, per endpoint.", &host_stats::retries);
    per_host("s3merge_host_throttles_total", "Throttling answers, per endpoint.", &host_stats::throttles);
    per_host("s3merge_host_connections_opened_total", "Connections opened, per endpoint.",
             &host_stats::connections_opened);
    w.one("s3merge_run_start_time_seconds", "gauge", "When the run started (Unix time).", m.started_unix);
    w.one("s3merge_run_end_time_seconds", "gauge", "When the run finished (Unix time); 0 while it runs.",
          m.finished_unix);
    w.one("s3merge_run_succeeded", "gauge", "1 when the run finished with nothing failed, else 0.",
          m.succeeded ? 1.0 : 0.0);
    return w.take();
}

}  // namespace s3merge::engine
