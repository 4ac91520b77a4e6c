// s3merge generate: synthetic CloudTrail log objects through the engine's
// own PUT path, with a bounded number of requests in flight.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/detached.hpp>

#include <cstdio>

#include "cli/common.hpp"
#include "cli/transfer_flags.hpp"
#include "s3merge/engine_io/async_limiter.hpp"
#include "s3merge/crypto.hpp"
#include "s3merge/gen/cloudtrail.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {
const char* usage = "s3merge generate --dest s3://BUCKET[/PREFIX] --count N [options]";
const char* description =
    "Write N synthetic CloudTrail log objects (gzip JSON {\"Records\":[...]} with unique eventIDs)\n"
    "under PREFIX, with CloudTrail's key layout:\n"
    "  AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<id>.json.gz\n"
    "The same options always produce the same keys and contents.";

std::vector<option_spec> specs() {
    auto s = common_options();
    s.push_back({"dest", true, false, "S3URI", "bucket and optional prefix to write under"});
    s.push_back({"count", true, false, "N", "number of objects"});
    s.push_back({"account", true, false, "ID", "account id in the keys (default 123456789012)"});
    s.push_back({"log-region", true, false, "REGION", "region in the keys (default us-east-1)"});
    s.push_back(
        {"files-per-day", true, false, "N", "objects per day before the date advances (default 288)"});
    s.push_back({"seed", true, false, "N", "series seed (default 1)"});
    s.push_back({"records-per-file", true, false, "N", "events in each log file (default 4)"});
    s.push_back({"concurrency", true, false, "N", "PUTs in flight (default 64)"});
    s.push_back(
        {"digests-key", true, false, "PEM",
         "also write CloudTrail digest files (one per hour, chained) signed with this RSA private key"});
    s.push_back({"trail-name", true, false, "NAME", "trail name in the digest keys (default s3merge-test)"});
    s.push_back(
        {"overlap-into", true, false, "S3URI",
         "also write what an all-region trail delivered beside these logs on --overlap-days (same events, "
         "other files) under this bucket/prefix, and print the ground truth"});
    s.push_back({"overlap-days", true, false, "D1,D2", "days of the overlap, YYYY/MM/DD"});
    s.push_back({"public-keys-out", true, false, "FILE",
                 "with --digests-key: write the public key as `aws cloudtrail list-public-keys` prints it"});
    return s;
}

}  // namespace

int cmd_generate(const std::vector<std::string>& argv) {
    parsed_args args;
    auto spec = specs();
    if (int rc = parse_command("generate", usage, description, argv, spec, args); rc >= 0) return rc;
    std::string bucket;
    gen::cloudtrail_series series;
    diagnostics d;
    if (!args.has("dest") || s3::parse_s3_uri(args.value("dest"), bucket, series.prefix, d)) {
        print_usage_error("generate",
                          "needs --dest s3://BUCKET[/PREFIX]" + (d.detail.empty() ? "" : ": " + d.detail));
        return exit_usage;
    }
    if (!series.prefix.empty() && series.prefix.back() != '/') series.prefix += '/';
    std::uint64_t count = 0, per_day = 288, seed = 1, concurrency = 64;
    if (!parse_uint(args.value("count"), 1, 100'000'000, count)) {
        print_usage_error("generate", "--count must be a number from 1 to 100000000");
        return exit_usage;
    }
    if (args.has("files-per-day") && !parse_uint(args.value("files-per-day"), 1, 100000, per_day)) {
        print_usage_error("generate", "--files-per-day must be a number from 1 to 100000");
        return exit_usage;
    }
    if (args.has("seed") && !parse_uint(args.value("seed"), 0, ~0ull, seed)) {
        print_usage_error("generate", "--seed must be a number");
        return exit_usage;
    }
    if (args.has("concurrency") && !parse_uint(args.value("concurrency"), 1, 4096, concurrency)) {
        print_usage_error("generate", "--concurrency must be a number from 1 to 4096");
        return exit_usage;
    }
    std::uint64_t records = 4;
    if (args.has("records-per-file") && !parse_uint(args.value("records-per-file"), 1, 100000, records)) {
        print_usage_error("generate", "--records-per-file must be a number from 1 to 100000");
        return exit_usage;
    }
    series.records_per_file = static_cast<int>(records);
    series.account = args.value("account", series.account);
    series.region = args.value("log-region", series.region);
    series.files_per_day = static_cast<int>(per_day);
    series.seed = seed;
    std::vector<gen::generated_digest> digests;
    if (args.has("digests-key")) {
        std::string pem;
        if (!read_text_file(args.value("digests-key"), pem)) {
            print_usage_error("generate", "cannot read --digests-key " + args.value("digests-key"));
            return exit_usage;
        }
        gen::digest_options o;
        o.bucket = bucket;
        o.trail = args.value("trail-name", o.trail);
        o.private_key_pem = pem;
        std::string der, fingerprint;
        if (!gen::cloudtrail_digests(series, count, o, digests, der, fingerprint)) {
            print_usage_error("generate", "--digests-key " + args.value("digests-key") +
                                              " is not an RSA private key in PEM");
            return exit_usage;
        }
        if (args.has("public-keys-out")) {
            const std::string doc = "{\"PublicKeyList\":[{\"Value\":\"" + crypto::base64(der) +
                                    "\",\"ValidityStartTime\":\"2013-01-01T00:00:00Z\",\"ValidityEndTime\":"
                                    "\"2100-01-01T00:00:00Z\",\"Fingerprint\":\"" +
                                    fingerprint + "\"}]}\n";
            if (!write_text_file(args.value("public-keys-out"), doc)) {
                print_usage_error("generate",
                                  "cannot write --public-keys-out " + args.value("public-keys-out"));
                return exit_usage;
            }
        }
    }
    std::string overlap_bucket, overlap_prefix;
    std::vector<gen::generated_object> overlap;
    gen::overlap_truth truth;
    if (args.has("overlap-into")) {
        diagnostics od;
        if (s3::parse_s3_uri(args.value("overlap-into"), overlap_bucket, overlap_prefix, od) ||
            !args.has("overlap-days")) {
            print_usage_error("generate",
                              "--overlap-into needs s3://BUCKET[/PREFIX] and --overlap-days D1,D2");
            return exit_usage;
        }
        if (!overlap_prefix.empty() && overlap_prefix.back() != '/') overlap_prefix += '/';
        std::vector<std::string> days;
        std::string list = args.value("overlap-days");
        for (std::size_t at = 0; at <= list.size();) {
            auto comma = list.find(',', at);
            if (comma == std::string::npos) comma = list.size();
            days.push_back(list.substr(at, comma - at));
            at = comma + 1;
        }
        overlap = gen::all_region_overlap(series, count, days, overlap_prefix, truth);
    }
    s3::client_config cfg;
    if (int rc = make_client_config(args, cfg)) return rc;
    cfg.http.max_connections_per_host = fit_connections(concurrency, "--concurrency");

    return run([&](asio::io_context& io) -> asio::awaitable<int> {
        s3::client client(io.get_executor(), cfg);
        diagnostics diag;
        if (auto ec = client.init(diag)) {
            print_error(ec, diag);
            co_return exit_code_for(ec);
        }
        engine::async_limiter slots(io.get_executor(), concurrency);
        std::uint64_t written = 0, failed = 0, bytes = 0, running = 0;
        asio::steady_timer wake(io.get_executor());
        for (std::uint64_t i = 0; i < count && failed == 0; ++i) {
            co_await slots.acquire();
            ++running;
            asio::co_spawn(
                io,
                [&, i]() -> asio::awaitable<void> {
                    auto obj = gen::cloudtrail_object(series, i);
                    s3::put_object_params p;
                    p.key = std::move(obj.key);
                    p.body = std::move(obj.body);
                    p.content_type = "application/json";
                    p.content_encoding = "gzip";
                    s3::put_object_result r;
                    diagnostics pd;
                    auto size = p.body.size();
                    if (auto ec = co_await client.put_object(bucket, p, r, pd)) {
                        if (failed++ == 0) print_error(ec, pd);
                    } else {
                        ++written;
                        bytes += size;
                    }
                    --running;
                    slots.release();
                    wake.cancel();
                },
                asio::detached);
        }
        while (running > 0) {
            wake.expires_after(std::chrono::seconds(1));
            co_await wake.async_wait(asio::as_tuple(asio::use_awaitable));
        }
        // A gzip'd JSON object's parameters.
        auto gzip_json = [](std::string key, std::string body) {
            s3::put_object_params p;
            p.key = std::move(key);
            p.body = std::move(body);
            p.content_type = "application/json";
            p.content_encoding = "gzip";
            return p;
        };
        // The digests after the logs they name, as CloudTrail delivers them.
        std::uint64_t digests_written = 0;
        for (auto& g : digests) {
            if (failed) break;
            auto p = gzip_json(g.key, std::move(g.body));
            p.metadata.push_back({"signature", g.signature_hex});
            p.metadata.push_back({"signature-algorithm", "SHA256withRSA"});
            s3::put_object_result r;
            diagnostics pd;
            if (auto ec = co_await client.put_object(bucket, std::move(p), r, pd)) {
                if (failed++ == 0) print_error(ec, pd);
            } else {
                ++digests_written;
            }
        }
        for (auto& g : overlap) {
            if (failed) break;
            auto p = gzip_json(g.key, std::move(g.body));
            s3::put_object_result r;
            diagnostics pd;
            if (auto ec = co_await client.put_object(overlap_bucket, std::move(p), r, pd))
                if (failed++ == 0) print_error(ec, pd);
        }
        if (!overlap.empty())
            std::printf(
                "generate: overlap: %zu all-region files in s3://%s/%s: %llu regional files fully "
                "duplicated, %llu partially, %llu duplicate events\n",
                overlap.size(), overlap_bucket.c_str(), overlap_prefix.c_str(),
                (unsigned long long)truth.full_files, (unsigned long long)truth.partial_files,
                (unsigned long long)truth.duplicate_events);
        std::printf("generate: wrote %llu objects (%llu bytes) to s3://%s/%s\n", (unsigned long long)written,
                    (unsigned long long)bytes, bucket.c_str(), series.prefix.c_str());
        if (!digests.empty())
            std::printf("generate: wrote %llu signed digest files\n", (unsigned long long)digests_written);
        co_return failed ? exit_failed : exit_ok;
    });
}

}  // namespace s3merge::cli
