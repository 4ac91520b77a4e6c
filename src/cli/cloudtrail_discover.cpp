// `s3merge cloudtrail`: the sources and the destination as the account has
// them. CloudTrail DescribeTrails in every region (the all-region trail is
// the destination, every single-region trail's bucket and prefix a source),
// the account's buckets probed for AWSLogs/<account>/CloudTrail/<region>/
// content (trails already deleted leave their buckets behind), and the
// places given with --source. The plan itself is pure
// (cloudtrail/layout.hpp); this file does the requests and prints
// `cloudtrail discover`.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

#include "cli/cloudtrail_job.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "engine/json_writer.hpp"
#include "s3merge/cloudtrail/discovery.hpp"
#include "s3merge/cloudtrail/naming.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3merge::cli::cloudtrail_cmd {

namespace asio = boost::asio;
namespace ct = s3merge::cloudtrail;

namespace {

std::string with_slash(std::string kp) {
    while (kp.ends_with('/')) kp.pop_back();
    return kp.empty() ? kp : kp + "/";
}

// What `bucket` holds for the account under [key_prefix/]AWSLogs/: the
// regions of the account layout and of every organization layout found.
asio::awaitable<std::error_code> probe_content(s3::client& c, const std::string& account,
                                               const std::string& bucket, const std::string& key_prefix,
                                               std::vector<ct::content_probe>& out,
                                               std::vector<std::string>& org_ids, diagnostics& d) {
    const std::string awslogs = with_slash(key_prefix) + "AWSLogs/";
    std::vector<std::string> top;
    if (auto ec = co_await list_children(c, bucket, awslogs, top, d)) co_return ec;
    org_ids = ct::org_ids_under(awslogs, top);
    std::vector<std::string> layouts;  // "" for the account layout, else an organization id
    if (std::find(top.begin(), top.end(), awslogs + account + "/") != top.end()) layouts.push_back("");
    for (std::size_t i = 0; i < org_ids.size() && i < 8; ++i) layouts.push_back(org_ids[i]);
    for (const auto& org : layouts) {
        const std::string parent = ct::log_prefix(key_prefix, org, account, ct::log_kind::logs, "");
        std::vector<std::string> regions;
        if (auto ec = co_await list_children(c, bucket, parent, regions, d)) co_return ec;
        ct::content_probe probe{bucket, key_prefix, org, ct::regions_under(parent, regions)};
        if (!probe.regions.empty()) out.push_back(std::move(probe));
    }
    co_return std::error_code{};
}

bool parse_source_uri(const std::string& uri, std::string& bucket, std::string& key_prefix) {
    if (!uri.starts_with("s3://")) return false;
    std::string rest = uri.substr(5);
    auto slash = rest.find('/');
    bucket = rest.substr(0, slash);
    key_prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
    while (key_prefix.ends_with('/')) key_prefix.pop_back();
    // s3://bucket/[kp/]AWSLogs/...: the key prefix is what comes before AWSLogs/.
    if (auto at = key_prefix.find("AWSLogs"); at != std::string::npos) key_prefix = key_prefix.substr(0, at);
    while (key_prefix.ends_with('/')) key_prefix.pop_back();
    return !bucket.empty();
}

}  // namespace

// The common prefixes directly under `prefix` (one page: up to 1,000).
asio::awaitable<std::error_code> list_children(s3::client& c, const std::string& bucket,
                                               const std::string& prefix, std::vector<std::string>& out,
                                               diagnostics& d) {
    s3::list_objects_v2_params p;
    p.prefix = prefix;
    p.delimiter = "/";
    s3::list_objects_v2_result r;
    auto ec = co_await c.list_objects_v2(bucket, p, r, d);
    out = std::move(r.common_prefixes);
    co_return ec;
}

asio::awaitable<int> discover_sources(s3::client& client, const parsed_args& args, job& j,
                                      const std::vector<std::string>& regions,
                                      const std::vector<bool>& opt_in) {
    const std::string name = "cloudtrail " + j.command;
    ct::discovery_inputs in;
    in.account = j.account;
    in.org_id = args.value("org-id");
    if (args.has("dest-prefix")) in.dest_prefix = args.value("dest-prefix");
    if (args.has("dest-bucket")) {
        diagnostics d;
        if (ct::expand_template("--dest-bucket", args.value("dest-bucket"), "", j.account, in.dest_bucket,
                                d) ||
            ct::validate_bucket_name(in.dest_bucket, d)) {
            print_usage_error(name, d.detail);
            co_return exit_usage;
        }
    }
    // Explicit places first: they are checked before anything is asked.
    std::vector<std::pair<std::string, std::string>> explicit_places;
    for (const auto& uri : args.all("source")) {
        std::string bucket, kp;
        diagnostics d;
        if (!parse_source_uri(uri, bucket, kp) || ct::validate_bucket_name(bucket, d)) {
            print_usage_error(name, "--source '" + uri.substr(0, 80) +
                                        "' is not s3://BUCKET[/KEYPREFIX] with a valid bucket name" +
                                        (d.detail.empty() ? std::string() : " (" + d.detail + ")"));
            co_return exit_usage;
        }
        explicit_places.emplace_back(bucket, kp);
    }

    // 1. Trails, in every region (each answer repeats the all-region ones).
    const std::string endpoint =
        args.value("cloudtrail-endpoint-url", ct::service_endpoint_from_env("cloudtrail", std::getenv));
    std::vector<std::vector<ct::trail>> per_region(regions.size());
    std::vector<std::error_code> errs(regions.size());
    std::vector<diagnostics> diags(regions.size());
    std::function<asio::awaitable<void>(std::size_t)> describe = [&](std::size_t i) -> asio::awaitable<void> {
        if (opt_in[i]) co_return;  // not opted in: no trail can live there
        errs[i] = co_await ct::describe_trails(client, endpoint, regions[i], per_region[i], diags[i]);
    };
    co_await parallel_for(regions.size(), 8, describe);
    std::vector<ct::trail> all;
    std::size_t answered = 0, asked = 0;
    for (std::size_t i = 0; i < regions.size(); ++i) {
        if (opt_in[i]) continue;
        ++asked;
        if (!errs[i]) {
            ++answered;
            all.insert(all.end(), per_region[i].begin(), per_region[i].end());
        } else if (errs[i] == errc::invalid_access_key || errs[i] == errc::signature_mismatch ||
                   errs[i] == errc::expired_token) {
            print_error(errs[i], diags[i]);
            co_return exit_code_for(errs[i]);
        } else {
            j.notes.push_back("region " + regions[i] + ": DescribeTrails failed: " + diags[i].to_string() +
                              " (its trails are not known; their buckets may still be found by content)");
        }
    }
    if (asked > 0 && answered == 0) {
        std::size_t first = 0;
        while (first < regions.size() && (opt_in[first] || !errs[first])) ++first;
        print_error(errs[first], diags[first]);
        say("s3merge: %s: cannot read the account's trails (cloudtrail:DescribeTrails) in any of %zu "
            "regions — allow it, or name the sources with --source s3://BUCKET or "
            "--source-bucket-template, and the destination with --dest-bucket\n",
            name.c_str(), asked);
        co_return exit_code_for(errs[first]);
    }
    in.trails = ct::unique_trails(all);
    if (!explicit_places.empty())  // --source names the sources; the trails still give the destination
        std::erase_if(in.trails, [](const ct::trail& t) { return !t.multi_region; });

    // 2. Places to probe for content: --source, or every bucket of the
    // account under no prefix and under each trail's prefix.
    std::vector<std::pair<std::string, std::string>> places;
    if (!explicit_places.empty()) {
        places = explicit_places;
    } else {
        std::vector<std::string> buckets;
        diagnostics d;
        if (auto ec = co_await client.list_buckets(buckets, d)) {
            j.notes.push_back("ListBuckets failed: " + d.to_string() +
                              " (buckets of deleted trails are not searched; name them with --source)");
        }
        std::set<std::pair<std::string, std::string>> seen;
        for (const auto& b : buckets)
            if (seen.insert({b, ""}).second) places.emplace_back(b, "");
        for (const auto& t : in.trails)
            if (!t.bucket.empty() && seen.insert({t.bucket, t.key_prefix}).second)
                places.emplace_back(t.bucket, t.key_prefix);
    }
    // The destination's place is probed too: its organization id.
    for (const auto& t : in.trails)
        if (t.multi_region && !t.bucket.empty() &&
            std::find(places.begin(), places.end(), std::make_pair(t.bucket, t.key_prefix)) == places.end())
            places.emplace_back(t.bucket, t.key_prefix);
    std::vector<std::vector<ct::content_probe>> found(places.size());
    std::vector<std::vector<std::string>> orgs(places.size());
    std::vector<std::error_code> probe_errs(places.size());
    std::vector<diagnostics> probe_diags(places.size());
    std::function<asio::awaitable<void>(std::size_t)> probe = [&](std::size_t i) -> asio::awaitable<void> {
        probe_errs[i] = co_await probe_content(client, j.account, places[i].first, places[i].second, found[i],
                                               orgs[i], probe_diags[i]);
    };
    co_await parallel_for(places.size(), 16, probe);
    for (std::size_t i = 0; i < places.size(); ++i) {
        const bool given = i < explicit_places.size() && !explicit_places.empty();
        if (probe_errs[i]) {
            if (given) {
                print_error(probe_errs[i], probe_diags[i]);
                say("s3merge: %s: cannot read --source s3://%s: check the bucket name\n", name.c_str(),
                    places[i].first.c_str());
                co_return exit_code_for(probe_errs[i]);
            }
            continue;  // a bucket of another owner or region policy: not a source we can read
        }
        if (given && found[i].empty())
            j.notes.push_back("--source s3://" + places[i].first + "/" + with_slash(places[i].second) +
                              ": no AWSLogs/" + j.account + "/CloudTrail/<region>/ logs there");
        for (auto& p : found[i]) in.contents.push_back(std::move(p));
    }
    // The organization id of an organization trail's layout, from its bucket.
    if (in.org_id.empty()) {
        for (const auto& t : in.trails) {
            if (!t.multi_region || !t.organization) continue;
            if (!in.dest_bucket.empty() && t.bucket != in.dest_bucket) continue;
            for (std::size_t i = 0; i < places.size(); ++i)
                if (places[i] == std::make_pair(t.bucket, t.key_prefix) && orgs[i].size() == 1)
                    in.org_id = orgs[i].front();
        }
    }

    // 3. The plan (pure).
    ct::discovery_result res;
    diagnostics d;
    if (auto ec = ct::plan_discovery(in, res, d)) {
        say("s3merge: %s: %s\n", name.c_str(), d.detail.c_str());
        co_return ec == errc::not_found ? exit_failed : exit_usage;
    }
    for (auto& n : res.notes) j.notes.push_back(std::move(n));
    j.dest = res.dest;
    j.dest_bucket = res.dest.where.bucket;
    j.prefixes = {
        ct::log_prefix(j.dest.where.key_prefix, j.dest.where.org_id, j.account, ct::log_kind::logs, "")};
    const bool digests = args.flag("include-digests"), insights = args.flag("include-insights");
    const bool all_regions = args.value("regions", "all") == "all";
    for (const auto& r : res.rows) {
        if (!all_regions && std::find(regions.begin(), regions.end(), r.region) == regions.end()) continue;
        region_row row;
        row.region = r.region;
        row.bucket = r.where.bucket;
        row.by = r.by;
        row.trail = r.trail;
        if (!explicit_places.empty()) row.by = ct::found_by::source_option;
        row.maps = ct::map_row(r, j.dest, j.account, digests, insights);
        j.rows.push_back(std::move(row));
    }
    if (j.rows.empty()) {
        say("s3merge: %s: no CloudTrail logs of account %s found outside the destination s3://%s/%s "
            "(%zu trails, %zu places searched) — name them with --source s3://BUCKET, or check --account; "
            "nothing was written\n",
            name.c_str(), j.account.c_str(), j.dest_bucket.c_str(), j.prefixes.front().c_str(),
            in.trails.size(), places.size());
        for (const auto& n : j.notes) say("  note: %s\n", n.c_str());
        co_return exit_failed;
    }
    j.discovered = true;
    co_return -1;
}

int print_discovery(const job& j, bool json) {
    if (json) {
        engine::json_writer w(true);
        w.begin_object();
        w.field("account", j.account);
        w.key("destination");
        w.begin_object();
        w.field("bucket", j.dest_bucket);
        w.field("key_prefix", j.dest.where.key_prefix);
        w.field("organization_id", j.dest.where.org_id);
        w.field("trail", j.dest.trail);
        w.field("prefix", j.prefixes.front());
        w.end_object();
        w.key("sources");
        w.begin_array();
        for (const auto& r : j.rows) {
            w.begin_object();
            w.field("region", r.region);
            w.field("bucket", r.bucket);
            w.field("found_by", ct::to_string(r.by));
            w.field("trail", r.trail);
            w.field("state", to_string(r.state));
            w.key("mappings");
            w.begin_array();
            for (const auto& m : r.maps) {
                w.begin_object();
                w.field("kind", ct::kind_dir(m.kind));
                w.field("source_prefix", m.src_prefix);
                w.field("dest_prefix", m.dest_prefix);
                w.end_object();
            }
            w.end_array();
            w.end_object();
        }
        w.end_array();
        w.key("notes");
        w.begin_array();
        for (const auto& n : j.notes) w.string_value(n);
        w.end_array();
        w.end_object();
        std::printf("%s\n", w.str().c_str());
        return exit_ok;
    }
    std::printf("cloudtrail discover: account %s\n", j.account.c_str());
    std::printf("destination: s3://%s/%s%s\n", j.dest_bucket.c_str(), j.prefixes.front().c_str(),
                j.dest.trail.empty() ? " (--dest-bucket)"
                                     : (" (all-region trail " + j.dest.trail +
                                        (j.dest.organization ? ", organization trail" : "") + ")")
                                           .c_str());
    text_table t;
    t.header = {"REGION", "SOURCE", "DESTINATION", "FOUND BY", "STATE"};
    t.right_align = {false, false, false, false, false};
    for (const auto& r : j.rows) {
        std::string by = ct::to_string(r.by);
        if (!r.trail.empty()) by += " " + r.trail;
        for (std::size_t k = 0; k < r.maps.size(); ++k) {
            const auto& m = r.maps[k];
            t.rows.push_back({k == 0 ? r.region : "", "s3://" + r.bucket + "/" + m.src_prefix,
                              "s3://" + j.dest_bucket + "/" + m.dest_prefix, k == 0 ? by : "",
                              k == 0 ? std::string(to_string(r.state)) : ""});
        }
    }
    std::fputs(t.render().c_str(), stdout);
    for (const auto& n : j.notes) std::printf("note: %s\n", n.c_str());
    return exit_ok;
}

}  // namespace s3merge::cli::cloudtrail_cmd
