// s3merge copy / move: the transfer engine from the command line.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include "cli/common.hpp"
#include "s3merge/engine/journal.hpp"
#include "s3merge/engine_io/transfer.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {

const char* copy_usage = "s3merge copy --source s3://BUCKET[/PREFIX] [--source ...] --dest s3://BUCKET[/PREFIX] [options]";
const char* move_usage = "s3merge move --source s3://BUCKET[/PREFIX] [--source ...] --dest s3://BUCKET[/PREFIX] [options]";
const char* description =
    "Copy (or move) every object under each source prefix to the destination with server-side\n"
    "copies: destination key = destination prefix + (source key minus source prefix). All sources\n"
    "are listed and copied at once under one budget of requests in flight. Objects already at the\n"
    "destination with the same size and ETag are skipped. 'move' deletes a source object only after\n"
    "its copy is verified, in DeleteObjects batches. Interrupted runs resume from the journal.\n"
    "Exit 0 only if nothing failed; 130 when interrupted (the journal is written).";

std::vector<option_spec> specs() {
    auto s = common_options();
    s.push_back({"source", true, true, "S3URI", "a source s3://BUCKET[/PREFIX] (repeatable)"});
    s.push_back({"dest", true, false, "S3URI", "the destination s3://BUCKET[/PREFIX]"});
    s.push_back({"concurrency", true, false, "N", "requests in flight, all sources together (default 256)"});
    s.push_back({"max-connections-per-host", true, false, "N", "connection pool size per host (default 128)"});
    s.push_back({"listers", true, false, "N", "listing requests in flight (default 32)"});
    s.push_back({"fanout-depth", true, false, "N", "levels of '/' below each source prefix listed in parallel (default 4)"});
    s.push_back({"overwrite", false, false, "", "copy even when the destination has the same object"});
    s.push_back({"glacier", true, false, "skip|fail", "objects in GLACIER/DEEP_ARCHIVE: count and skip (default) or fail"});
    s.push_back({"multipart-threshold", true, false, "BYTES", "multipart copy above this size (default and max 5 GiB)"});
    s.push_back({"part-size", true, false, "BYTES", "part size of multipart copies (default 256 MiB)"});
    s.push_back({"storage-class", true, false, "CLASS", "storage class of the copies"});
    s.push_back({"sse", true, false, "AES256|aws:kms", "server-side encryption of the copies"});
    s.push_back({"sse-kms-key-id", true, false, "KEY", "KMS key for --sse aws:kms"});
    s.push_back({"journal", true, false, "FILE", "resume journal (default $XDG_STATE_HOME/s3merge/<job>.journal)"});
    s.push_back({"no-journal", false, false, "", "do not write or read a journal"});
    s.push_back({"report", true, false, "FILE.json", "write a JSON report of the run"});
    s.push_back({"no-progress", false, false, "", "log a status line every few seconds instead of a live line"});
    return s;
}

bool parse_size(const std::string& text, std::uint64_t& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    std::string unit = end ? std::string(end) : "";
    std::uint64_t mult = 1;
    if (unit.empty() || unit == "B") mult = 1;
    else if (unit == "K" || unit == "KiB") mult = 1ull << 10;
    else if (unit == "M" || unit == "MiB") mult = 1ull << 20;
    else if (unit == "G" || unit == "GiB") mult = 1ull << 30;
    else return false;
    out = v * mult;
    return true;
}

bool parse_count(const std::string& text, std::size_t lo, std::size_t hi, std::size_t& out) {
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || (end && *end) || v < lo || v > hi) return false;
    out = v;
    return true;
}

int run_transfer(bool move, const std::vector<std::string>& argv) {
    const char* name = move ? "move" : "copy";
    parsed_args args;
    auto spec = specs();
    if (int rc = parse_command(name, move ? move_usage : copy_usage, description, argv, spec, args); rc >= 0) return rc;
    if (!args.positional.empty()) {
        print_usage_error(name, "unexpected argument '" + args.positional[0] + "' (sources are given with --source)");
        return exit_usage;
    }
    engine::transfer_options o;
    o.move = move;
    if (args.all("source").empty() || !args.has("dest")) {
        print_usage_error(name, "needs at least one --source s3://BUCKET[/PREFIX] and a --dest s3://BUCKET[/PREFIX]");
        return exit_usage;
    }
    for (const auto& uri : args.all("source")) {
        engine::location l;
        diagnostics d;
        if (s3::parse_s3_uri(uri, l.bucket, l.prefix, d)) {
            print_usage_error(name, "--source '" + uri + "': " + d.detail);
            return exit_usage;
        }
        o.sources.push_back(l);
    }
    {
        diagnostics d;
        if (s3::parse_s3_uri(args.value("dest"), o.destination.bucket, o.destination.prefix, d)) {
            print_usage_error(name, "--dest '" + args.value("dest") + "': " + d.detail);
            return exit_usage;
        }
    }
    std::size_t n = 0;
    if (args.has("concurrency")) {
        if (!parse_count(args.value("concurrency"), 1, 10000, n)) {
            print_usage_error(name, "--concurrency must be a number from 1 to 10000");
            return exit_usage;
        }
        o.concurrency = n;
    }
    std::size_t per_host = std::min<std::size_t>(o.concurrency, 128);
    if (args.has("max-connections-per-host")) {
        if (!parse_count(args.value("max-connections-per-host"), 1, 10000, per_host)) {
            print_usage_error(name, "--max-connections-per-host must be a number from 1 to 10000");
            return exit_usage;
        }
    }
    if (args.has("listers")) {
        if (!parse_count(args.value("listers"), 1, 1000, n)) {
            print_usage_error(name, "--listers must be a number from 1 to 1000");
            return exit_usage;
        }
        o.max_listers = n;
    }
    if (args.has("fanout-depth")) {
        if (!parse_count(args.value("fanout-depth"), 0, 16, n)) {
            print_usage_error(name, "--fanout-depth must be a number from 0 to 16");
            return exit_usage;
        }
        o.fanout_depth = static_cast<int>(n);
    }
    o.overwrite = args.flag("overwrite");
    auto glacier = args.value("glacier", "skip");
    if (glacier != "skip" && glacier != "fail") {
        print_usage_error(name, "--glacier must be skip or fail");
        return exit_usage;
    }
    o.glacier_fail = glacier == "fail";
    if (args.has("multipart-threshold") &&
        (!parse_size(args.value("multipart-threshold"), o.multipart_threshold) ||
         o.multipart_threshold > (5ull << 30))) {
        print_usage_error(name, "--multipart-threshold must be a size up to 5GiB (e.g. 64MiB)");
        return exit_usage;
    }
    if (args.has("part-size") && (!parse_size(args.value("part-size"), o.part_size) ||
                                  o.part_size < (5ull << 20) || o.part_size > (5ull << 30))) {
        print_usage_error(name, "--part-size must be a size from 5MiB to 5GiB");
        return exit_usage;
    }
    o.storage_class = args.value("storage-class");
    o.sse = args.value("sse");
    if (!o.sse.empty() && o.sse != "AES256" && o.sse != "aws:kms") {
        print_usage_error(name, "--sse must be AES256 or aws:kms");
        return exit_usage;
    }
    o.sse_kms_key_id = args.value("sse-kms-key-id");
    o.report_path = args.value("report");
    if (!args.flag("no-journal")) {
        o.journal_path = args.value("journal");
        if (o.journal_path.empty()) {
            engine::job_description job{move ? "move" : "copy", o.sources, o.destination};
            const char* xdg = std::getenv("XDG_STATE_HOME");
            const char* home = std::getenv("HOME");
            diagnostics d;
            if (engine::default_journal_path(engine::job_id(job), xdg ? xdg : "", home ? home : "",
                                             o.journal_path, d)) {
                print_error(make_error_code(errc::config_error), d);
                return exit_config;
            }
        }
    }
    bool tty = isatty(STDERR_FILENO) && !args.flag("no-progress");
    o.progress_interval = tty ? std::chrono::milliseconds(500) : std::chrono::milliseconds(5000);
    o.progress = [tty](std::string_view line, bool final) {
        if (tty) {
            std::fprintf(stderr, "\r\033[K%.*s%s", int(line.size()), line.data(), final ? "\n" : "");
        } else {
            std::fprintf(stderr, "%s%.*s\n", final ? "done: " : "", int(line.size()), line.data());
        }
        std::fflush(stderr);
    };
    o.log = [tty](std::string_view line) {
        std::fprintf(stderr, "%s%.*s\n", tty ? "\r\033[K" : "", int(line.size()), line.data());
    };

    s3::client_config cfg;
    if (int rc = make_client_config(args, cfg)) return rc;
    cfg.http.max_connections_per_host = per_host;

    // SIGINT/SIGTERM stop the engine cleanly (journal written, exit 130)
    // instead of stopping the event loop.
    asio::io_context io(1);
    int rc = exit_failed;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        s3::client client(io.get_executor(), cfg);
        diagnostics diag;
        if (auto ec = client.init(diag)) {
            print_error(ec, diag);
            rc = exit_code_for(ec);
            co_return;
        }
        engine::transfer t(client, o);
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) return;
            std::fprintf(stderr, "\ns3merge: interrupted: finishing requests in flight, writing the journal\n");
            t.request_stop();
        });
        auto res = co_await t.run();
        signals.cancel();
        if (res.fatal) {
            print_error(res.fatal, res.fatal_diag);
            rc = exit_code_for(res.fatal);
            co_return;
        }
        const auto& tot = res.rep.totals;
        std::printf("%s: listed %llu, copied %llu (%llu bytes), skipped %llu, deleted %llu, failed %llu, "
                    "archived (not copied) %llu\n",
                    move ? "move" : "copy", (unsigned long long)tot.listed, (unsigned long long)tot.copied,
                    (unsigned long long)tot.bytes_copied, (unsigned long long)tot.skipped,
                    (unsigned long long)tot.deleted, (unsigned long long)tot.failed,
                    (unsigned long long)res.rep.glacier_skipped);
        if (res.interrupted) {
            std::printf("interrupted: re-run the same command to resume (journal %s)\n", o.journal_path.c_str());
            rc = exit_interrupted;
        } else if (tot.failed > 0) {
            std::printf("%llu objects failed%s; re-run the same command to retry them\n",
                        (unsigned long long)tot.failed,
                        o.report_path.empty() ? "" : (" (details in " + o.report_path + ")").c_str());
            rc = exit_failed;
        } else {
            rc = exit_ok;
        }
    }, [&](std::exception_ptr e) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                std::fprintf(stderr, "s3merge: internal error: %s\n", ex.what());
            }
            rc = exit_failed;
        }
    });
    io.run();
    return rc;
}

} // namespace

int cmd_copy(const std::vector<std::string>& args) { return run_transfer(false, args); }
int cmd_move(const std::vector<std::string>& args) { return run_transfer(true, args); }

} // namespace s3merge::cli
