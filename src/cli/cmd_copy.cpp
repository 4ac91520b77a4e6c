// s3merge copy / move: the transfer engine from the command line.

#include <algorithm>
#include <cstdio>

#include "cli/transfer_flags.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {

const char* copy_usage =
    "s3merge copy --source s3://BUCKET[/PREFIX] [--source ...] --dest s3://BUCKET[/PREFIX] [options]";
const char* move_usage =
    "s3merge move --source s3://BUCKET[/PREFIX] [--source ...] --dest s3://BUCKET[/PREFIX] [options]";
const char* description =
    "Copy (or move) every object under each source prefix to the destination with server-side\n"
    "copies: destination key = destination prefix + (source key minus source prefix). All sources\n"
    "are listed and copied at once under one budget of requests in flight. Objects already at the\n"
    "destination with the same size and ETag are skipped. 'move' deletes a source object only after\n"
    "its copy is verified, in DeleteObjects batches. Interrupted runs resume from the journal.\n"
    "--dry-run lists both sides and says what would be copied (and, for move, deleted) without\n"
    "writing anything; --verify lists both sides and fails for every source object that is missing\n"
    "or different at the destination (a check after a copy).\n"
    "--include/--exclude/--modified-after/--modified-before take a slice (part of the job's identity).\n"
    "Exit 0 only if nothing failed; 5 when partially done (some objects failed: re-run to retry them),\n"
    "6 when another run of the same job is running, 130 when interrupted (the journal is written).";

std::vector<option_spec> specs() {
    auto s = common_options();
    s.push_back({"source", true, true, "S3URI", "a source s3://BUCKET[/PREFIX] (repeatable)"});
    s.push_back({"dest", true, false, "S3URI", "the destination s3://BUCKET[/PREFIX]"});
    s.push_back(
        {"dry-run", false, false, "", "list and compare only: say what would be copied, write nothing"});
    s.push_back({"verify", false, false, "",
                 "list and compare only: fail for each object missing or different at the destination"});
    for (auto& o : listing_option_specs()) s.push_back(std::move(o));
    for (auto& o : copy_option_specs()) s.push_back(std::move(o));
    for (auto& o : filter_option_specs()) s.push_back(std::move(o));
    for (auto& o : shard_option_specs(true)) s.push_back(std::move(o));
    return s;
}

// What a dry run or a verification found, in one or two lines.
void print_dry_run_summary(const char* name, const engine::transfer_options& o, const engine::report& rep) {
    engine::source_details all;
    for (const auto& d : rep.details) all += d;
    const auto& tot = rep.totals;
    auto u = [](std::uint64_t v) { return static_cast<unsigned long long>(v); };
    if (o.verify) {
        std::printf(
            "%s --verify: listed %llu (%s), identical at the destination %llu, missing %llu, different %llu, "
            "unverifiable %llu, archived %llu\n",
            name, u(tot.listed), engine::human_bytes(all.bytes_listed).c_str(), u(tot.skipped),
            u(all.missing), u(all.different), u(all.unverifiable), u(all.archived));
        if (tot.failed > 0)
            std::printf("%llu objects are not at the destination as they are at the source%s\n",
                        u(tot.failed),
                        o.report_path.empty() ? "; --report FILE.json lists them"
                                              : (" (details in " + o.report_path + ")").c_str());
        return;
    }
    std::printf(
        "%s --dry-run: listed %llu (%s), already at the destination %llu, missing %llu, different %llu; "
        "would copy %llu (%s), archived (not copied) %llu; nothing was written\n",
        name, u(tot.listed), engine::human_bytes(all.bytes_listed).c_str(), u(tot.skipped), u(all.missing),
        u(all.different), u(all.to_copy), engine::human_bytes(all.bytes_to_copy).c_str(), u(all.archived));
    if (all.unverifiable)
        std::printf(
            "%llu of them are at the destination with the same size, but their ETags cannot prove the same "
            "content (multipart): they would be copied again\n",
            u(all.unverifiable));
    if (all.collisions)
        std::printf(
            "%llu source objects map onto a destination key another source also writes, with other "
            "content: neither would be copied or deleted (KeyCollision)\n",
            u(all.collisions));
    if (o.move)
        std::printf(
            "move would then delete the %llu source objects whose copies it verifies "
            "(archived and colliding objects stay)\n",
            u(tot.listed - all.archived - all.collisions));
}

int run_transfer(bool move, const std::vector<std::string>& argv) {
    const char* name = move ? "move" : "copy";
    parsed_args args;
    auto spec = specs();
    if (int rc = parse_command(name, move ? move_usage : copy_usage, description, argv, spec, args); rc >= 0)
        return rc;
    if (!args.positional.empty()) {
        print_usage_error(
            name, "unexpected argument '" + args.positional[0] + "' (sources are given with --source)");
        return exit_usage;
    }
    engine::transfer_options o;
    o.move = move;
    o.dry_run = args.has("dry-run");
    o.verify = args.has("verify");
    if (o.dry_run && o.verify) {
        print_usage_error(
            name,
            "--dry-run and --verify cannot be combined (--verify is a dry run that fails on differences)");
        return exit_usage;
    }
    if (args.all("source").empty() || !args.has("dest")) {
        print_usage_error(
            name, "needs at least one --source s3://BUCKET[/PREFIX] and a --dest s3://BUCKET[/PREFIX]");
        return exit_usage;
    }
    for (const auto& uri : args.all("source")) {
        engine::location l;
        diagnostics d;
        if (s3::parse_s3_uri(uri, l.bucket, l.prefix, d)) {
            print_usage_error(name, "--source '" + uri + "': " + d.detail);
            return exit_usage;
        }
        if (!check_bucket_arg(name, l.bucket)) return exit_usage;
        if (!l.prefix.empty() && l.prefix.back() != '/') {
            std::string dest_prefix;
            std::string ignored;
            (void)s3::parse_s3_uri(args.value("dest"), ignored, dest_prefix);
            if (dest_prefix.empty() || dest_prefix.back() == '/')
                say("s3merge %s: warning: --source %s has no trailing '/': keys such as '%s/x' will be "
                    "copied to '%s/x' (a key starting with '/'); add the '/' to the source prefix\n",
                    name, uri.c_str(), l.prefix.c_str(), dest_prefix.c_str());
        }
        // The same source twice is one source (not two sources colliding on
        // every key, nor counted twice).
        if (std::find(o.sources.begin(), o.sources.end(), l) != o.sources.end()) {
            say("s3merge %s: --source %s is given twice; listed once\n", name, l.uri().c_str());
            continue;
        }
        o.sources.push_back(l);
    }
    {
        diagnostics d;
        if (s3::parse_s3_uri(args.value("dest"), o.destination.bucket, o.destination.prefix, d)) {
            print_usage_error(name, "--dest '" + args.value("dest") + "': " + d.detail);
            return exit_usage;
        }
        if (!check_bucket_arg(name, o.destination.bucket)) return exit_usage;
    }
    std::size_t per_host = 0;
    if (int rc = apply_listing_options(name, args, o, per_host); rc >= 0) return rc;
    if (int rc = apply_copy_options(name, args, o); rc >= 0) return rc;
    if (int rc = apply_filter_options(name, args, o); rc >= 0) return rc;
    if (int rc = apply_shard_option(name, args, o); rc >= 0) return rc;
    if (int rc = apply_journal_option(args, o); rc >= 0) return rc;
    set_progress_sinks(args, o);

    s3::client_config cfg;
    if (int rc = make_client_config(args, cfg)) return rc;
    cfg.http.max_connections_per_host = per_host;
    if (int rc = apply_conditional_deletes(name, args, cfg, o); rc >= 0) return rc;

    // SIGINT/SIGTERM stop the engine cleanly (journal written, exit 130)
    // instead of stopping the event loop.
    return run_with_client(cfg, [&](s3::client& client) -> asio::awaitable<int> {
        auto res = co_await run_transfer_with_signals(client, o);
        if (res.fatal) {
            print_error(res.fatal, res.fatal_diag);
            co_return exit_code_for(res.fatal);
        }
        const auto& tot = res.rep.totals;
        if (o.dry_run || o.verify) {
            print_dry_run_summary(name, o, res.rep);
            if (res.interrupted) co_return exit_interrupted;
            co_return failures_exit_code(res.rep);
        }
        std::printf(
            "%s: listed %llu, copied %llu (%llu bytes), skipped %llu, deleted %llu, failed %llu, "
            "archived (not copied) %llu\n",
            move ? "move" : "copy", (unsigned long long)tot.listed, (unsigned long long)tot.copied,
            (unsigned long long)tot.bytes_copied, (unsigned long long)tot.skipped,
            (unsigned long long)tot.deleted, (unsigned long long)tot.failed,
            (unsigned long long)res.rep.glacier_skipped);
        if (!res.rep.credentials.empty())
            std::printf("credentials: %s, renewed %llu times\n", res.rep.credentials.c_str(),
                        (unsigned long long)res.rep.credential_renewals);
        if (res.interrupted) {
            std::printf("interrupted: re-run the same command to resume (journal %s)\n",
                        o.journal_path.c_str());
            co_return exit_interrupted;
        }
        if (tot.failed > 0) {
            std::printf("%llu objects failed%s; re-run the same command to retry them\n",
                        (unsigned long long)tot.failed,
                        o.report_path.empty() ? "" : (" (details in " + o.report_path + ")").c_str());
        }
        co_return failures_exit_code(res.rep);
    });
}

}  // namespace

int cmd_copy(const std::vector<std::string>& args) {
    return run_transfer(false, args);
}
int cmd_move(const std::vector<std::string>& args) {
    return run_transfer(true, args);
}

}  // namespace s3merge::cli
