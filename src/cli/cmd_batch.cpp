// s3merge batch: S3 Batch Operations jobs made from s3merge's listing and
// merge-join (only what still needs copying), and the move finished by
// s3merge (the service has no delete). See docs/batch.md.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <unordered_set>

#include "cli/batch_job.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "cli/transfer_flags.hpp"
#include "s3merge/batch/calls.hpp"
#include "s3merge/cloudtrail/discovery.hpp"
#include "s3merge/crypto.hpp"
#include "engine/json_writer.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {

const char* usage =
    "s3merge batch plan|submit|status|wait|confirm|report|finish-move [--source s3://B[/P] ...] [--dest "
    "s3://B[/P]] "
    "[--job-id ID ...] [options]";
const char* description =
    "S3 Batch Operations (AWS's own engine: billions of objects, managed retries, a completion report),\n"
    "driven by s3merge's listing and merge-join:\n"
    "  plan         what a job would copy (only what is missing or different at the destination), its\n"
    "               cost (an estimate at us-east-1 prices) next to a local run's requests\n"
    "  submit       writes CSV manifests of what still needs copying to --manifest-prefix, creates one\n"
    "               S3PutObjectCopy job per manifest (S3 Control CreateJob; --yes: no confirmation), and\n"
    "               copies itself what the service cannot (objects over 5 GiB)\n"
    "  status       the jobs' state and progress (DescribeJob)\n"
    "  wait         until the jobs end (exit 0: all tasks succeeded; 5: some failed; 1: a job failed)\n"
    "  confirm      starts jobs submitted without --yes (UpdateJobStatus Ready)\n"
    "  report       reads the completion reports: succeeded, failed by error code (--json)\n"
    "  finish-move  deletes the sources of the keys the reports list as succeeded, each confirmed at the\n"
    "               destination first, in DeleteObjects batches, exactly as 'move' does";

}  // namespace

std::vector<option_spec> batch_option_specs(bool with_account) {
    std::vector<option_spec> s;
    if (with_account)
        s.push_back({"account", true, false, "ID", "the account that owns the jobs (default: from STS)"});
    s.push_back({"manifest-prefix", true, false, "S3URI", "submit: where the CSV manifests are written"});
    s.push_back({"report-prefix", true, false, "S3URI",
                 "submit: where the service writes completion reports (default: the manifest bucket, "
                 "<prefix>reports)"});
    s.push_back({"role-arn", true, false, "ARN", "submit: the IAM role the service copies with"});
    s.push_back({"priority", true, false, "N", "submit: job priority (default 10)"});
    s.push_back({"yes", false, false, "", "submit: start the jobs at once (no confirmation step)"});
    s.push_back({"max-object-size", true, false, "BYTES",
                 "objects above this are copied by s3merge, not the service (default and max 5GiB)"});
    s.push_back({"job-id", true, true, "ID", "status/wait/confirm/report/finish-move: a job (repeatable)"});
    s.push_back({"timeout", true, false, "SECONDS", "wait: give up after this long (default 86400)"});
    s.push_back({"json", false, false, "", "report: print JSON"});
    s.push_back({"s3-control-endpoint-url", true, false, "URL",
                 "S3 Control endpoint (else AWS_ENDPOINT_URL_S3_CONTROL, AWS_ENDPOINT_URL, else AWS)"});
    return s;
}

int apply_batch_options(const std::string& name, const parsed_args& args, batch_args& b) {
    if (args.has("max-object-size")) {
        std::uint64_t n = 0;
        if (!parse_uint(args.value("max-object-size"), 1, 5ull << 30, n)) {
            print_usage_error(name, "--max-object-size must be a number of bytes up to 5368709120 (5 GiB)");
            return exit_usage;
        }
        b.max_object_size = n;
    }
    b.control.account = args.value("account");
    b.control.endpoint_url = args.value("s3-control-endpoint-url",
                                        cloudtrail::service_endpoint_from_env("s3-control", std::getenv));
    b.sts_endpoint =
        args.value("sts-endpoint-url", cloudtrail::service_endpoint_from_env("sts", std::getenv));
    return -1;
}

namespace {

std::vector<option_spec> specs() {
    auto s = common_options();
    s.push_back({"source", true, true, "S3URI", "a source s3://BUCKET[/PREFIX] (repeatable)"});
    s.push_back({"dest", true, false, "S3URI", "the destination s3://BUCKET[/PREFIX]"});
    for (auto& o : batch_option_specs(true)) s.push_back(std::move(o));
    s.push_back({"sts-endpoint-url", true, false, "URL", "STS endpoint for the account id"});
    for (auto& o : listing_option_specs()) s.push_back(std::move(o));
    return s;
}

int parse_locations(const std::string& name, const parsed_args& args, batch_args& b) {
    for (const auto& uri : args.all("source")) {
        engine::location l;
        diagnostics d;
        if (s3::parse_s3_uri(uri, l.bucket, l.prefix, d)) {
            print_usage_error(name, "--source '" + uri + "': " + d.detail);
            return exit_usage;
        }
        if (!check_bucket_arg(name, l.bucket)) return exit_usage;
        b.sources.push_back(l);
    }
    if (args.has("dest")) {
        diagnostics d;
        if (s3::parse_s3_uri(args.value("dest"), b.dest.bucket, b.dest.prefix, d)) {
            print_usage_error(name, "--dest '" + args.value("dest") + "': " + d.detail);
            return exit_usage;
        }
    }
    return -1;
}

const char* state_word(const batch::job_status& s) {
    if (s.status == "Suspended") return "waiting for confirmation (s3merge batch confirm)";
    return "";
}

asio::awaitable<std::error_code> resolve_account(s3::client& client, batch_args& b, diagnostics& diag) {
    if (!b.control.account.empty()) co_return std::error_code{};
    cloudtrail::caller_identity id;
    if (auto ec = co_await cloudtrail::get_caller_identity(client, b.sts_endpoint, id, diag)) {
        diag.detail += (diag.detail.empty() ? "" : "; ") + std::string("pass --account ID");
        co_return ec;
    }
    b.control.account = id.account;
    co_return std::error_code{};
}

// What a dry run found to copy, as manifests (bounded: a new manifest, and
// job, every million keys).
struct manifests {
    static constexpr std::uint64_t max_lines = 1000000;
    std::vector<std::string> chunks;
    std::vector<std::uint64_t> lines;
    std::uint64_t objects = 0, bytes = 0, archived = 0;
    std::vector<std::unordered_set<std::string>> large;  // per source: copied by s3merge
    std::uint64_t large_count = 0;
};

asio::awaitable<int> collect(s3::client& client, const parsed_args& args, const batch_args& b,
                             const std::string& name, manifests& m, std::string& job_tag,
                             std::string& target_prefix) {
    engine::transfer_options o;
    std::size_t per_host = 0;
    if (int rc = apply_listing_options(name, args, o, per_host); rc >= 0) co_return rc;
    o.report_path.clear();
    o.dry_run = true;
    o.sources = b.sources;
    o.destination = b.dest;
    o.dest_prefixes = b.dest_prefixes;
    // The service writes TargetKeyPrefix + "/" + source key: one prefix for all.
    for (std::size_t i = 0; i < b.sources.size(); ++i) {
        std::string t;
        const std::string& dp = b.dest_prefixes.empty() ? b.dest.prefix : b.dest_prefixes[i];
        if (!batch::target_key_prefix_for(b.sources[i].prefix, dp, t)) {
            diagnostics d;
            d.operation = "batch";
            d.detail = "s3://" + b.sources[i].bucket + "/" + b.sources[i].prefix + " into s3://" +
                       b.dest.bucket + "/" + dp +
                       ": S3 Batch Operations can add a prefix to each key (TargetKeyPrefix), never remove "
                       "one; give a destination prefix that ends with the source prefix, or copy with "
                       "'s3merge copy'";
            print_error(make_error_code(errc::invalid_argument), d);
            co_return exit_usage;
        }
        if (i > 0 && t != target_prefix) {
            diagnostics d;
            d.operation = "batch";
            d.detail = "the sources need different TargetKeyPrefixes ('" + target_prefix + "', '" + t +
                       "'); submit them separately";
            print_error(make_error_code(errc::invalid_argument), d);
            co_return exit_usage;
        }
        target_prefix = t;
    }
    m.large.resize(b.sources.size());
    m.chunks.emplace_back();
    m.lines.push_back(0);
    o.would_copy = [&](std::size_t si, const s3::object_entry& obj, bool archived) {
        if (archived) {
            ++m.archived;
            return;
        }
        if (obj.size > b.max_object_size) {
            m.large[si].insert(obj.key);
            ++m.large_count;
            return;
        }
        if (m.lines.back() == manifests::max_lines) {
            m.chunks.emplace_back();
            m.lines.push_back(0);
        }
        batch::append_manifest_line(m.chunks.back(), b.sources[si].bucket, obj.key);
        ++m.lines.back();
        ++m.objects;
        m.bytes += obj.size;
    };
    job_tag = engine::transfer_job_id(o).substr(0, 16);
    auto res = co_await run_transfer_with_signals(client, o);
    if (res.fatal) {
        print_error(res.fatal, res.fatal_diag);
        co_return exit_code_for(res.fatal);
    }
    if (res.interrupted) co_return exit_interrupted;
    if (res.rep.totals.failed) {
        std::printf("batch: listing failed for %llu objects; nothing submitted\n",
                    (unsigned long long)res.rep.totals.failed);
        co_return exit_failed;
    }
    if (m.lines.back() == 0 && m.chunks.size() > 1) {
        m.chunks.pop_back();
        m.lines.pop_back();
    }
    std::printf(
        "batch: %llu objects (%s) to copy, %llu already at the destination, %llu archived (not copied), "
        "%llu over %s (copied by s3merge)\n",
        (unsigned long long)m.objects, human_bytes(m.bytes).c_str(),
        (unsigned long long)res.rep.totals.skipped, (unsigned long long)m.archived,
        (unsigned long long)m.large_count, human_bytes(b.max_object_size).c_str());
    co_return -1;
}

int cmd_plan(const manifests& m) {
    const std::uint64_t jobs = m.objects ? m.chunks.size() : 0;
    auto c = batch::estimate_cost(m.objects, jobs);
    text_table t{{"", "S3 Batch Operations", "s3merge copy"}, {false, true, true}, {}};
    t.rows.push_back({"jobs", group_digits(jobs), "-"});
    t.rows.push_back({"objects", group_digits(m.objects), group_digits(m.objects + m.large_count)});
    t.rows.push_back({"job fees", format_usd(c.job_fee), "-"});
    t.rows.push_back({"per-object fees", format_usd(c.object_fee), "-"});
    t.rows.push_back({"COPY requests", format_usd(c.request_fee),
                      format_usd(0.005 * double(m.objects + m.large_count) / 1000.0)});
    t.rows.push_back({"total (estimate, us-east-1 list prices)", format_usd(c.total()),
                      format_usd(0.005 * double(m.objects + m.large_count) / 1000.0)});
    std::fputs(t.render().c_str(), stdout);
    // Either way the destination's key range takes 3,500 writes a second per
    // partition until S3 splits it under load: a floor for both.
    const double floor_s = double(m.objects + m.large_count) / 3500.0;
    std::printf(
        "time (estimate): at least %.0f s for either at S3's 3,500 writes/s of one partition (less once S3 "
        "splits the destination's key range under load); the service schedules a job at its own pace, a "
        "local "
        "run's rate is what 'report show' measures. Nothing was written.\n",
        floor_s);
    return exit_ok;
}

// Runs the engine over the job's sources and destination for the keys
// `exclude` leaves in (move: deleting each source once its copy is
// verified). -1 with the result, or the exit code of a fatal error.
asio::awaitable<int> run_slice(s3::client& client, const parsed_args& args, const batch_args& b,
                               const std::string& name, bool move,
                               std::function<bool(std::size_t, std::string_view)> exclude,
                               engine::transfer_result& res) {
    engine::transfer_options o;
    std::size_t per_host = 0;
    if (int rc = apply_listing_options(name, args, o, per_host); rc >= 0) co_return rc;
    o.move = move;
    o.sources = b.sources;
    o.destination = b.dest;
    o.dest_prefixes = b.dest_prefixes;
    o.exclude = std::move(exclude);
    if (int rc = apply_journal_option(args, o); rc >= 0) co_return rc;
    set_progress_sinks(args, o);
    res = co_await run_transfer_with_signals(client, o);
    if (res.fatal) {
        print_error(res.fatal, res.fatal_diag);
        co_return exit_code_for(res.fatal);
    }
    co_return -1;
}

}  // namespace

asio::awaitable<int> batch_submit(s3::client& client, const parsed_args& args, batch_args& b,
                                  const std::string& name) {
    engine::location manifest_at, report_at;
    {
        diagnostics d;
        if (!args.has("manifest-prefix") || !args.has("role-arn")) {
            print_usage_error(name, "submit needs --manifest-prefix s3://BUCKET/PREFIX and --role-arn ARN");
            co_return exit_usage;
        }
        if (s3::parse_s3_uri(args.value("manifest-prefix"), manifest_at.bucket, manifest_at.prefix, d)) {
            print_usage_error(name, "--manifest-prefix: " + d.detail);
            co_return exit_usage;
        }
        report_at = {manifest_at.bucket, manifest_at.prefix + "reports"};
        if (args.has("report-prefix") &&
            s3::parse_s3_uri(args.value("report-prefix"), report_at.bucket, report_at.prefix, d)) {
            print_usage_error(name, "--report-prefix: " + d.detail);
            co_return exit_usage;
        }
        while (!report_at.prefix.empty() && report_at.prefix.back() == '/') report_at.prefix.pop_back();
    }
    std::uint64_t priority = 10;
    if (args.has("priority") && !parse_uint(args.value("priority"), 0, 2147483647, priority)) {
        print_usage_error(name, "--priority must be a number from 0 to 2147483647");
        co_return exit_usage;
    }
    diagnostics diag;
    if (auto ec = co_await resolve_account(client, b, diag)) {
        print_error(ec, diag);
        co_return exit_code_for(ec);
    }
    manifests m;
    std::string tag, target_prefix;
    if (int rc = co_await collect(client, args, b, name, m, tag, target_prefix); rc >= 0) co_return rc;
    int rc = exit_ok;
    for (std::size_t i = 0; m.objects > 0 && i < m.chunks.size(); ++i) {
        // Lines come in the order parallel listings finish: sorted, the same
        // listing makes the same manifest, and so the same job token.
        std::vector<std::string_view> lines;
        lines.reserve(m.lines[i]);
        for (std::string_view rest = m.chunks[i]; !rest.empty();) {
            auto nl = rest.find('\n');
            lines.push_back(rest.substr(0, nl + 1));
            rest.remove_prefix(nl + 1);
        }
        std::sort(lines.begin(), lines.end());
        s3::put_object_params pp;
        pp.key = manifest_at.prefix + "s3merge-" + tag + "-" + std::to_string(i) + ".csv";
        pp.body.reserve(m.chunks[i].size());
        for (auto l : lines) pp.body += l;
        std::string().swap(m.chunks[i]);
        const std::string content_hash = crypto::sha256_hex(pp.body);
        pp.content_type = "text/csv";
        s3::put_object_result pr;
        if (auto ec = co_await client.put_object(manifest_at.bucket, pp, pr, diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        batch::create_job_params jp;
        jp.account = b.control.account;
        jp.manifest_arn = "arn:aws:s3:::" + manifest_at.bucket + "/" + pp.key;
        jp.manifest_etag = pr.etag;
        // The same manifest (the same listing, nothing copied since) gives
        // the same token: a retried submit finds its job instead of a second.
        jp.client_request_token = crypto::sha256_hex(tag + ":" + std::to_string(i) + ":" + content_hash);
        jp.confirmation_required = !args.flag("yes");
        jp.description =
            "s3merge " + tag + " part " + std::to_string(i + 1) + " of " + std::to_string(m.chunks.size());
        jp.target_bucket = b.dest.bucket;
        jp.target_key_prefix = target_prefix;
        jp.report_bucket = report_at.bucket;
        jp.report_prefix = report_at.prefix;
        jp.priority = static_cast<int>(priority);
        jp.role_arn = args.value("role-arn");
        std::string job_id;
        if (auto ec = co_await batch::create_job(client, b.control, jp, job_id, diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        std::printf("job: %s (%s objects, manifest s3://%s/%s)%s\n", job_id.c_str(),
                    group_digits(m.lines[i]).c_str(), manifest_at.bucket.c_str(), pp.key.c_str(),
                    jp.confirmation_required
                        ? " — waiting for confirmation: s3merge batch confirm --job-id ..."
                        : "");
    }
    if (m.objects == 0) std::printf("batch: nothing to copy; no job submitted\n");
    if (m.large_count > 0) {
        // What the service cannot copy: s3merge's own multipart path.
        engine::transfer_result res;
        auto not_large = [&m](std::size_t si, std::string_view key) {
            return !m.large[si].count(std::string(key));
        };
        if (int r = co_await run_slice(client, args, b, name, false, not_large, res); r >= 0) co_return r;
        std::printf("batch: copied %llu objects over %s itself, %llu failed\n",
                    (unsigned long long)res.rep.totals.copied, human_bytes(b.max_object_size).c_str(),
                    (unsigned long long)res.rep.totals.failed);
        rc = failures_exit_code(res.rep);
    }
    co_return rc;
}

namespace {

asio::awaitable<int> status_or_wait(s3::client& client, const parsed_args& args, batch_args& b, bool wait) {
    std::uint64_t timeout_s = 86400;
    if (args.has("timeout") && !parse_uint(args.value("timeout"), 1, 30 * 86400, timeout_s)) {
        print_usage_error("batch", "--timeout must be a number of seconds");
        co_return exit_usage;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
    std::chrono::milliseconds pause(500);
    for (;;) {
        std::vector<batch::job_status> all;
        for (const auto& id : args.all("job-id")) {
            batch::job_status s;
            diagnostics diag;
            if (auto ec = co_await batch::describe_job(client, b.control, id, s, diag)) {
                print_error(ec, diag);
                co_return exit_code_for(ec);
            }
            all.push_back(std::move(s));
        }
        const bool over = std::all_of(all.begin(), all.end(), [](const auto& s) { return s.finished(); });
        if (!wait || over) {
            text_table t{{"JOB", "STATUS", "TASKS", "SUCCEEDED", "FAILED", ""},
                         {false, false, true, true, true, false},
                         {}};
            int rc = exit_ok;
            for (const auto& s : all) {
                t.rows.push_back({s.job_id, s.status, group_digits(s.total), group_digits(s.succeeded),
                                  group_digits(s.failed), state_word(s)});
                if (s.status == "Failed" || s.status == "Cancelled")
                    rc = exit_failed;
                else if (s.failed > 0 && rc == exit_ok)
                    rc = exit_partial;
            }
            std::fputs(t.render().c_str(), stdout);
            for (const auto& s : all)
                for (const auto& [code, why] : s.failure_reasons)
                    std::printf("job %s: %s: %s\n", s.job_id.c_str(), code.c_str(), why.c_str());
            co_return wait ? rc : exit_ok;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            diagnostics d;
            d.operation = "batch wait";
            d.detail = "the jobs had not ended after " + std::to_string(timeout_s) +
                       " s; 's3merge batch status' shows them";
            print_error(make_error_code(errc::timeout), d);
            co_return exit_failed;
        }
        asio::steady_timer timer(client.executor());
        timer.expires_after(pause);
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        pause = std::min<std::chrono::milliseconds>(pause * 2, std::chrono::seconds(30));
    }
}

// The tasks of a job's completion report.
asio::awaitable<std::error_code> read_report(s3::client& client, const batch_args& b, const std::string& id,
                                             std::vector<batch::task_result>& tasks, diagnostics& diag) {
    batch::job_status s;
    if (auto ec = co_await batch::describe_job(client, b.control, id, s, diag)) co_return ec;
    if (!s.finished()) {
        diag.operation = "batch report";
        diag.detail = "job " + id + " is " + s.status +
                      ": its completion report comes when it ends ('s3merge batch wait')";
        co_return make_error_code(errc::invalid_argument);
    }
    s3::get_object_params gp;
    gp.key =
        (s.report_prefix.empty() ? std::string() : s.report_prefix + "/") + "job-" + id + "/manifest.json";
    s3::get_object_result gr;
    if (auto ec = co_await client.get_object(s.report_bucket, gp, gr, diag)) co_return ec;
    std::vector<batch::report_file> files;
    if (auto ec = batch::parse_report_manifest(gr.body, files, diag)) co_return ec;
    for (const auto& f : files) {
        s3::get_object_params fp;
        fp.key = f.key;
        s3::get_object_result fr;
        if (auto ec = co_await client.get_object(f.bucket, fp, fr, diag)) co_return ec;
        if (auto ec = batch::parse_report_csv(fr.body, tasks, diag)) co_return ec;
    }
    co_return std::error_code{};
}

asio::awaitable<int> report(s3::client& client, const parsed_args& args, const batch_args& b) {
    int rc = exit_ok;
    engine::json_writer w(true);
    w.begin_array();
    for (const auto& id : args.all("job-id")) {
        std::vector<batch::task_result> tasks;
        diagnostics diag;
        if (auto ec = co_await read_report(client, b, id, tasks, diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        std::uint64_t ok = 0;
        std::map<std::string, std::uint64_t> by_code;
        for (const auto& t : tasks) {
            if (t.succeeded)
                ++ok;
            else
                ++by_code[t.error_code.empty() ? "(none)" : t.error_code];
        }
        const std::uint64_t failed = tasks.size() - ok;
        if (failed) rc = exit_partial;
        if (args.flag("json")) {
            w.begin_object();
            w.field("job_id", id);
            w.field_uint("succeeded", ok);
            w.field_uint("failed", failed);
            w.key("failures");
            w.begin_array();
            for (const auto& t : tasks) {
                if (t.succeeded) continue;
                w.begin_object();
                w.field("bucket", t.bucket);
                w.field("key", t.key);
                w.field("code", t.error_code);
                w.field("http_status", t.http_status);
                w.field("message", t.message);
                w.end_object();
            }
            w.end_array();
            w.end_object();
            continue;
        }
        std::printf("job %s: %s succeeded, %s failed\n", id.c_str(), group_digits(ok).c_str(),
                    group_digits(failed).c_str());
        text_table t{{"CODE", "TASKS"}, {false, true}, {}};
        for (const auto& [code, n] : by_code) t.rows.push_back({code, group_digits(n)});
        if (!by_code.empty()) std::fputs(t.render().c_str(), stdout);
        int shown = 0;
        for (const auto& task : tasks)
            if (!task.succeeded && shown++ < 20)
                std::printf("  failed: s3://%s/%s: %s %s %s\n", task.bucket.c_str(), task.key.c_str(),
                            task.http_status.c_str(), task.error_code.c_str(), task.message.c_str());
    }
    w.end_array();
    if (args.flag("json")) std::printf("%s\n", w.str().c_str());
    co_return rc;
}

}  // namespace

asio::awaitable<int> batch_finish_move(s3::client& client, const parsed_args& args, batch_args& b,
                                       const std::string& name) {
    // The keys the reports list as succeeded, per source bucket.
    std::map<std::string, std::unordered_set<std::string>> done;
    std::uint64_t succeeded = 0;
    for (const auto& id : args.all("job-id")) {
        std::vector<batch::task_result> tasks;
        diagnostics diag;
        if (auto ec = co_await read_report(client, b, id, tasks, diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        for (auto& t : tasks)
            if (t.succeeded) done[t.bucket].insert(std::move(t.key)), ++succeeded;
    }
    // Only what the service copied; each confirmed at the destination (same
    // size and ETag, from the listing) before its source is deleted.
    auto not_done = [&](std::size_t si, std::string_view key) {
        auto it = done.find(b.sources[si].bucket);
        return it == done.end() || !it->second.count(std::string(key));
    };
    engine::transfer_result res;
    if (int rc = co_await run_slice(client, args, b, name, true, not_done, res); rc >= 0) co_return rc;
    const auto& t = res.rep.totals;
    std::printf(
        "finish-move: %llu keys the service copied; %llu confirmed at the destination and deleted at the "
        "source, %llu copied again (not there as listed), %llu failed\n",
        (unsigned long long)succeeded, (unsigned long long)t.deleted, (unsigned long long)t.copied,
        (unsigned long long)t.failed);
    if (res.interrupted) co_return exit_interrupted;
    co_return failures_exit_code(res.rep);
}

asio::awaitable<int> batch_plan(s3::client& client, const parsed_args& args, batch_args& b,
                                const std::string& name) {
    manifests m;
    std::string tag, target_prefix;
    if (int rc = co_await collect(client, args, b, name, m, tag, target_prefix); rc >= 0) co_return rc;
    co_return cmd_plan(m);
}

int cmd_batch(const std::vector<std::string>& argv) {
    static const std::vector<std::string> subs = {"plan",    "submit", "status",     "wait",
                                                  "confirm", "report", "finish-move"};
    if (argv.empty() || std::find(subs.begin(), subs.end(), argv[0]) == subs.end()) {
        parsed_args a;
        auto spec = specs();
        if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
            std::vector<std::string> help = {"--help"};
            parse_command("batch", usage, description, help, spec, a);
            return argv.empty() ? exit_usage : exit_ok;
        }
        print_usage_error("batch", "unknown subcommand '" + argv[0] +
                                       "' (plan, submit, status, wait, confirm, report, finish-move)");
        return exit_usage;
    }
    batch_args b;
    b.sub = argv[0];
    const std::string name = "batch " + b.sub;
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    parsed_args args;
    auto spec = specs();
    if (int rc = parse_command(name, usage, description, rest, spec, args); rc >= 0) return rc;
    if (int rc = parse_locations(name, args, b); rc >= 0) return rc;
    const bool needs_locations = b.sub == "plan" || b.sub == "submit" || b.sub == "finish-move";
    if (needs_locations && (b.sources.empty() || b.dest.bucket.empty())) {
        print_usage_error(name,
                          "needs --source s3://BUCKET[/PREFIX] (repeatable) and --dest s3://BUCKET[/PREFIX]");
        return exit_usage;
    }
    if (b.sub != "plan" && b.sub != "submit" && args.all("job-id").empty()) {
        print_usage_error(name, "needs --job-id ID (repeatable)");
        return exit_usage;
    }
    if (int rc = apply_batch_options(name, args, b); rc >= 0) return rc;
    s3::client_config cfg;
    if (int rc = make_client_config(args, cfg)) return rc;
    b.control.region = cfg.region;
    return run_with_client(cfg, [&](s3::client& client) -> asio::awaitable<int> {
        if (b.sub == "plan") co_return co_await batch_plan(client, args, b, name);
        if (b.sub == "submit") co_return co_await batch_submit(client, args, b, name);
        {
            diagnostics diag;
            if (auto ec = co_await resolve_account(client, b, diag)) {
                print_error(ec, diag);
                co_return exit_code_for(ec);
            }
        }
        if (b.sub == "status") co_return co_await status_or_wait(client, args, b, false);
        if (b.sub == "wait") co_return co_await status_or_wait(client, args, b, true);
        if (b.sub == "confirm") {
            for (const auto& id : args.all("job-id")) {
                std::string status;
                diagnostics diag;
                if (auto ec =
                        co_await batch::update_job_status(client, b.control, id, "Ready", status, diag)) {
                    print_error(ec, diag);
                    co_return exit_code_for(ec);
                }
                std::printf("job %s: %s\n", id.c_str(), status.c_str());
            }
            co_return exit_ok;
        }
        if (b.sub == "report") co_return co_await report(client, args, b);
        co_return co_await batch_finish_move(client, args, b, name);
    });
}

}  // namespace s3merge::cli
