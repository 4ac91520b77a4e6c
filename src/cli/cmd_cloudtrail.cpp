// s3merge cloudtrail plan|copy|move|verify|drop-sources: the per-region
// CloudTrail buckets of one account into the all-region bucket. Discovery
// (account, regions, bucket names, probes) and the engine runs; drop-sources
// is in cloudtrail_drop.cpp.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>

#include "cli/batch_job.hpp"
#include "cli/cloudtrail_job.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "cli/transfer_flags.hpp"
#include "s3merge/cloudtrail/athena.hpp"
#include "s3merge/cloudtrail/discovery.hpp"
#include "s3merge/cloudtrail/naming.hpp"
#include "s3merge/engine/journal.hpp"
#include "s3merge/engine_io/bucket_drop.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace cloudtrail_cmd {

namespace ct = s3merge::cloudtrail;

const char* to_string(bucket_state s) {
    switch (s) {
        case bucket_state::found:
            return "found";
        case bucket_state::no_bucket:
            return "no bucket";
        case bucket_state::not_opted_in:
            return "not opted in";
        case bucket_state::error:
            return "error";
    }
    return "?";
}

std::vector<option_spec> option_specs(std::string_view sub) {
    auto s = common_options();
    s.push_back({"account", true, false, "ID", "the 12-digit account id (default: STS GetCallerIdentity)"});
    s.push_back(
        {"regions", true, false, "all|R1,R2", "regions to migrate (default all: EC2 DescribeRegions)"});
    s.push_back({"include-opt-in", false, false, "",
                 "with --regions all: also regions not opted in (skipped if unreachable)"});
    s.push_back(
        {"source", true, true, "S3URI",
         "a place holding old logs, s3://BUCKET[/KEYPREFIX] (repeatable; default: every single-region "
         "trail's bucket and every bucket holding AWSLogs/{account}/CloudTrail/)"});
    s.push_back({"source-bucket-template", true, false, "T",
                 "name the sources instead: per-region buckets (e.g. cloudtrail-{region}-{account}), no "
                 "CloudTrail API calls"});
    s.push_back({"dest-bucket", true, false, "NAME",
                 "the destination bucket (default: the all-region trail's; with --source-bucket-template "
                 "cloudtrail-all-region-{account})"});
    s.push_back(
        {"dest-prefix", true, false, "KP",
         "the destination's key prefix before AWSLogs/ (default: the all-region trail's S3KeyPrefix)"});
    s.push_back(
        {"org-id", true, false, "o-ID",
         "organization id for an organization trail's layout AWSLogs/{org}/{account}/ (default: found "
         "in its bucket)"});
    s.push_back({"prefix", true, false, "P",
                 "with --source-bucket-template: key prefix in source and destination alike (default "
                 "AWSLogs/{account}/CloudTrail/)"});
    s.push_back({"include-digests", false, false, "", "also carry CloudTrail-Digest/ (the same mapping)"});
    s.push_back({"include-insights", false, false, "", "also carry CloudTrail-Insight/ (the same mapping)"});
    s.push_back({"cloudtrail-endpoint-url", true, false, "URL",
                 "CloudTrail endpoint (else AWS_ENDPOINT_URL_CLOUDTRAIL, else AWS_ENDPOINT_URL, else AWS)"});
    if (sub == "discover") s.push_back({"json", false, false, "", "print what was found as JSON"});
    if (sub == "plan" || sub == "copy" || sub == "move")
        s.push_back(
            {"dedup", true, false, "keep|filter|off",
             "events both the old trails and the destination's trail delivered (same eventID), on days both "
             "hold: a log whose events are all there is not copied; one with some is copied as is (keep, "
             "default) or written without them next to its name (filter)"});
    s.push_back({"sts-endpoint-url", true, false, "URL",
                 "STS endpoint (else AWS_ENDPOINT_URL_STS, [services] sts, AWS_ENDPOINT_URL, else AWS's)"});
    s.push_back(
        {"ec2-endpoint-url", true, false, "URL", "EC2 endpoint (else AWS_ENDPOINT_URL_EC2, else AWS)"});
    if (sub != "drop-sources" && sub != "discover")
        s.push_back({"athena-ddl", false, false, "",
                     "print a CREATE TABLE (partition projection) over the all-region bucket"});
    for (auto& o : listing_option_specs()) s.push_back(std::move(o));
    if (sub == "batch")
        for (auto& o : batch_option_specs(false)) s.push_back(std::move(o));
    if (sub == "plan" || sub == "copy" || sub == "move" || sub == "verify") {
        s.push_back({"from-date", true, false, "YYYY-MM-DD",
                     "only logs of this UTC day and later (day prefixes before it are not listed)"});
        s.push_back({"to-date", true, false, "YYYY-MM-DD", "only logs of this UTC day and earlier"});
        for (auto& o : shard_option_specs(false)) s.push_back(std::move(o));
    }
    if (sub == "copy" || sub == "move")
        for (auto& o : copy_option_specs()) s.push_back(std::move(o));
    if (sub == "drop-sources")
        s.push_back(
            {"yes", false, false, "", "do not ask: delete verified source buckets without confirmation"});
    if (sub == "verify" || sub == "copy" || sub == "move")
        s.push_back(
            {"digests", false, false, "",
             "also prove every log file from CloudTrail's signed digest files (signature, chain, SHA-256)"});
    if (sub == "drop-sources")
        s.push_back(
            {"require-proof", false, false, "",
             "keep a bucket unless CloudTrail's digest files prove every log of it at the destination"});
    if (sub == "verify" || sub == "drop-sources" || sub == "copy" || sub == "move")
        s.push_back({"public-keys", true, false, "FILE",
                     "CloudTrail's public keys as `aws cloudtrail list-public-keys` prints them (default: "
                     "ListPublicKeys)"});
    return s;
}

namespace {

// A usage-class error (exit 2) from a naming check.
int naming_error(const std::string& cmd, const diagnostics& d) {
    print_usage_error("cloudtrail " + cmd, d.detail);
    return exit_usage;
}

}  // namespace

asio::awaitable<int> resolve_job(s3::client& client, const parsed_args& args, job& j) {
    const std::string& cmd = j.command;
    diagnostics d;
    auto src_tmpl = args.value("source-bucket-template", std::string(ct::default_source_template));
    auto dst_tmpl = args.value("dest-bucket", std::string(ct::default_dest_template));
    auto pfx_tmpl = args.value("prefix", std::string(ct::default_prefix_template));
    if (ct::check_template("--source-bucket-template", src_tmpl, true, d)) co_return naming_error(cmd, d);
    if (ct::check_template("--dest-bucket", dst_tmpl, false, d)) co_return naming_error(cmd, d);
    if (ct::check_template("--prefix", pfx_tmpl, false, d)) co_return naming_error(cmd, d);
    std::vector<std::string> regions;
    auto regions_arg = args.value("regions", "all");
    if (regions_arg != "all" && ct::parse_region_list(regions_arg, regions, d))
        co_return naming_error(cmd, d);
    if (args.has("account")) {
        j.account = args.value("account");
        if (ct::validate_account_id(j.account, d)) co_return naming_error(cmd, d);
    }

    // Account and regions from AWS when not given.
    if (j.account.empty()) {
        auto url = args.value("sts-endpoint-url", client.config().sts_endpoint_url);
        ct::caller_identity id;
        if (auto ec = co_await ct::get_caller_identity(client, url, id, d)) {
            print_error(ec, d);
            say("s3merge: cannot learn the account id; pass --account ID\n");
            co_return exit_code_for(ec);
        }
        j.account = id.account;
    }
    std::vector<bool> opt_in(regions.size(), false);
    if (regions_arg == "all") {
        auto url = args.value("ec2-endpoint-url", ct::service_endpoint_from_env("ec2", std::getenv));
        std::vector<ct::region_info> infos;
        bool all = args.flag("include-opt-in");
        if (auto ec = co_await ct::describe_regions(client, url, all, infos, d)) {
            print_error(ec, d);
            say("s3merge: cannot list the regions; pass --regions R1,R2,...\n");
            co_return exit_code_for(ec);
        }
        std::sort(infos.begin(), infos.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
        for (const auto& r : infos) {
            regions.push_back(r.name);
            opt_in.push_back(r.opt_in_status == "not-opted-in");
        }
        if (regions.empty()) {
            say("s3merge: DescribeRegions returned no region; pass --regions R1,R2,...\n");
            co_return exit_failed;
        }
    }

    // Sources from the account's trails and buckets (or --source), unless
    // they are named by a template.
    if (!args.has("source-bucket-template") && !args.has("prefix")) {
        j.athena_ddl = args.flag("athena-ddl");
        co_return co_await discover_sources(client, args, j, regions, opt_in);
    }
    if (args.has("source") || args.has("org-id") || args.has("dest-prefix") ||
        args.flag("include-insights")) {
        print_usage_error(
            "cloudtrail " + cmd,
            "--source, --org-id, --dest-prefix and --include-insights work with the sources found "
            "from the account's trails, not with --source-bucket-template / --prefix");
        co_return exit_usage;
    }

    // Names.
    if (ct::expand_template("--dest-bucket", dst_tmpl, "", j.account, j.dest_bucket, d))
        co_return naming_error(cmd, d);
    if (ct::validate_bucket_name(j.dest_bucket, d)) co_return naming_error(cmd, d);
    std::string prefix;
    if (ct::expand_template("--prefix", pfx_tmpl, "", j.account, prefix, d)) co_return naming_error(cmd, d);
    j.prefixes = {prefix};
    if (args.flag("include-digests")) {
        std::string digests;
        (void)ct::expand_template("--prefix", ct::digest_prefix_template, "", j.account, digests, d);
        j.prefixes.push_back(digests);
    }
    for (std::size_t i = 0; i < regions.size(); ++i) {
        region_row row;
        row.region = regions[i];
        row.opt_in = opt_in[i];
        if (ct::expand_template("--source-bucket-template", src_tmpl, row.region, j.account, row.bucket, d))
            co_return naming_error(cmd, d);
        if (ct::validate_bucket_name(row.bucket, d)) co_return naming_error(cmd, d);
        for (const auto& p : j.prefixes) row.maps.push_back({ct::log_kind::logs, p, p});
        if (row.bucket == j.dest_bucket) {
            print_usage_error("cloudtrail " + cmd, "the source bucket of " + row.region +
                                                       " is the destination '" + j.dest_bucket +
                                                       "': check --source-bucket-template and --dest-bucket");
            co_return exit_usage;
        }
        j.rows.push_back(std::move(row));
    }
    j.athena_ddl = args.flag("athena-ddl");
    co_return -1;
}

asio::awaitable<int> probe_buckets(s3::client& client, job& j) {
    // Against AWS, start each source in the region its name says; a bucket
    // elsewhere answers with x-amz-bucket-region, which the client follows.
    bool aws = client.config().endpoint.endpoint_url.empty();
    std::error_code dest_ec;
    diagnostics dest_diag;
    std::function<asio::awaitable<void>(std::size_t)> probe = [&](std::size_t i) -> asio::awaitable<void> {
        bool is_dest = i == j.rows.size();
        const std::string& bucket = is_dest ? j.dest_bucket : j.rows[i].bucket;
        if (!is_dest && aws) client.set_bucket_region(bucket, j.rows[i].region);
        s3::head_bucket_result hb;
        diagnostics d;
        auto ec = co_await client.head_bucket(bucket, hb, d);
        if (!hb.region.empty()) client.set_bucket_region(bucket, hb.region);
        if (is_dest) {
            dest_ec = ec;
            dest_diag = d;
            j.dest_region = hb.region;
            co_return;
        }
        auto& row = j.rows[i];
        row.bucket_region = hb.region;
        if (!ec) {
            row.state = bucket_state::found;
        } else if (row.opt_in) {
            row.state = bucket_state::not_opted_in;
        } else if (ec == errc::not_found || ec == errc::no_such_bucket) {
            row.state = bucket_state::no_bucket;
        } else {
            row.state = bucket_state::error;
            row.error = d.to_string();
            auto hint = hint_for(ec, d);
            if (!hint.empty()) row.error += " — " + hint;
        }
    };
    co_await parallel_for(j.rows.size() + 1, 16, probe);
    if (dest_ec) {
        if (dest_ec == errc::not_found || dest_ec == errc::no_such_bucket) {
            say("s3merge: cloudtrail %s: the destination bucket s3://%s does not exist (account %s) — "
                "check --account and --dest-bucket, or create it first (s3merge mb s3://%s); nothing was "
                "written\n",
                j.command.c_str(), j.dest_bucket.c_str(), j.account.c_str(), j.dest_bucket.c_str());
            co_return exit_failed;
        }
        print_error(dest_ec, dest_diag);
        co_return exit_code_for(dest_ec);
    }
    std::size_t found = 0;
    for (const auto& r : j.rows) {
        if (r.state == bucket_state::found) ++found;
        if (r.state == bucket_state::error)
            say("s3merge: cloudtrail %s: region %s: %s\n", j.command.c_str(), r.region.c_str(),
                r.error.c_str());
    }
    if (found == 0) {
        say("s3merge: cloudtrail %s: no source bucket found for account %s in %zu regions (e.g. s3://%s) — "
            "check --account and --source-bucket-template; nothing was written\n",
            j.command.c_str(), j.account.c_str(), j.rows.size(),
            j.rows.empty() ? "" : j.rows.front().bucket.c_str());
        co_return exit_failed;
    }
    co_return -1;
}

namespace {

// Whether the region comes after this prefix (it ends at CloudTrail/,
// CloudTrail-Digest/ or CloudTrail-Insight/) rather than being in it.
bool region_follows(std::string_view p) {
    if (p.ends_with('/')) p.remove_suffix(1);
    p = p.substr(p.find_last_of('/') + 1);
    return p == "CloudTrail" || p == "CloudTrail-Digest" || p == "CloudTrail-Insight";
}

}  // namespace

void add_sources(job& j, engine::transfer_options& o, bool whole_bucket) {
    // --from-date/--to-date come as one range of day suffixes ("2024/03/05/"),
    // made a range of keys under each region's prefix here.
    const engine::key_range days = o.source_ranges.empty() ? engine::key_range{} : o.source_ranges.front();
    o.source_ranges.clear();
    o.shard_depths.clear();
    o.destination = {j.dest_bucket, whole_bucket ? std::string() : j.prefixes.front()};
    for (auto& r : j.rows) {
        r.sources.clear();
        if (r.state != bucket_state::found) continue;
        if (whole_bucket) {
            r.sources.push_back(o.sources.size());
            o.sources.push_back({r.bucket, ""});
            o.dest_prefixes.push_back("");
            continue;
        }
        for (const auto& m : r.maps) {
            r.sources.push_back(o.sources.size());
            o.sources.push_back({r.bucket, m.src_prefix});
            o.dest_prefixes.push_back(m.dest_prefix);
            // Shards split by day: YYYY/MM/DD/ below a region's prefix, one
            // level more below CloudTrail/ (the region first).
            o.shard_depths.push_back(region_follows(m.src_prefix) ? 4 : 3);
            if (!days.empty()) {
                // Days follow the region: one level below a prefix ending at
                // CloudTrail/ (or -Digest/, -Insight/), at once below a region's.
                engine::key_range r = days;
                r.base = m.src_prefix;
                r.skip = region_follows(m.src_prefix) ? 1 : 0;
                o.source_ranges.push_back(std::move(r));
            }
        }
    }
}

engine::counters row_counters(const region_row& r, const engine::report& rep) {
    engine::counters c;
    for (auto i : r.sources)
        if (i < rep.sources.size()) c += rep.sources[i].counters;
    return c;
}

engine::source_details row_details(const region_row& r, const engine::report& rep) {
    engine::source_details s;
    for (auto i : r.sources)
        if (i < rep.details.size()) s += rep.details[i];
    return s;
}

std::vector<std::string> row_head(const region_row& r) {
    std::string state = to_string(r.state);
    if (r.state == bucket_state::found && !r.bucket_region.empty() && r.bucket_region != r.region &&
        r.bucket_region.find('-') != std::string::npos)
        state += " (in " + r.bucket_region + ")";
    if (r.state == bucket_state::not_opted_in) state += " (skipped)";
    return {r.region, r.bucket, state};
}

std::vector<std::string> found_buckets(const job& j) {
    std::vector<std::string> out;
    for (const auto& r : j.rows)
        if (r.state == bucket_state::found && r.bucket != j.dest_bucket &&
            std::find(out.begin(), out.end(), r.bucket) == out.end())
            out.push_back(r.bucket);
    return out;
}

void print_hints(const job& j) {
    std::printf("\nstill to do by hand:\n");
    for (const auto& line :
         ct::post_migration_hints(j.account, j.dest_bucket, found_buckets(j), j.prefixes.front()))
        std::printf("  - %s\n", line.c_str());
}

void print_athena_ddl(const job& j) {
    ct::athena_params p;
    p.bucket = j.dest_bucket;
    p.account = j.account;
    p.prefix = j.prefixes.front();
    for (const auto& r : j.rows)
        if (r.state == bucket_state::found) p.regions.push_back(r.region);
    if (p.regions.empty())
        for (const auto& r : j.rows) p.regions.push_back(r.region);
    diagnostics d;
    if (ct::check_athena_params(p, d)) {
        say("s3merge: cannot write the Athena DDL: %s\n", d.detail.c_str());
        return;
    }
    std::printf("\n-- Athena table over s3://%s/%s\n%s\n", p.bucket.c_str(), p.prefix.c_str(),
                ct::athena_ddl(p).c_str());
}

namespace {

void print_header(const job& j, std::string_view what) {
    std::size_t found = 0, missing = 0;
    for (const auto& r : j.rows) (r.state == bucket_state::found ? found : missing) += 1;
    std::printf(
        "cloudtrail %.*s: account %s, %zu regions (%zu source buckets found), destination s3://%s/%s\n",
        int(what.size()), what.data(), j.account.c_str(), j.rows.size(), found, j.dest_bucket.c_str(),
        j.prefixes.front().c_str());
}

int finish_code(const job& j, const engine::transfer_result& res) {
    if (res.interrupted) return exit_interrupted;
    bool errors = std::any_of(j.rows.begin(), j.rows.end(),
                              [](const auto& r) { return r.state == bucket_state::error; });
    if (errors) return exit_failed;
    return failures_exit_code(res.rep);
}

asio::awaitable<int> run_plan(s3::client& client, const parsed_args& args, job& j,
                              engine::transfer_options o) {
    o.dry_run = true;
    add_sources(j, o, false);
    auto before = client.stats().requests;
    auto res = co_await run_transfer_with_signals(client, o);
    if (res.fatal) {
        print_error(res.fatal, res.fatal_diag);
        co_return exit_code_for(res.fatal);
    }
    // The listing requests a copy or move makes too (the version listings
    // below are the plan's own).
    std::uint64_t list_requests = client.stats().requests - before;
    // What drop-sources would delete: every version, marker and upload.
    std::vector<engine::drop_result> drops(j.rows.size());
    std::function<asio::awaitable<void>(std::size_t)> count = [&](std::size_t i) -> asio::awaitable<void> {
        if (j.rows[i].state != bucket_state::found) co_return;
        engine::drop_options d;
        d.bucket = j.rows[i].bucket;
        d.dry_run = true;
        drops[i] = co_await engine::drop_bucket(client, d);
    };
    co_await parallel_for(j.rows.size(), 4, count);

    print_header(j, "plan");
    text_table t;
    t.header = {"REGION",  "SOURCE BUCKET", "STATE",   "OBJECTS",  "SIZE",
                "TO COPY", "COPY SIZE",     "PRESENT", "ARCHIVED", "OLD VERSIONS"};
    t.right_align = {false, false, false, true, true, true, true, true, true, true};
    engine::counters tc;
    engine::source_details td;
    std::uint64_t versions = 0, markers = 0, uploads = 0, version_bytes = 0, buckets = 0;
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        const auto& r = j.rows[i];
        auto row = row_head(r);
        if (r.state == bucket_state::found) {
            auto c = row_counters(r, res.rep);
            auto d = row_details(r, res.rep);
            tc += c;
            td += d;
            for (auto s : {group_digits(c.listed), human_bytes(d.bytes_listed), group_digits(d.to_copy),
                           human_bytes(d.bytes_to_copy), group_digits(c.skipped), group_digits(d.archived),
                           group_digits(d.noncurrent_versions + d.delete_markers)})
                row.push_back(s);
            ++buckets;
            versions += drops[i].versions, markers += drops[i].delete_markers, uploads += drops[i].uploads;
            version_bytes += drops[i].bytes;
        }
        t.rows.push_back(std::move(row));
    }
    t.rows.push_back({"total", "", "", group_digits(tc.listed), human_bytes(td.bytes_listed),
                      group_digits(td.to_copy), human_bytes(td.bytes_to_copy), group_digits(tc.skipped),
                      group_digits(td.archived), group_digits(td.noncurrent_versions + td.delete_markers)});
    std::fputs(t.render().c_str(), stdout);

    ct::request_cost cost;
    cost.copy_requests = td.to_copy;
    cost.list_requests = list_requests;
    std::printf(
        "\nestimated request cost (an estimate, us-east-1 prices, $0.005 per 1,000 COPY/LIST requests): "
        "%s COPY + %s LIST ≈ %s; DELETE requests are free\n",
        group_digits(cost.copy_requests).c_str(), group_digits(cost.list_requests).c_str(),
        format_usd(cost.usd()).c_str());
    if (td.archived)
        std::printf(
            "%s objects are in GLACIER/DEEP_ARCHIVE: they are not copied without a restore (--glacier)\n",
            group_digits(td.archived).c_str());
    if (td.unverifiable)
        std::printf(
            "%s of the objects to copy are at the destination with the same size, but their ETags cannot "
            "prove the same content (multipart): they are copied again\n",
            group_digits(td.unverifiable).c_str());
    if (td.collisions)
        std::printf(
            "%s source objects map onto a destination key that another source also writes, with other "
            "content: neither is copied or deleted (each is named above; KeyCollision)\n",
            group_digits(td.collisions).c_str());
    std::printf(
        "move would delete %s source objects, each only after its copy is verified at the destination\n",
        group_digits(tc.listed - td.archived).c_str());
    std::printf(
        "drop-sources would then delete %s buckets holding %s object versions (%s), %s delete markers and "
        "%s unfinished multipart uploads — after verifying each bucket against the destination\n",
        group_digits(buckets).c_str(), group_digits(versions).c_str(), human_bytes(version_bytes).c_str(),
        group_digits(markers).c_str(), group_digits(uploads).c_str());
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        const auto& dr = drops[i];
        if (j.rows[i].state != bucket_state::found || !dr.ec) continue;
        if (dr.ec == errc::bucket_not_empty)
            std::printf("note: s3://%s: %s\n", j.rows[i].bucket.c_str(), dr.diag.to_string().c_str());
        else
            std::printf("note: could not count what drop-sources would delete in s3://%s: %s\n",
                        j.rows[i].bucket.c_str(), dr.diag.to_string().c_str());
    }
    if (j.discovered) {
        std::printf("\nwhere each region's logs go (a sample key):\n");
        for (const auto& r : j.rows) {
            if (r.maps.empty()) continue;
            const auto& m = r.maps.front();
            std::printf("  %s: s3://%s/%s\n    -> s3://%s/%s\n", r.region.c_str(), r.bucket.c_str(),
                        ct::sample_key(m.src_prefix, j.account, r.region, m.kind).c_str(),
                        j.dest_bucket.c_str(),
                        ct::sample_key(m.dest_prefix, j.account, r.region, m.kind).c_str());
        }
        for (const auto& n : j.notes) std::printf("note: %s\n", n.c_str());
    }
    if (const std::string dedup = args.value("dedup", "keep"); dedup != "off") {
        // Reads inside the overlap window only; writes nothing.
        std::vector<region_dedup> overlap;
        if (int r = co_await analyse_overlap(client, j, dedup == "filter", false, read_width(args), overlap);
            r >= 0)
            co_return r;
        print_overlap(j, overlap, dedup == "filter", false);
    }
    std::printf("nothing was written (plan is a dry run)\n");
    if (j.athena_ddl) print_athena_ddl(j);
    co_return finish_code(j, res);
}

asio::awaitable<int> run_verify(s3::client& client, const parsed_args& args, job& j,
                                engine::transfer_options o) {
    o.verify = true;
    add_sources(j, o, false);
    auto res = co_await run_transfer_with_signals(client, o);
    if (res.fatal) {
        print_error(res.fatal, res.fatal_diag);
        co_return exit_code_for(res.fatal);
    }
    print_header(j, "verify");
    text_table t;
    t.header = {"REGION", "SOURCE BUCKET", "STATE", "OBJECTS", "IDENTICAL", "MISSING", "DIFFERENT", "ERRORS"};
    t.right_align = {false, false, false, true, true, true, true, true};
    std::uint64_t missing = 0, different = 0, listed = 0, errors = 0;
    for (const auto& r : j.rows) {
        auto row = row_head(r);
        if (r.state == bucket_state::found) {
            auto c = row_counters(r, res.rep);
            auto d = row_details(r, res.rep);
            auto errs = c.failed - std::min(c.failed, d.missing + d.different);
            for (auto s : {group_digits(c.listed), group_digits(c.skipped), group_digits(d.missing),
                           group_digits(d.different), group_digits(errs)})
                row.push_back(s);
            missing += d.missing, different += d.different, listed += c.listed, errors += errs;
        }
        t.rows.push_back(std::move(row));
    }
    std::fputs(t.render().c_str(), stdout);
    std::size_t shown = 0;
    for (const auto& f : res.rep.failures) {
        if (shown++ == 20) {
            std::printf("  ... (%s in all%s)\n", group_digits(res.rep.totals.failed).c_str(),
                        o.report_path.empty() ? "; --report FILE.json lists them" : "; see the report");
            break;
        }
        std::printf("  %s s3://%s/%s: %s\n", f.s3_code.c_str(), f.bucket.c_str(), f.key.c_str(),
                    f.message.c_str());
    }
    int rc = finish_code(j, res);
    if (rc == exit_ok && listed == 0) {
        std::printf(
            "verify: complete: no source objects left to compare (after a move the sources are empty; "
            "drop-sources verifies each bucket whole before deleting it)\n");
    } else if (rc == exit_ok) {
        std::printf("verify: complete: all %s source objects are at s3://%s with the same size and ETag\n",
                    group_digits(listed).c_str(), j.dest_bucket.c_str());
    } else if (rc != exit_interrupted) {
        std::printf(
            "verify: INCOMPLETE: %s missing, %s different, %s errors — run 'cloudtrail copy' or 'move' "
            "again\n",
            group_digits(missing).c_str(), group_digits(different).c_str(), group_digits(errors).c_str());
    }
    if (args.flag("digests") && rc != exit_interrupted) {
        std::vector<region_proof> proofs;
        if (int r = co_await prove_with_digests(client, args, j, proofs); r >= 0) co_return r;
        const int proof_rc = print_proof(j, proofs);
        if (rc == exit_ok) rc = proof_rc;
    }
    co_return rc;
}

asio::awaitable<int> run_copy(s3::client& client, const parsed_args& args, job& j, engine::transfer_options o,
                              bool move) {
    o.move = move;
    add_sources(j, o, false);
    if (int rc = apply_journal_option(args, o); rc >= 0) co_return rc;
    // The overlap first: duplicate logs are left out of the copy (and
    // filtered ones written) before the engine runs.
    const std::string dedup = args.value("dedup", "keep");
    std::vector<region_dedup> overlap;
    if (dedup != "off") {
        if (int r = co_await analyse_overlap(client, j, dedup == "filter", true, read_width(args), overlap);
            r >= 0)
            co_return r;
        o.exclude = dedup_exclusions(j, overlap);
    }
    auto res = co_await run_transfer_with_signals(client, o);
    if (res.fatal) {
        print_error(res.fatal, res.fatal_diag);
        co_return exit_code_for(res.fatal);
    }
    print_header(j, move ? "move" : "copy");
    text_table t;
    t.header = {"REGION",  "SOURCE BUCKET", "STATE",  "LISTED",   "COPIED",
                "SKIPPED", "DELETED",       "FAILED", "ARCHIVED", "SIZE COPIED"};
    t.right_align = {false, false, false, true, true, true, true, true, true, true};
    for (const auto& r : j.rows) {
        auto row = row_head(r);
        if (r.state == bucket_state::found) {
            auto c = row_counters(r, res.rep);
            auto d = row_details(r, res.rep);
            for (auto s : {group_digits(c.listed), group_digits(c.copied), group_digits(c.skipped),
                           group_digits(c.deleted), group_digits(c.failed), group_digits(d.archived),
                           human_bytes(c.bytes_copied)})
                row.push_back(s);
        }
        t.rows.push_back(std::move(row));
    }
    const auto& tot = res.rep.totals;
    t.rows.push_back({"total", "", "", group_digits(tot.listed), group_digits(tot.copied),
                      group_digits(tot.skipped), group_digits(tot.deleted), group_digits(tot.failed),
                      group_digits(res.rep.glacier_skipped), human_bytes(tot.bytes_copied)});
    std::fputs(t.render().c_str(), stdout);
    int rc = finish_code(j, res);
    if (res.interrupted) {
        std::printf("interrupted: re-run the same command to resume (journal %s)\n", o.journal_path.c_str());
    } else if (tot.failed > 0) {
        std::printf("%s objects failed%s; re-run the same command to retry them\n",
                    group_digits(tot.failed).c_str(),
                    o.report_path.empty() ? "" : (" (details in " + o.report_path + ")").c_str());
    } else {
        std::printf(
            "%s: complete; next: s3merge cloudtrail verify, then drop-sources to remove the old buckets\n",
            move ? "move" : "copy");
        print_hints(j);
    }
    if (dedup != "off") {
        // A move deletes the duplicate logs too: their events were read at
        // the destination (and filtered files written) above.
        if (move && !res.interrupted) co_await delete_confirmed(client, j, overlap);
        print_overlap(j, overlap, dedup == "filter", move);
        if (!o.report_path.empty()) {  // the report again, with the overlap
            res.rep.dedup = dedup;
            for (std::size_t i = 0; i < j.rows.size(); ++i) {
                const auto& d = overlap[i];
                if (d.days.empty()) continue;
                res.rep.overlap.push_back({j.rows[i].region, j.rows[i].bucket, d.days, d.files_read, d.events,
                                           d.duplicate_events, d.duplicate_files, d.partial_files,
                                           d.filtered_files, d.deleted});
            }
            std::error_code wec;
            engine::write_output_file(o.report_path, engine::encode_report(res.rep), wec);
            if (wec)
                say("s3merge: cannot write the report %s: %s\n", o.report_path.c_str(),
                    wec.message().c_str());
        }
    }
    if (args.flag("digests") && !res.interrupted) {
        // The copies proven by CloudTrail's own digests, right after.
        std::vector<region_proof> proofs;
        if (int r = co_await prove_with_digests(client, args, j, proofs); r >= 0) co_return r;
        const int proof_rc = print_proof(j, proofs);
        if (rc == exit_ok) rc = proof_rc;
    }
    if (j.athena_ddl) print_athena_ddl(j);
    co_return rc;
}

const char* usage = "s3merge cloudtrail discover|plan|copy|move|verify|drop-sources [options]";
const char* description =
    "Bring the logs of an account's old CloudTrail trails into the bucket of its all-region trail, where\n"
    "that trail would have written them (its S3 key prefix; AWSLogs/{org}/{account}/ for an organization\n"
    "trail), all regions in one process. The sources: every single-region trail's bucket and prefix\n"
    "(CloudTrail DescribeTrails in every region) and every bucket holding AWSLogs/{account}/CloudTrail/\n"
    "(trails already deleted); or --source s3://BUCKET[/KEYPREFIX]; or per-region names with\n"
    "--source-bucket-template (e.g. cloudtrail-{region}-{account}, no CloudTrail calls).\n"
    "  discover      what was found and from where: source -> destination per region (--json)\n"
    "  plan          dry run: per region, what would be copied, what is there, what would be deleted\n"
    "  copy | move   server-side copies (move: delete each source after its copy is verified); resumable\n"
    "  verify        every source object at the destination with the same size and ETag? exit 0 if so\n"
    "  drop-sources  verify each source bucket, then delete all its versions, uploads and the bucket\n"
    "A source bucket that is missing is reported and skipped. The account comes from STS and the\n"
    "regions from EC2 unless --account / --regions are given. Each subcommand lists its own options:\n"
    "s3merge cloudtrail SUBCOMMAND --help.";

}  // namespace

}  // namespace cloudtrail_cmd

int cmd_cloudtrail(const std::vector<std::string>& argv) {
    using namespace cloudtrail_cmd;
    static const std::vector<std::string> subs = {"discover", "plan",  "copy",        "move",
                                                  "verify",   "batch", "drop-sources"};
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h") {
        parsed_args a;
        auto spec = option_specs("plan");
        std::vector<std::string> help = {"--help"};
        parse_command("cloudtrail", usage, description, help, spec, a);
        return argv.empty() ? exit_usage : exit_ok;
    }
    std::string sub = argv[0];
    if (std::find(subs.begin(), subs.end(), sub) == subs.end()) {
        print_usage_error("cloudtrail", "unknown subcommand '" + sub +
                                            "' (discover, plan, copy, move, verify, drop-sources)");
        return exit_usage;
    }
    std::string name = "cloudtrail " + sub;
    std::vector<std::string> rest(argv.begin() + 1, argv.end());
    // cloudtrail batch plan|submit|finish-move: the old trails' logs as S3
    // Batch Operations jobs (status, wait, confirm, report: s3merge batch).
    std::string batch_step;
    if (sub == "batch") {
        if (rest.empty() || (rest[0] != "plan" && rest[0] != "submit" && rest[0] != "finish-move")) {
            print_usage_error(name,
                              "expected plan, submit or finish-move (then 's3merge batch status|wait|confirm|"
                              "report --job-id ID')");
            return exit_usage;
        }
        batch_step = rest[0];
        name += " " + batch_step;
        rest.erase(rest.begin());
    }
    parsed_args args;
    auto spec = option_specs(sub);
    if (int rc = parse_command(name, usage, description, rest, spec, args); rc >= 0) return rc;
    if (!args.positional.empty()) {
        print_usage_error(name, "unexpected argument '" + args.positional[0] + "'");
        return exit_usage;
    }
    if (const std::string dedup = args.value("dedup", "keep");
        dedup != "keep" && dedup != "filter" && dedup != "off") {
        print_usage_error(name, "--dedup must be keep, filter or off, not '" + dedup.substr(0, 40) + "'");
        return exit_usage;
    }
    engine::transfer_options o;
    if (args.has("from-date") || args.has("to-date")) {
        // Day prefixes YYYY/MM/DD/ from the first day to the one after the last.
        engine::key_range days;
        auto day = [&](const char* opt, int plus, std::string& out) {
            sys_time t;
            const std::string v = args.value(opt);
            if (v.size() != 10 || !engine::parse_time_bound(v, t)) return false;
            const std::time_t tt = std::chrono::system_clock::to_time_t(t + std::chrono::hours(24 * plus));
            std::tm tm{};
            gmtime_r(&tt, &tm);
            char buf[16];
            std::strftime(buf, sizeof buf, "%Y/%m/%d/", &tm);
            out = buf;
            return true;
        };
        if ((args.has("from-date") && !day("from-date", 0, days.from)) ||
            (args.has("to-date") && !day("to-date", 1, days.to))) {
            print_usage_error(name, "--from-date/--to-date must be UTC days as YYYY-MM-DD");
            return exit_usage;
        }
        if (!days.to.empty() && days.from >= days.to) {
            print_usage_error(name, "--from-date must not be after --to-date");
            return exit_usage;
        }
        o.source_ranges.push_back(days);
    }
    if (int rc = apply_shard_option(name, args, o); rc >= 0) return rc;
    std::size_t per_host = 0;
    if (int rc = apply_listing_options(name, args, o, per_host); rc >= 0) return rc;
    if ((sub == "copy" || sub == "move") && apply_copy_options(name, args, o) >= 0) return exit_usage;
    set_progress_sinks(args, o);
    s3::client_config cfg;
    if (int rc = make_client_config(args, cfg)) return rc;
    cfg.http.max_connections_per_host = per_host;
    if (int rc = apply_conditional_deletes(name, args, cfg, o); rc >= 0) return rc;

    return run_with_client(cfg, [&](s3::client& client) -> asio::awaitable<int> {
        job j;
        j.command = sub == "batch" ? std::string("copy") : sub;
        if (int r = co_await resolve_job(client, args, j); r >= 0) co_return r;
        if (int r = co_await probe_buckets(client, j); r >= 0) co_return r;
        if (sub == "discover") co_return print_discovery(j, args.flag("json"));
        if (sub == "batch") {
            engine::transfer_options where;
            add_sources(j, where, false);
            batch_args b;
            b.sub = batch_step;
            b.sources = where.sources;
            b.dest_prefixes = where.dest_prefixes;
            b.dest = where.destination;
            if (int r = apply_batch_options(name, args, b); r >= 0) co_return r;
            b.control.account = j.account;
            b.control.region = client.config().region;
            if (batch_step == "plan") co_return co_await batch_plan(client, args, b, name);
            if (batch_step == "submit") co_return co_await batch_submit(client, args, b, name);
            co_return co_await batch_finish_move(client, args, b, name);
        }
        if (sub == "plan") co_return co_await run_plan(client, args, j, o);
        if (sub == "verify") co_return co_await run_verify(client, args, j, o);
        if (sub == "copy" || sub == "move") co_return co_await run_copy(client, args, j, o, sub == "move");
        co_return co_await drop_sources(client, args, j, o);
    });
}

}  // namespace s3merge::cli
