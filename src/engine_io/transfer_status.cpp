// Journal, progress and report of a transfer.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "engine_io/transfer_impl.hpp"
#include "s3merge/aws/config.hpp"
#include "s3merge/engine/metrics.hpp"

namespace s3merge::engine {

std::string utc_timestamp() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

const char* mode_name(const transfer_options& o) {
    return o.verify ? "verify" : o.dry_run ? "plan" : o.move ? "move" : "copy";
}

job_description describe(const transfer_options& o) {
    job_description j;
    j.mode = mode_name(o);
    // Per-source destination prefixes are part of the job (kept out of the
    // id when unused, so plain jobs keep their journal names).
    for (const auto& p : o.dest_prefixes) j.mode += "\n" + std::to_string(p.size()) + ":" + p;
    // So are filters, key ranges and the shard: a journal of one slice never
    // resumes another.
    if (o.shard.active()) {
        j.mode += "\nshard " + std::to_string(o.shard.index) + "/" + std::to_string(o.shard.count);
        for (std::size_t i = 0; i < o.sources.size(); ++i)
            j.mode += " " + std::to_string(i < o.shard_depths.size() ? o.shard_depths[i]
                                                                     : unsigned(o.fanout_depth));
    }
    if (!o.filter.empty()) j.mode += "\nfilter " + o.filter.identity();
    for (const auto& r : o.source_ranges)
        j.mode += "\nrange " + std::to_string(r.base.size()) + ":" + r.base + "/" + std::to_string(r.skip) +
                  " " + std::to_string(r.from.size()) + ":" + r.from + std::to_string(r.to.size()) + ":" +
                  r.to;
    j.sources = o.sources;
    j.destination = o.destination;
    return j;
}

std::string transfer_job_id(const transfer_options& o) {
    return job_id(describe(o));
}

journal transfer::impl::make_journal() const {
    journal j;
    j.job_id = job;
    j.fanout_depth = opts.fanout_depth;
    j.totals = result.rep.totals;
    j.sources = result.rep.sources;
    if (plan) j.leaves = plan->journal_leaves();
    j.uploads = open_uploads;
    // Not yet cleaned up (a run stopped before its clean-up): still named.
    for (const auto& u : journaled_uploads) j.uploads.push_back(u);
    return j;
}

void transfer::impl::save_journal() {
    if (opts.journal_path.empty() || opts.dry_run) return;
    bool clean_finish = done && !stopping && result.rep.totals.failed == 0;
    std::error_code ec;
    if (clean_finish) {
        // Done: nothing to resume. A later run lists again and skips what is
        // already at the destination.
        std::filesystem::remove(opts.journal_path, ec);
        return;
    }
    write_output_file(opts.journal_path, encode_journal(make_journal()), ec);
    if (ec && opts.log)
        opts.log("s3merge: cannot write the journal " + opts.journal_path + ": " + ec.message());
}

std::error_code transfer::impl::load_journal(diagnostics& diag) {
    if (opts.journal_path.empty() || opts.dry_run) return {};
    std::error_code ec;
    if (!std::filesystem::exists(opts.journal_path, ec)) return {};
    auto text = read_file_bounded(opts.journal_path, max_journal_bytes, ec);
    if (ec) {
        diag.operation = "journal";
        diag.detail = "cannot read " + opts.journal_path + ": " + ec.message();
        return make_error_code(errc::config_error);
    }
    journal j;
    if (auto dec = decode_journal(text, job, j, diag)) {
        diag.operation = "journal";
        diag.detail += " (" + opts.journal_path + "; delete it to start over)";
        return dec;
    }
    result.resumed = true;
    auto counts = plan->resume(j.leaves);
    result.leaves_complete = counts.complete;
    result.leaves_resumed = counts.resumed;
    journaled_uploads = std::move(j.uploads);
    result.resumed_totals = j.totals;
    if (opts.log) {
        opts.log("s3merge: resuming from " + opts.journal_path + ": " +
                 std::to_string(result.leaves_complete) + " listing leaves done, " +
                 std::to_string(result.leaves_resumed) + " resumed after their watermark");
    }
    return {};
}

std::string transfer::impl::status_line() const {
    const auto& t = result.rep.totals;
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    double rate_objs = secs > 0 ? double(t.copied + t.skipped) / secs : 0;
    char buf[512];
    if (opts.dry_run) {
        source_details all;
        for (const auto& d : result.rep.details) all += d;
        std::uint64_t to_copy = all.to_copy + all.archived, bytes = all.bytes_to_copy;
        std::snprintf(buf, sizeof buf, "listed %llu  identical %llu  %s %llu (%s)  %.0f obj/s",
                      (unsigned long long)t.listed, (unsigned long long)t.skipped,
                      opts.verify ? "differ" : "to copy", (unsigned long long)to_copy,
                      human_bytes(bytes).c_str(), secs > 0 ? double(t.listed) / secs : 0.0);
        return buf;
    }
    std::snprintf(buf, sizeof buf,
                  "listed %llu  copied %llu  skipped %llu  failed %llu  deleted %llu  %s  %.0f obj/s  in "
                  "flight %zu/%zu",
                  (unsigned long long)t.listed, (unsigned long long)t.copied, (unsigned long long)t.skipped,
                  (unsigned long long)t.failed, (unsigned long long)t.deleted,
                  human_bytes(t.bytes_copied).c_str(), rate_objs, copy_slots.in_use(), copy_slots.limit());
    std::string line = buf;
    // Temporary credentials: where from (never the keys) and their renewals.
    if (const auto* creds = client.credentials_source()) {
        line += "  keys: " + aws::short_credentials_source(creds->source()) + ", renewed " +
                std::to_string(creds->renewals());
    }
    const bool listing_over = listers == 0 && plan && plan->listing_finished();
    if (listing_over && rate_objs > 0 && !done) {
        auto settled = t.copied + t.skipped + t.failed + result.rep.glacier_skipped;
        auto left = t.listed > settled ? t.listed - settled : 0;
        line += "  ETA " + std::to_string(static_cast<long long>(double(left) / rate_objs)) + " s";
    }
    return line;
}

asio::awaitable<void> transfer::impl::ticker() {
    // Time goes to the plan: partial delete batches, the journal and the
    // progress line come back as steps.
    while (!done) {
        tick.expires_after(std::chrono::milliseconds(250));
        co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
        if (done) break;
        const auto now = std::chrono::steady_clock::now();
        plan->on_tick(now);
        drain();
        // Waiters re-check what they wait for at least this often (copies
        // that end wake them only when something they may wait for changed).
        notify();
        samples.offer(sample_now());
        if (!opts.metrics_file.empty() && now - last_metrics >= opts.metrics_interval) {
            last_metrics = now;
            write_metrics();
        }
    }
    ticker_running = false;
    notify();
}

timeline_point transfer::impl::sample_now() const {
    timeline_point p;
    p.t_ms = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
            .count());
    const auto& t = result.rep.totals;
    p.copies = t.copied;
    p.bytes = t.bytes_copied;
    p.listed = t.listed;
    p.requests = client.stats().requests;
    p.throttles = client.stats().throttles;
    p.errors = t.failed;
    p.in_flight = copy_slots.in_use();
    p.limit = copy_slots.limit();
    return p;
}

void transfer::impl::fill_telemetry() {
    auto& r = result.rep;
    r.operations.clear();
    for (auto* t = client.telemetry_begin(); t != client.telemetry_end(); ++t)
        r.operations.push_back(make_operation_record(*t));
    r.hosts = client.host_telemetry();
    r.retries = client.stats().retries;
    r.throttles = client.stats().throttles;
    auto last = sample_now();
    samples.finish(last);
    r.duration_ms = last.t_ms;
    r.timeline_interval_ms = samples.interval_ms();
    r.timeline = samples.points();
    r.limit_changes = limit_changes;
    r.limit_lowest = limit_lowest;
    r.listing_splits = plan ? plan->splits() : 0;
    r.max_bytes_per_second = static_cast<std::uint64_t>(opts.max_bytes_per_second);
    r.max_requests_per_second = static_cast<std::uint64_t>(client.config().max_requests_per_second);
}

std::string transfer::impl::render_metrics() const {
    metrics_snapshot m;
    m.job_id = job;
    m.mode = mode_name(opts);
    m.totals = result.rep.totals;
    m.sources = result.rep.sources;
    m.retries = client.stats().retries;
    m.throttles = client.stats().throttles;
    m.network_failures = result.rep.network_failures;
    m.in_flight = copy_slots.in_use();
    m.limit = copy_slots.limit();
    m.limit_changes = limit_changes;
    m.operations = std::span<const op_stats>(client.telemetry_begin(), client.telemetry_end());
    m.hosts = client.host_telemetry();
    const auto since_start = std::chrono::steady_clock::now() - started;
    const auto now_unix = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch());
    m.started_unix = (now_unix - std::chrono::duration<double>(since_start)).count();
    if (done) {
        m.finished_unix = now_unix.count();
        m.succeeded = !stopping && !result.fatal && result.rep.totals.failed == 0;
    }
    return encode_metrics(m);
}

void transfer::impl::write_metrics() {
    if (opts.metrics_file.empty()) return;
    std::error_code ec;
    write_output_file(opts.metrics_file, render_metrics(), ec);
    if (ec && opts.log)
        opts.log("s3merge: warning: cannot write the metrics file " + opts.metrics_file + ": " +
                 ec.message());
}

asio::awaitable<void> transfer::impl::pace_bytes(std::uint64_t bytes) {
    if (byte_cap && bytes) co_await s3::wait_for_turn(ex, *byte_cap, double(bytes));
}

void transfer::impl::write_report() {
    result.rep.job_id = job;
    result.rep.finished_at = utc_timestamp();
    if (opts.report_path.empty()) return;
    std::error_code ec;
    write_output_file(opts.report_path, encode_report(result.rep), ec);
    if (ec) {
        result.report_error = ec;
        result.report_diag.operation = "report";
        result.report_diag.detail = "cannot write the report " + opts.report_path + ": " + ec.message() +
                                    " (the transfer itself ran: see the summary)";
    }
}

}  // namespace s3merge::engine
