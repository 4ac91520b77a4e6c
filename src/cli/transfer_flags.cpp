#include "cli/transfer_flags.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <unistd.h>

#include "s3merge/engine/journal.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

namespace {

bool parse_size(const std::string& text, std::uint64_t& out) {
    if (text.empty()) return false;
    char* end = nullptr;
    unsigned long long v = std::strtoull(text.c_str(), &end, 10);
    std::string unit = end ? std::string(end) : "";
    std::uint64_t mult = 1;
    if (unit.empty() || unit == "B")
        mult = 1;
    else if (unit == "K" || unit == "KiB")
        mult = 1ull << 10;
    else if (unit == "M" || unit == "MiB")
        mult = 1ull << 20;
    else if (unit == "G" || unit == "GiB")
        mult = 1ull << 30;
    else
        return false;
    out = v * mult;
    return true;
}

}  // namespace

std::vector<option_spec> listing_option_specs() {
    return {
        {"concurrency", true, false, "N", "requests in flight, all sources together (default 256)"},
        {"max-connections-per-host", true, false, "N",
         "connection pool size per host (default: --concurrency, at most 512)"},
        {"listers", true, false, "N",
         "leaves listed at once (default 64; each lists its source and destination side together)"},
        {"fanout-depth", true, false, "N",
         "levels of '/' below each source prefix listed in parallel (default 4; a level with one sub-prefix "
         "and no object is not counted)"},
        {"report", true, false, "FILE.json", "write a JSON report of the run"},
        {"no-progress", false, false, "", "log a status line every few seconds instead of a live line"},
    };
}

std::vector<option_spec> copy_option_specs() {
    return {
        {"overwrite", false, false, "", "copy even when the destination has the same object"},
        {"glacier", true, false, "skip|fail",
         "objects in GLACIER/DEEP_ARCHIVE: count and skip (default) or fail"},
        {"multipart-threshold", true, false, "BYTES",
         "multipart copy above this size (default and max 5 GiB)"},
        {"part-size", true, false, "BYTES", "part size of multipart copies (default 256 MiB)"},
        {"storage-class", true, false, "CLASS", "storage class of the copies"},
        {"sse", true, false, "AES256|aws:kms", "server-side encryption of the copies"},
        {"sse-kms-key-id", true, false, "KEY", "KMS key for --sse aws:kms"},
        {"conditional-deletes", true, false, "auto|on|off",
         "move: delete only if the source still has the copied ETag, by the service (on; AWS S3) or by a "
         "HeadObject "
         "right before each delete (off); auto: on for AWS endpoints"},
        {"journal", true, false, "FILE", "resume journal (default $XDG_STATE_HOME/s3merge/<job>.journal)"},
        {"no-journal", false, false, "", "do not write or read a journal"},
    };
}

int apply_listing_options(std::string_view name, const parsed_args& args, engine::transfer_options& o,
                          std::size_t& per_host) {
    std::uint64_t n = 0;
    if (args.has("concurrency")) {
        if (!parse_uint(args.value("concurrency"), 1, 10000, n)) {
            print_usage_error(name, "--concurrency must be a number from 1 to 10000");
            return exit_usage;
        }
        o.concurrency = n;
    }
    // As many connections as requests in flight: CopyObject requests all go
    // to the destination's endpoint, and a request waiting for a connection
    // is not in flight. Bounded, for the process's descriptor limit.
    per_host = std::min<std::size_t>(o.concurrency, 512);
    if (args.has("max-connections-per-host") &&
        !parse_uint(args.value("max-connections-per-host"), 1, 10000, per_host)) {
        print_usage_error(name, "--max-connections-per-host must be a number from 1 to 10000");
        return exit_usage;
    }
    if (args.has("listers")) {
        if (!parse_uint(args.value("listers"), 1, 1000, n)) {
            print_usage_error(name, "--listers must be a number from 1 to 1000");
            return exit_usage;
        }
        o.max_listers = n;
    }
    if (args.has("fanout-depth")) {
        if (!parse_uint(args.value("fanout-depth"), 0, 16, n)) {
            print_usage_error(name, "--fanout-depth must be a number from 0 to 16");
            return exit_usage;
        }
        o.fanout_depth = static_cast<int>(n);
    }
    o.report_path = args.value("report");
    return -1;
}

int apply_copy_options(std::string_view name, const parsed_args& args, engine::transfer_options& o) {
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
    if (!o.sse_kms_key_id.empty() && o.sse != "aws:kms") {
        print_usage_error(name, "--sse-kms-key-id needs --sse aws:kms");
        return exit_usage;
    }
    if (auto cd = args.value("conditional-deletes", "auto"); cd != "auto" && cd != "on" && cd != "off") {
        print_usage_error(name, "--conditional-deletes must be auto, on or off");
        return exit_usage;
    }
    if (args.has("journal") && args.flag("no-journal")) {
        print_usage_error(name, "--journal and --no-journal cannot be combined");
        return exit_usage;
    }
    return -1;
}

int failures_exit_code(const engine::report& rep) {
    if (rep.totals.failed == 0) return exit_ok;
    return rep.network_failures == rep.totals.failed ? exit_network : exit_failed;
}

bool is_aws_endpoint(std::string_view url) {
    if (url.empty()) return true;
    auto scheme = url.find("://");
    if (scheme != std::string_view::npos) url.remove_prefix(scheme + 3);
    url = url.substr(0, url.find_first_of(":/"));
    auto ends_with = [&](std::string_view suffix) {
        return url.size() > suffix.size() && url.substr(url.size() - suffix.size()) == suffix;
    };
    return ends_with(".amazonaws.com") || ends_with(".amazonaws.com.cn");
}

int apply_conditional_deletes(std::string_view, const parsed_args& args, const s3::client_config& cfg,
                              engine::transfer_options& o) {
    auto cd = args.value("conditional-deletes", "auto");
    o.conditional_deletes = cd == "on" || (cd == "auto" && is_aws_endpoint(cfg.endpoint.endpoint_url));
    return -1;
}

int apply_journal_option(const parsed_args& args, engine::transfer_options& o) {
    if (args.flag("no-journal")) return -1;
    o.journal_path = args.value("journal");
    if (!o.journal_path.empty()) return -1;
    const char* xdg = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    diagnostics d;
    if (engine::default_journal_path(engine::transfer_job_id(o), xdg ? xdg : "", home ? home : "",
                                     o.journal_path, d)) {
        print_error(make_error_code(errc::config_error), d);
        return exit_config;
    }
    return -1;
}

void set_progress_sinks(const parsed_args& args, engine::transfer_options& o) {
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
}

asio::awaitable<engine::transfer_result> run_transfer_with_signals(s3::client& client,
                                                                   engine::transfer_options o) {
    engine::transfer t(client, std::move(o));
    asio::signal_set signals(client.executor(), SIGINT, SIGTERM);
    asio::steady_timer grace(client.executor());
    // First signal: stop dispatching, end retry waits, and after a short
    // grace cut what is still waiting for the network. Second: write the
    // journal as it stands and exit at once.
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int) {
            if (ec) return;
            if (client.cancelled()) {
                std::fprintf(stderr, "\ns3merge: interrupted again: writing the journal and exiting now\n");
                t.save_journal_now();
                std::fflush(nullptr);
                std::_Exit(exit_interrupted);
            }
            std::fprintf(stderr,
                         "\ns3merge: interrupted: finishing requests in flight (at most 3 s), writing the "
                         "journal; interrupt again to exit at once\n");
            t.request_stop();
            grace.expires_after(std::chrono::seconds(3));
            grace.async_wait([&client](const boost::system::error_code& gec) {
                if (!gec) client.abort_in_flight();
            });
            signals.async_wait(on_signal);
        };
    signals.async_wait(on_signal);
    auto res = co_await t.run();
    signals.cancel();
    grace.cancel();
    if (res.report_error) {
        print_error(res.report_error, res.report_diag);
        note_output_failure();
    }
    co_return res;
}

}  // namespace s3merge::cli
