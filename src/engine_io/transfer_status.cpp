// Journal, progress and report of a transfer.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <ctime>
#include <filesystem>

#include "engine_io/transfer_impl.hpp"
#include "s3merge/aws/config.hpp"

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
        plan->on_tick(std::chrono::steady_clock::now());
        drain();
    }
    ticker_running = false;
    notify();
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
