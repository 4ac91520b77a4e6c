#include "cli/transfer_flags.hpp"

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <cstdlib>
#include <functional>
#include <unistd.h>

#include "cli/fd_budget.hpp"
#include "cli/log.hpp"
#include "s3merge/engine/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>

#include <limits>

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
         "connection pool size per host (default: --concurrency; the open-file limit is raised to fit)"},
        {"listers", true, false, "N",
         "leaves listed at once (default 64; each lists its source and destination side together)"},
        {"page-size", true, false, "N",
         "keys per ListObjectsV2 page, 1..1000 (default 1000; a big range being listed is split so idle "
         "listers share it)"},
        {"fanout-depth", true, false, "N",
         "levels of '/' below each source prefix listed in parallel (default 4; a level with one sub-prefix "
         "and no object is not counted)"},
        {"report", true, false, "FILE.json",
         "write a JSON report of the run (totals, per-operation latency, per-host counts, a timeline; see "
         "'s3merge report')"},
        {"no-progress", false, false, "", "log a status line every few seconds instead of a live line"},
        {"metrics-file", true, false, "PATH",
         "write Prometheus metrics to PATH every few seconds and at the end (textfile collector)"},
        {"metrics-listen", true, false, "IP:PORT",
         "serve Prometheus metrics at http://IP:PORT/metrics during the run"},
        {"max-requests-per-second", true, false, "N",
         "send at most N requests per second, all hosts together"},
        {"job", true, false, "FILE.json",
         "read the run's options from a job file (flags given here override it)"},
        {"print-job", false, false, "", "print these options as a job file and exit"},
    };
}

std::vector<option_spec> shard_option_specs(bool with_depth) {
    std::vector<option_spec> s = {
        {"shard", true, false, "I/N|auto/N",
         "run shard I of N of this job (its own journal and report; every object in exactly one shard); "
         "auto: I from JOB_COMPLETION_INDEX or AWS_BATCH_JOB_ARRAY_INDEX"}};
    if (with_depth)
        s.push_back(
            {"shard-depth", true, false, "N",
             "'/' levels below the source prefix that decide a key's shard (default --fanout-depth; a "
             "level with many prefixes, e.g. 7 for AWSLogs/A/CloudTrail/R/YYYY/MM/DD/)"});
    return s;
}

int apply_shard_option(std::string_view name, const parsed_args& args, engine::transfer_options& o) {
    if (!args.has("shard")) {
        if (!args.has("shard-depth")) return -1;
        print_usage_error(name, "--shard-depth needs --shard I/N");
        return exit_usage;
    }
    const char* k8s = std::getenv("JOB_COMPLETION_INDEX");
    const char* batch = std::getenv("AWS_BATCH_JOB_ARRAY_INDEX");
    std::string err;
    if (!engine::parse_shard(args.value("shard"), k8s ? k8s : "", batch ? batch : "", o.shard, err)) {
        print_usage_error(name, err);
        return exit_usage;
    }
    if (args.has("shard-depth")) {
        std::uint64_t d = 0;
        if (!parse_uint(args.value("shard-depth"), 0, 64, d)) {
            print_usage_error(name, "--shard-depth must be a number from 0 to 64");
            return exit_usage;
        }
        o.shard_depths.assign(o.sources.size(), static_cast<unsigned>(d));
    }
    return -1;
}

std::vector<option_spec> filter_option_specs() {
    return {
        {"include", true, true, "GLOB",
         "take keys matching GLOB (relative to the source prefix; * matches '/' too); with --exclude, the "
         "last "
         "matching filter decides (AWS CLI rules)"},
        {"exclude", true, true, "GLOB", "leave out keys matching GLOB (see --include)"},
        {"modified-after", true, false, "TIME",
         "only objects with LastModified at or after TIME (2024-05-01 or ISO 8601)"},
        {"modified-before", true, false, "TIME", "only objects with LastModified before TIME"},
    };
}

int apply_filter_options(std::string_view name, const parsed_args& args, engine::transfer_options& o) {
    for (const auto& [kind, pattern] : args.filters) {
        if (pattern.empty()) {
            print_usage_error(name, "--" + kind + " needs a pattern");
            return exit_usage;
        }
        o.filter.rules.push_back({kind == "include", pattern});
    }
    for (const char* opt : {"modified-after", "modified-before"}) {
        if (!args.has(opt)) continue;
        sys_time t;
        if (!engine::parse_time_bound(args.value(opt), t)) {
            print_usage_error(name,
                              std::string("--") + opt + " '" + args.value(opt) +
                                  "' is not a date (2024-05-01) or an ISO 8601 time (2024-05-01T12:00:00Z)");
            return exit_usage;
        }
        (std::string_view(opt) == "modified-after" ? o.filter.modified_after : o.filter.modified_before) = t;
    }
    if (o.filter.modified_after && o.filter.modified_before &&
        !(*o.filter.modified_after < *o.filter.modified_before)) {
        print_usage_error(name, "--modified-after must be earlier than --modified-before");
        return exit_usage;
    }
    return -1;
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
        {"max-bytes-per-second", true, false, "BYTES",
         "copy at most BYTES per second server-side, all copies together (e.g. 200MiB)"},
        {"journal", true, false, "FILE", "resume journal (default $XDG_STATE_HOME/s3merge/<job>.journal)"},
        {"no-journal", false, false, "", "do not write or read a journal"},
    };
}

std::size_t fit_connections(std::size_t wanted, std::string_view wanted_from) {
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return wanted;
    auto as_u64 = [](rlim_t v) {
        return v == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max() : static_cast<std::uint64_t>(v);
    };
    fd_budget b = plan_fd_budget(wanted, as_u64(lim.rlim_cur), as_u64(lim.rlim_max), wanted_from);
    if (b.raise_soft_to) {
        rlimit raised = lim;
        raised.rlim_cur = static_cast<rlim_t>(b.raise_soft_to);
        if (setrlimit(RLIMIT_NOFILE, &raised) != 0)
            b = plan_fd_budget(wanted, as_u64(lim.rlim_cur), as_u64(lim.rlim_cur),
                               wanted_from);  // stays as it was
    }
    if (!b.note.empty()) emit_line(b.note);  // text, or one JSON record with --log-format json
    return static_cast<std::size_t>(b.connections);
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
    // is not in flight. Within the process's descriptor limit, raised toward
    // the hard limit when the soft one has no room (cli/fd_budget.hpp).
    per_host = o.concurrency;
    if (args.has("max-connections-per-host") &&
        !parse_uint(args.value("max-connections-per-host"), 1, 10000, per_host)) {
        print_usage_error(name, "--max-connections-per-host must be a number from 1 to 10000");
        return exit_usage;
    }
    per_host = fit_connections(
        per_host, args.has("max-connections-per-host") ? "--max-connections-per-host" : "--concurrency");
    if (args.has("listers")) {
        if (!parse_uint(args.value("listers"), 1, 1000, n)) {
            print_usage_error(name, "--listers must be a number from 1 to 1000");
            return exit_usage;
        }
        o.max_listers = n;
    }
    if (args.has("page-size")) {
        if (!parse_uint(args.value("page-size"), 1, 1000, n)) {
            print_usage_error(name, "--page-size must be a number from 1 to 1000");
            return exit_usage;
        }
        o.page_size = static_cast<int>(n);
    }
    if (args.has("fanout-depth")) {
        if (!parse_uint(args.value("fanout-depth"), 0, 16, n)) {
            print_usage_error(name, "--fanout-depth must be a number from 0 to 16");
            return exit_usage;
        }
        o.fanout_depth = static_cast<int>(n);
    }
    o.report_path = args.value("report");
    o.metrics_file = args.value("metrics-file");
    o.metrics_listen = args.value("metrics-listen");
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
    if (args.has("max-bytes-per-second")) {
        std::uint64_t b = 0;
        if (!parse_size(args.value("max-bytes-per-second"), b) || b == 0) {
            print_usage_error(name, "--max-bytes-per-second must be a size (e.g. 100MiB)");
            return exit_usage;
        }
        o.max_bytes_per_second = double(b);
    }
    if (args.has("journal") && args.flag("no-journal")) {
        print_usage_error(name, "--journal and --no-journal cannot be combined");
        return exit_usage;
    }
    return -1;
}

int failures_exit_code(const engine::report& rep) {
    const auto& t = rep.totals;
    if (t.failed == 0) return exit_ok;
    if (rep.network_failures == t.failed) return exit_network;
    // A check (verify, plan) that finds differences fails. A copy or move
    // with some objects where they should be is partially done (a re-run
    // takes up the rest), not failed as a whole.
    if (rep.mode == "verify" || rep.mode == "plan") return exit_failed;
    return t.copied + t.skipped + t.deleted > 0 ? exit_partial : exit_failed;
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

namespace {

// The job's default journal: $XDG_STATE_HOME/s3merge/<job id>.journal (see
// engine::default_journal_path).
std::error_code default_journal_for(const engine::transfer_options& o, std::string& out, diagnostics& d) {
    const char* xdg = std::getenv("XDG_STATE_HOME");
    const char* home = std::getenv("HOME");
    return engine::default_journal_path(engine::transfer_job_id(o), xdg ? xdg : "", home ? home : "", out, d);
}

}  // namespace

int apply_journal_option(const parsed_args& args, engine::transfer_options& o) {
    if (args.flag("no-journal")) return -1;
    o.journal_path = args.value("journal");
    if (!o.journal_path.empty()) return -1;
    diagnostics d;
    if (default_journal_for(o, o.journal_path, d)) {
        print_error(make_error_code(errc::config_error), d);
        return exit_config;
    }
    return -1;
}

void set_progress_sinks(const parsed_args& args, engine::transfer_options& o) {
    if (current_log_format() == log_format::json) {
        // One JSON object per status line, note and failure.
        o.progress_interval = std::chrono::milliseconds(5000);
        o.progress = [](std::string_view line, bool final) {
            engine::log_record r;
            r.event = final ? "summary" : "progress";
            r.message = line;
            emit_log(r);
        };
        o.log = [](std::string_view line) { emit_line(line); };
        o.log_event = [](const engine::log_record& r) { emit_log(r); };
        return;
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
}

namespace {

// The job's lock: flock on <journal>.lock (the default journal's path with
// --no-journal), held while the run lasts. Dry runs write nothing and take
// none. Returns the descriptor (closed, and the lock released, at exit), or
// -1 with `res.fatal` set.
int lock_job(const engine::transfer_options& o, engine::transfer_result& res) {
    if (o.dry_run || o.verify) return -2;
    std::string path = o.journal_path;
    if (path.empty()) {
        diagnostics d;
        if (default_journal_for(o, path, d)) return -2;  // nowhere to keep a lock: as without a journal
    }
    path += ".lock";
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        res.fatal = make_error_code(errc::config_error);
        res.fatal_diag.operation = "job lock";
        res.fatal_diag.detail = "cannot open the job's lock file " + path + ": " + std::strerror(errno) +
                                "; choose a writable --journal path";
        return -1;
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const int err = errno;
        ::close(fd);
        res.fatal = make_error_code(errc::job_locked);
        res.fatal_diag.operation = "job lock";
        res.fatal_diag.detail = err == EWOULDBLOCK
                                    ? "another run of this job (the same sources, destination and filters) "
                                      "is running: it holds " +
                                          path + "; wait for it to finish (this run changed nothing)"
                                    : "cannot lock " + path + ": " + std::strerror(err);
        return -1;
    }
    return fd;
}

}  // namespace

asio::awaitable<engine::transfer_result> run_transfer_with_signals(s3::client& client,
                                                                   engine::transfer_options o) {
    engine::transfer_result locked;
    const int lock_fd = lock_job(o, locked);
    if (lock_fd == -1) co_return locked;
    struct closer {
        int fd;
        ~closer() {
            if (fd >= 0) ::close(fd);
        }
    } hold{lock_fd};
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
                say("\ns3merge: interrupted again: writing the journal and exiting now\n");
                t.save_journal_now();
                std::fflush(nullptr);
                std::_Exit(exit_interrupted);
            }
            say("\ns3merge: interrupted: finishing requests in flight (at most 3 s), writing the "
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
