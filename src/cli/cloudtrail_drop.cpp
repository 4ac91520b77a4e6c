// s3merge cloudtrail drop-sources — the safe `aws s3 rb --force`: each
// source bucket is verified whole against the destination first; a bucket
// with anything missing or different keeps everything. Verified buckets lose
// every version, delete marker and unfinished upload, then the bucket
// itself. Anything written after the verification started is kept (the
// server's clock, from its Date header, is the guard).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "cli/cloudtrail_job.hpp"
#include "cli/common.hpp"
#include "cli/table.hpp"
#include "cli/transfer_flags.hpp"
#include "s3merge/engine/drop_plan.hpp"
#include "s3merge/engine_io/bucket_drop.hpp"

namespace s3merge::cli::cloudtrail_cmd {

namespace asio = boost::asio;

namespace {

// Objects in `bucket` under none of `mapped` (all pages; stops at the first
// page that has any, keeping one key as an example).
asio::awaitable<std::error_code> count_outside(s3::client& client, const std::string& bucket,
                                               const std::vector<std::string>& mapped, std::uint64_t& count,
                                               std::string& example, diagnostics& diag) {
    count = 0;
    s3::list_objects_v2_params p;
    for (;;) {
        s3::list_objects_v2_result r;
        if (auto ec = co_await client.list_objects_v2(bucket, p, r, diag)) co_return ec;
        for (const auto& o : r.objects) {
            bool in = false;
            for (const auto& m : mapped) in |= o.key.starts_with(m);
            if (!in && count++ == 0) example = o.key;
        }
        if (count > 0 || !r.is_truncated || r.next_continuation_token.empty()) break;
        p.continuation_token = r.next_continuation_token;
    }
    co_return std::error_code{};
}

bool confirm(const job& j, const std::vector<std::string>& buckets) {
    std::printf(
        "drop-sources verifies each of these %zu buckets against s3://%s, then deletes every object "
        "version, delete marker and unfinished upload in it, and the bucket:\n",
        buckets.size(), j.dest_bucket.c_str());
    for (const auto& b : buckets) std::printf("  s3://%s\n", b.c_str());
    std::printf("Type the account id (%s) to go on: ", j.account.c_str());
    std::fflush(stdout);
    std::string line;
    if (!std::getline(std::cin, line)) return false;
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    while (!line.empty() && line.front() == ' ') line.erase(line.begin());
    return line == j.account;
}

// The server's clock from the Date header of a HeadBucket answer.
asio::awaitable<std::error_code> read_server_date(s3::client& client, const std::string& bucket,
                                                  engine::sys_time& out, diagnostics& diag) {
    diag.operation = "HeadBucket";
    diag.bucket = bucket;
    s3::target t;
    if (auto ec = client.target_for(bucket, t, diag)) co_return ec;
    auto req = s3::build_head_bucket(t);
    http_response resp;
    if (auto ec = co_await client.execute(t, std::move(req), resp, diag)) co_return ec;
    const std::string* date = resp.find_header("date");
    if (!date || !parse_http_date(*date, out)) {
        diag.detail =
            "the server sent no readable Date header; drop-sources needs the server's clock to "
            "keep objects written after the verification";
        co_return make_error_code(errc::malformed_response);
    }
    co_return std::error_code{};
}

// The guard: a server time that has passed before the verification starts.
// The Date header counts whole seconds, so anything written earlier in the
// current second would be kept needlessly; waiting for the server's clock to
// tick (polling every 50 ms, up to ~1.5 s) makes the guard the start of a
// second that has just begun. Safe either way: an object written at or
// after the guard is never deleted.
asio::awaitable<std::error_code> server_guard_time(s3::client& client, const std::string& bucket,
                                                   engine::sys_time& out, diagnostics& diag) {
    engine::sys_time first;
    if (auto ec = co_await read_server_date(client, bucket, first, diag)) co_return ec;
    out = first;
    asio::steady_timer timer(client.executor());
    for (int i = 0; i < 30; ++i) {
        timer.expires_after(std::chrono::milliseconds(50));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        engine::sys_time now;
        if (auto ec = co_await read_server_date(client, bucket, now, diag)) co_return ec;
        if (now > first) {
            out = now;
            break;
        }
    }
    co_return std::error_code{};
}

}  // namespace

asio::awaitable<int> drop_sources(s3::client& client, const parsed_args& args, job& j,
                                  engine::transfer_options o) {
    auto buckets = found_buckets(j);
    for (const auto& r : j.rows)
        if (r.state != bucket_state::found && r.state != bucket_state::error)
            std::printf("%s: s3://%s: %s, skipped\n", r.region.c_str(), r.bucket.c_str(), to_string(r.state));
    if (!args.flag("yes")) {
        if (!isatty(STDIN_FILENO)) {
            print_usage_error("cloudtrail drop-sources",
                              "it deletes buckets: pass --yes, or run it on a terminal to confirm by typing "
                              "the account id");
            co_return exit_usage;
        }
        if (!confirm(j, buckets)) {
            std::printf("not confirmed: nothing was deleted\n");
            co_return exit_failed;
        }
    }

    engine::sys_time guard;
    {
        diagnostics d;
        if (auto ec = co_await server_guard_time(client, j.dest_bucket, guard, d)) {
            print_error(ec, d);
            co_return exit_code_for(ec);
        }
    }

    // 1. Verify every source bucket whole (not only the migrated prefix):
    // anything outside it is missing at the destination and keeps the bucket.
    std::printf("== verifying %zu source buckets against s3://%s\n", buckets.size(), j.dest_bucket.c_str());
    std::fflush(stdout);
    o.verify = true;
    // Named buckets: the whole bucket, key for key. Discovered places: each
    // mapping (source prefix -> destination prefix), and below, nothing
    // else may be in the bucket.
    add_sources(j, o, !j.discovered);
    auto res = co_await run_transfer_with_signals(client, o);
    if (res.fatal) {
        print_error(res.fatal, res.fatal_diag);
        co_return exit_code_for(res.fatal);
    }
    if (res.interrupted) {
        std::printf("interrupted during verification: nothing was deleted\n");
        co_return exit_interrupted;
    }

    // 2. Drop the verified buckets, a few at a time.
    struct outcome {
        engine::bucket_verdict verdict;
        engine::drop_result drop;
        bool attempted = false;
    };
    std::vector<outcome> out(j.rows.size());
    const char* fix =
        "copy what is missing first (s3merge cloudtrail move; --include-digests for CloudTrail-Digest/, "
        "--include-insights for CloudTrail-Insight/), or remove it yourself, then re-run";
    // One verdict per bucket (regions may share one), on the first of its rows.
    std::vector<std::size_t> first_of(j.rows.size());
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        first_of[i] = i;
        for (std::size_t k = 0; k < i; ++k)
            if (j.rows[k].bucket == j.rows[i].bucket) {
                first_of[i] = first_of[k];
                break;
            }
    }
    // --require-proof: the digests prove every log of the bucket first.
    const bool require_proof = args.flag("require-proof");
    std::vector<region_proof> proofs;
    if (require_proof) {
        if (int r = co_await prove_with_digests(client, args, j, proofs); r >= 0) co_return r;
        (void)print_proof(j, proofs);
    }
    std::vector<std::uint64_t> outside(j.rows.size(), 0);
    std::vector<std::string> outside_example(j.rows.size());
    std::vector<std::error_code> outside_ec(j.rows.size());
    std::vector<diagnostics> outside_diag(j.rows.size());
    if (j.discovered) {
        std::function<asio::awaitable<void>(std::size_t)> count =
            [&](std::size_t i) -> asio::awaitable<void> {
            if (first_of[i] != i || j.rows[i].state != bucket_state::found) co_return;
            std::vector<std::string> mapped;
            for (const auto& r : j.rows)
                if (r.bucket == j.rows[i].bucket)
                    for (const auto& m : r.maps) mapped.push_back(m.src_prefix);
            outside_ec[i] = co_await count_outside(client, j.rows[i].bucket, mapped, outside[i],
                                                   outside_example[i], outside_diag[i]);
        };
        co_await parallel_for(j.rows.size(), 4, count);
    }
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        if (j.rows[i].state != bucket_state::found || first_of[i] != i) continue;
        const std::string& bucket = j.rows[i].bucket;
        if (bucket == j.dest_bucket) {
            out[i].verdict.why_kept = "kept s3://" + bucket + ": it is the destination bucket";
            continue;
        }
        if (outside_ec[i]) {
            out[i].verdict.why_kept =
                "kept s3://" + bucket + ": cannot list it whole: " + outside_diag[i].to_string();
            continue;
        }
        if (outside[i] > 0) {
            out[i].verdict.why_kept =
                "kept s3://" + bucket + ": it holds " + std::to_string(outside[i]) +
                " objects that are not CloudTrail logs of account " + j.account +
                " mapped to the destination (e.g. " + outside_example[i] +
                ")\n  nothing in this bucket was deleted — move or remove them yourself, "
                "then re-run";
            continue;
        }
        if (require_proof) {
            std::string unproven;
            for (std::size_t k = 0; k < j.rows.size(); ++k) {
                if (j.rows[k].bucket != bucket || j.rows[k].state != bucket_state::found) continue;
                const auto& p = proofs[k];
                if (!p.proven_whole() || p.digests == 0)
                    unproven += "\n    " + j.rows[k].region + ": " +
                                (p.digests == 0       ? std::string("no digest file proves its logs")
                                 : p.problems.empty() ? std::string("not proven")
                                                      : p.problems.front());
            }
            if (!unproven.empty()) {
                out[i].verdict.why_kept =
                    "kept s3://" + bucket + ": --require-proof: CloudTrail's digests do not prove all of it" +
                    unproven + "\n  nothing in this bucket was deleted — run cloudtrail verify --digests";
                continue;
            }
        }
        engine::counters c;
        for (const auto& r : j.rows)
            if (r.bucket == bucket) c += row_counters(r, res.rep);
        out[i].verdict = engine::judge_bucket(bucket, c, res.rep, j.dest_bucket, fix);
    }
    std::printf("== deleting the verified buckets\n");
    std::fflush(stdout);
    std::function<asio::awaitable<void>(std::size_t)> drop = [&](std::size_t i) -> asio::awaitable<void> {
        if (first_of[i] != i || !out[i].verdict.drop) co_return;
        engine::drop_options d;
        d.bucket = j.rows[i].bucket;
        d.guard = guard;
        out[i].attempted = true;
        out[i].drop = co_await engine::drop_bucket(client, d);
    };
    co_await parallel_for(j.rows.size(), 4, drop);
    for (std::size_t i = 0; i < j.rows.size(); ++i)
        if (first_of[i] != i) out[i] = out[first_of[i]];  // the same bucket, the same outcome

    // 3. Report.
    std::printf("cloudtrail drop-sources: account %s, destination s3://%s\n", j.account.c_str(),
                j.dest_bucket.c_str());
    text_table t;
    t.header = {"REGION",   "SOURCE BUCKET",  "STATE",   "OBJECTS", "VERIFIED",
                "VERSIONS", "DELETE MARKERS", "UPLOADS", "RESULT"};
    t.right_align = {false, false, false, true, false, true, true, true, false};
    std::size_t dropped = 0, kept = 0;
    std::vector<std::string> reasons;
    for (std::size_t i = 0; i < j.rows.size(); ++i) {
        const auto& r = j.rows[i];
        auto row = row_head(r);
        if (r.state == bucket_state::found) {
            auto c = row_counters(r, res.rep);
            const auto& dr = out[i].drop;
            const bool again = first_of[i] != i;  // the bucket's outcome is on an earlier row
            row.push_back(group_digits(c.listed));
            row.push_back(out[i].verdict.drop ? "yes" : "NO");
            row.push_back(group_digits(dr.versions_deleted));
            row.push_back(group_digits(dr.delete_markers_deleted));
            row.push_back(group_digits(dr.uploads_aborted));
            if (out[i].attempted && dr.bucket_deleted) {
                row.push_back(again ? "bucket deleted (above)" : "bucket deleted");
                if (!again) ++dropped;
            } else if (again) {
                row.push_back("kept (above)");
            } else {
                row.push_back("kept");
                ++kept;
                if (!out[i].verdict.drop) {
                    reasons.push_back(out[i].verdict.why_kept);
                } else {
                    std::string line = "kept s3://" + r.bucket + ": " + dr.diag.to_string();
                    reasons.push_back(line);
                }
            }
        } else if (r.state == bucket_state::error) {
            row.push_back("");
            row.push_back("");
            row.push_back("");
            row.push_back("");
            row.push_back("");
            row.push_back("not checked");
            reasons.push_back("not checked s3://" + r.bucket + ": " + r.error);
            ++kept;
        }
        t.rows.push_back(std::move(row));
    }
    std::fputs(t.render().c_str(), stdout);
    for (const auto& line : reasons) std::printf("%s\n", line.c_str());
    std::printf("drop-sources: %zu buckets deleted, %zu kept\n", dropped, kept);
    if (dropped) print_hints(j);
    co_return kept == 0 ? exit_ok : exit_failed;
}

}  // namespace s3merge::cli::cloudtrail_cmd
