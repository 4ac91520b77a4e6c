// `--dedup keep|filter` of `s3merge cloudtrail plan|copy|move`: the events
// both the regional trails and the all-region trail delivered. Per region:
// the overlap window from listings alone (the days both sides hold logs
// that are not copies of each other), then, inside it only, one region-day
// at a time: the destination's eventIDs, and each source log's verdict
// against them. A log whose events are all there is not copied (a move
// deletes it, its events being confirmed present); one with some is copied
// as is (keep) or written filtered next to its name (filter). Logs outside
// the window are never read. The rules are pure (cloudtrail/dedup.hpp).
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <unordered_set>

#include "cli/cloudtrail_job.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "s3merge/cloudtrail/dedup.hpp"
#include "s3merge/gen/cloudtrail.hpp"

namespace s3merge::cli::cloudtrail_cmd {

namespace asio = boost::asio;
namespace ct = s3merge::cloudtrail;

namespace {

// The keys under `prefix`, without it.
asio::awaitable<std::error_code> list_below(s3::client& c, const std::string& bucket,
                                            const std::string& prefix, std::vector<std::string>& out,
                                            diagnostics& d) {
    auto ec = co_await list_keys(c, bucket, prefix, out, d);
    for (auto& k : out) k.erase(0, prefix.size());
    co_return ec;
}

// The days ("YYYY/MM/DD") a region's prefix holds, from delimiter listings
// of its years, months and days: no object is listed.
asio::awaitable<std::error_code> list_days(s3::client& c, const std::string& bucket,
                                           const std::string& prefix, std::vector<std::string>& days,
                                           diagnostics& d) {
    days.clear();
    std::vector<std::string> years, months, in_month;
    if (auto ec = co_await list_children(c, bucket, prefix, years, d)) co_return ec;
    for (const auto& y : years) {
        if (auto ec = co_await list_children(c, bucket, y, months, d)) co_return ec;
        for (const auto& m : months) {
            if (auto ec = co_await list_children(c, bucket, m, in_month, d)) co_return ec;
            for (const auto& day_dir : in_month) {
                const std::string rel = day_dir.substr(prefix.size());  // "YYYY/MM/DD/"
                if (auto day = ct::day_of(rel); !day.empty() && rel.size() == 11)
                    days.push_back(std::move(day));
            }
        }
    }
    std::sort(days.begin(), days.end());
    co_return std::error_code{};
}

// A log fetched and inflated, padded for simdjson; its ETag.
asio::awaitable<std::error_code> fetch_log(s3::client& c, const std::string& bucket, const std::string& key,
                                           std::string& json, std::string& etag, diagnostics& d) {
    s3::get_object_params gp;
    gp.key = key;
    s3::get_object_result g;
    if (auto ec = co_await c.get_object(bucket, std::move(gp), g, d)) co_return ec;
    etag = g.etag;
    if (!gen::gunzip(g.body, json)) {
        d.bucket = bucket;
        d.key = key;
        d.detail = "not a gzip file, or a corrupt one";
        co_return make_error_code(errc::malformed_response);
    }
    json.reserve(json.size() + ct::padding_bytes);
    co_return std::error_code{};
}

}  // namespace

asio::awaitable<int> analyse_overlap(s3::client& client, job& j, bool filter, bool write, std::size_t width,
                                     std::vector<region_dedup>& out) {
    out.assign(j.rows.size(), region_dedup{});
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        const auto& r = j.rows[i];
        auto& dd = out[i];
        if (r.state != bucket_state::found || r.maps.empty()) continue;
        const auto& logs = r.maps.front();
        dd.src_prefix =
            logs.src_prefix.ends_with("/CloudTrail/") ? logs.src_prefix + r.region + "/" : logs.src_prefix;
        dd.dest_prefix =
            logs.dest_prefix.ends_with("/CloudTrail/") ? logs.dest_prefix + r.region + "/" : logs.dest_prefix;
        // The days both sides hold, from delimiter listings; only those are
        // listed whole (the copy lists everything anyway).
        std::vector<std::string> src_days, dst_days, both;
        diagnostics d;
        if (auto ec = co_await list_days(client, r.bucket, dd.src_prefix, src_days, d);
            ec || (ec = co_await list_days(client, j.dest_bucket, dd.dest_prefix, dst_days, d))) {
            print_error(ec, d);
            co_return exit_code_for(ec);
        }
        std::set_intersection(src_days.begin(), src_days.end(), dst_days.begin(), dst_days.end(),
                              std::back_inserter(both));
        for (const auto& day : both) {
            std::vector<std::string> src, dst;
            if (auto ec = co_await list_below(client, r.bucket, dd.src_prefix + day + "/", src, d);
                ec || (ec = co_await list_below(client, j.dest_bucket, dd.dest_prefix + day + "/", dst, d))) {
                print_error(ec, d);
                co_return exit_code_for(ec);
            }
            // Copies of each other are not an overlap: only destination logs
            // with names the source lacks (the all-region trail's), and
            // source logs not yet at the destination.
            const std::unordered_set<std::string> src_set(src.begin(), src.end()),
                dst_set(dst.begin(), dst.end());
            std::vector<std::string> dest_files, src_files;
            for (auto& k : dst)
                if (!src_set.count(k)) dest_files.push_back(day + "/" + k);
            for (auto& k : src)
                if (!dst_set.count(k)) src_files.push_back(day + "/" + k);
            if (ct::overlap_days(src_files, dest_files).empty()) continue;
            dd.days.push_back(day);
            // The destination's events of this region-day (bounded: one day).
            std::vector<std::vector<std::string>> ids(dest_files.size());
            std::vector<std::error_code> errs(dest_files.size());
            std::vector<diagnostics> diags(dest_files.size());
            std::function<asio::awaitable<void>(std::size_t)> read_dest =
                [&](std::size_t k) -> asio::awaitable<void> {
                std::string json, etag;
                if ((errs[k] = co_await fetch_log(client, j.dest_bucket, dd.dest_prefix + dest_files[k], json,
                                                  etag, diags[k])))
                    co_return;
                errs[k] = ct::event_ids(json, json.capacity(), ids[k], diags[k]);
                dd.bytes_read += json.size();
            };
            co_await parallel_for(dest_files.size(), width, read_dest);
            std::unordered_set<std::string> day_ids;
            for (std::size_t k = 0; k < dest_files.size(); ++k) {
                if (errs[k]) {
                    print_error(errs[k], diags[k]);
                    co_return exit_code_for(errs[k]);
                }
                day_ids.insert(ids[k].begin(), ids[k].end());
            }
            dd.files_read += dest_files.size();
            // Each source log of the day against them.
            std::vector<int> outcome(src_files.size(), 0);
            std::vector<std::string> etags(src_files.size());
            std::function<asio::awaitable<void>(std::size_t)> judge =
                [&](std::size_t k) -> asio::awaitable<void> {
                std::string json;
                diagnostics gd;
                std::vector<std::string> mine;
                std::error_code ec =
                    co_await fetch_log(client, r.bucket, dd.src_prefix + src_files[k], json, etags[k], gd);
                if (!ec) ec = ct::event_ids(json, json.capacity(), mine, gd);
                dd.bytes_read += json.size();
                if (ec) {
                    dd.problems.push_back(gd.to_string() + " (copied as is)");
                    co_return;
                }
                const auto v = ct::classify(mine, day_ids);
                dd.events += v.events;
                dd.duplicate_events += v.duplicates;
                if (v.kind == ct::dup_kind::all) {
                    outcome[k] = 1;
                } else if (v.kind == ct::dup_kind::some) {
                    outcome[k] = 2;
                    if (!filter) co_return;
                    std::string kept_json;
                    std::uint64_t kept = 0;
                    if (ct::filter_records(json, json.capacity(), day_ids, kept_json, kept, gd)) {
                        dd.problems.push_back(gd.to_string() + " (copied as is)");
                        outcome[k] = 0;
                        co_return;
                    }
                    if (!write) {
                        outcome[k] = 3;
                        co_return;
                    }
                    s3::put_object_params pp;
                    pp.key = ct::filtered_key(dd.dest_prefix + src_files[k]);
                    pp.body = gen::gzip(kept_json);
                    pp.content_type = "application/json";
                    pp.content_encoding = "gzip";
                    s3::put_object_result pr;
                    if (auto pec = co_await client.put_object(j.dest_bucket, std::move(pp), pr, gd)) {
                        dd.problems.push_back("writing the filtered file: " + gd.to_string() +
                                              " (copied as is)");
                        outcome[k] = 2;
                        co_return;
                    }
                    outcome[k] = 3;
                }
            };
            co_await parallel_for(src_files.size(), width, judge);
            dd.files_read += src_files.size();
            for (std::size_t k = 0; k < src_files.size(); ++k) {
                if (outcome[k] == 1) {
                    ++dd.duplicate_files;
                    dd.excluded.insert(dd.src_prefix + src_files[k]);
                    dd.confirmed.push_back({dd.src_prefix + src_files[k], std::string(), etags[k]});
                } else if (outcome[k] == 2) {
                    ++dd.partial_files;
                } else if (outcome[k] == 3) {
                    ++dd.partial_files;
                    ++dd.filtered_files;
                    dd.excluded.insert(dd.src_prefix + src_files[k]);
                    dd.confirmed.push_back({dd.src_prefix + src_files[k], std::string(), etags[k]});
                }
            }
        }
    }
    co_return -1;
}

std::function<bool(std::size_t, std::string_view)> dedup_exclusions(const job& j,
                                                                    const std::vector<region_dedup>& dd) {
    // Engine source index -> the row's excluded keys. Called for every
    // listed key: a vector lookup and a set search without a copy of it.
    std::vector<const std::set<std::string, std::less<>>*> by_source;
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        if (dd[i].excluded.empty()) continue;
        for (auto s : j.rows[i].sources) {
            if (s >= by_source.size()) by_source.resize(s + 1, nullptr);
            by_source[s] = &dd[i].excluded;
        }
    }
    if (by_source.empty()) return {};
    return [by_source = std::move(by_source)](std::size_t source, std::string_view key) {
        return source < by_source.size() && by_source[source] && by_source[source]->contains(key);
    };
}

asio::awaitable<std::uint64_t> delete_confirmed(s3::client& client, const job& j,
                                                std::vector<region_dedup>& dd) {
    std::uint64_t deleted = 0;
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        auto& list = dd[i].confirmed;
        for (std::size_t at = 0; at < list.size(); at += s3::max_delete_objects) {
            s3::delete_objects_params p;
            p.objects.assign(list.begin() + at,
                             list.begin() + std::min(list.size(), at + s3::max_delete_objects));
            s3::delete_objects_result res;
            diagnostics d;
            const std::size_t sent = p.objects.size();
            if (auto ec = co_await client.delete_objects(j.rows[i].bucket, std::move(p), res, d)) {
                dd[i].problems.push_back("deleting duplicate source logs: " + d.to_string());
                continue;
            }
            // Quiet mode: only the keys that failed are answered.
            const std::size_t gone = sent - std::min(sent, res.errors.size());
            deleted += gone;
            dd[i].deleted += gone;
            for (const auto& e : res.errors) dd[i].problems.push_back("kept " + e.key + ": " + e.code);
        }
    }
    co_return deleted;
}

void print_overlap(const job& j, const std::vector<region_dedup>& dd, bool filter, bool move) {
    text_table t;
    t.header = {"REGION",
                "SOURCE BUCKET",
                "OVERLAP DAYS",
                "FILES READ",
                "DUPLICATE FILES",
                "PARTIAL FILES",
                filter ? "FILTERED" : "COPIED AS IS",
                "DUPLICATE EVENTS",
                move ? "DELETED" : "EVENTS"};
    t.right_align = {false, false, false, true, true, true, true, true, true};
    bool any = false;
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        const auto& d = dd[i];
        if (d.days.empty()) continue;
        any = true;
        std::string days = d.days.front() + (d.days.size() > 1 ? " .. " + d.days.back() : std::string()) +
                           " (" + std::to_string(d.days.size()) + ")";
        t.rows.push_back({j.rows[i].region, j.rows[i].bucket, days, group_digits(d.files_read),
                          group_digits(d.duplicate_files), group_digits(d.partial_files),
                          group_digits(filter ? d.filtered_files : d.partial_files - d.filtered_files),
                          group_digits(d.duplicate_events), group_digits(move ? d.deleted : d.events)});
    }
    if (!any) {
        std::printf("\noverlap: no day holds logs of both the old trails and the destination's trail\n");
        return;
    }
    std::printf(
        "\noverlap with the destination's own logs (events delivered twice), de-duplicated by eventID:\n");
    std::fputs(t.render().c_str(), stdout);
    for (std::size_t i = 0; i < j.rows.size(); ++i)
        for (const auto& p : dd[i].problems) std::printf("  %s: %s\n", j.rows[i].region.c_str(), p.c_str());
}

}  // namespace s3merge::cli::cloudtrail_cmd
