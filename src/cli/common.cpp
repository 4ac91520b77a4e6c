#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>
#include <optional>

#include "cli/common.hpp"
#include "cli/job_file.hpp"
#include "cli/log.hpp"
#include "s3merge/cloudtrail/naming.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "s3merge/aws/config.hpp"

namespace s3merge::cli {

namespace asio = boost::asio;

std::vector<option_spec> common_options() {
    return {
        {"endpoint-url", true, false, "URL",
         "S3 endpoint (e.g. http://127.0.0.1:7480); default: AWS for the region"},
        {"region", true, false, "REGION",
         "signing region (else AWS_REGION, AWS_DEFAULT_REGION, profile, us-east-1)"},
        {"profile", true, false, "NAME", "profile from the shared credentials/config files"},
        {"ca-bundle", true, false, "FILE",
         "PEM file of CAs to trust for TLS (else AWS_CA_BUNDLE, else system)"},
        {"addressing-style", true, false, "auto|path|virtual",
         "bucket in the path or in the host name (default auto)"},
        {"no-verify-ssl", false, false, "", "do not verify TLS certificates (unsafe; for testing only)"},
        {"max-attempts", true, false, "N", "attempts per request, including the first (default 10)"},
        {"debug", false, false, "", "print each canonical request and string to sign (no secrets)"},
        {"log-format", true, false, "text|json",
         "stderr as text (default) or one JSON object per line (time, level, event, message, bucket, key, "
         "region, code, attempt)"},
        {"help", false, false, "", "show this help"},
    };
}

namespace {
bool output_failed = false;
}  // namespace

void say(const char* fmt, ...) {
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    std::string_view line(buf);
    while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
    emit_line(line);
}

void note_output_failure() {
    output_failed = true;
}
int final_exit(int rc) {
    return rc == exit_ok && output_failed ? exit_failed : rc;
}

int exit_code_for(std::error_code ec) {
    if (!ec) return exit_ok;
    if (ec.category() != s3merge_category()) return exit_failed;
    switch (static_cast<errc>(ec.value())) {
        case errc::invalid_argument:
        case errc::invalid_url:
            return exit_usage;
        case errc::no_credentials:
        case errc::config_error:
        // The credentials themselves are wrong: fix the configuration.
        case errc::signature_mismatch:
        case errc::invalid_access_key:
        case errc::expired_token:
        case errc::request_time_skewed:
            return exit_config;
        case errc::resolve_failed:
        case errc::connect_failed:
        case errc::timeout:
        case errc::connection_closed:
        case errc::tls_error:
        case errc::tls_verify_failed:
        case errc::protocol_error:
            return exit_network;
        case errc::cancelled:
            return exit_interrupted;
        case errc::job_locked:
            return exit_locked;
        default:
            return exit_failed;
    }
}

void print_error(std::error_code ec, const diagnostics& diag) {
    std::string line = "s3merge: error: " + diag.to_string();
    if (diag.http_status == 0 && diag.s3_code.empty() && diag.detail.empty()) line += " " + ec.message();
    auto hint = hint_for(ec, diag);
    if (!hint.empty()) line += " — " + hint;
    engine::log_record r;
    r.level = engine::log_level::error;
    r.event = "error";
    r.message = line;
    r.diag = &diag;
    emit_log(r);
}

void print_usage_error(std::string_view command, std::string_view message) {
    const std::string line = "s3merge " + std::string(command) + ": " + std::string(message) +
                             " (see 's3merge " + std::string(command) + " --help')";
    engine::log_record r;
    r.level = engine::log_level::error;
    r.event = "usage";
    r.message = line;
    emit_log(r);
}

bool check_bucket_arg(std::string_view command, std::string_view bucket) {
    if (bucket.ends_with("--x-s3")) {
        print_usage_error(command,
                          "s3://" + std::string(bucket) +
                              " is an S3 Express One Zone directory bucket: its listings are not in key "
                              "order and have no start-after, which s3merge needs to compare source and "
                              "destination; copy it with a general purpose bucket as the source and "
                              "destination, or with the AWS CLI");
        return false;
    }
    // Legacy (us-east-1, before 2018): up to 255 of A-Z a-z 0-9 . _ -
    bool legacy = bucket.size() >= 3 && bucket.size() <= 255;
    bool needs_legacy = bucket.size() > 63;
    for (char c : bucket) {
        bool lower = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        bool legacy_only = (c >= 'A' && c <= 'Z') || c == '_';
        if (!lower && !legacy_only) legacy = false;
        if (legacy_only) needs_legacy = true;
    }
    if (needs_legacy && legacy) return true;
    diagnostics d;
    if (cloudtrail::validate_bucket_name(bucket, d)) {
        print_usage_error(command, d.detail);
        return false;
    }
    return true;
}

int parse_command(std::string_view name, std::string_view usage, std::string_view description,
                  const std::vector<std::string>& argv, const std::vector<option_spec>& spec,
                  parsed_args& args) {
    std::string err;
    if (!parse_args(argv, spec, args, err)) {
        print_usage_error(name, err);
        return exit_usage;
    }
    if (args.flag("help")) {
        std::fputs(format_help(usage, description, spec).c_str(), stdout);
        return exit_ok;
    }
    if (args.has("job")) {
        // Every option of a run from a file; the command line's win.
        std::string text, err;
        parsed_args job;
        const std::string path = args.value("job");
        if (!read_text_file(path, text)) {
            print_usage_error(name, "--job " + path + ": cannot read it (a JSON job file of at most 4 MiB)");
            return exit_usage;
        }
        if (!parse_job_file(text, name, spec, job, err)) {
            print_usage_error(name, "--job " + path + ": " + err);
            return exit_usage;
        }
        merge_job_args(args, job);
    }
    if (auto f = args.value("log-format", "text"); f == "json") {
        set_log_format(log_format::json);
    } else if (f != "text") {
        print_usage_error(name, "--log-format must be text or json");
        return exit_usage;
    }
    if (args.flag("print-job")) {
        std::fputs(encode_job_file(name, args, spec).c_str(), stdout);
        return exit_ok;
    }
    return -1;
}

// The MFA code of a device, asked on the terminal (not echoed is not needed:
// the code is good for 30 seconds); nullopt without a terminal.
std::optional<std::string> ask_mfa_code(const std::string& serial) {
    FILE* tty = std::fopen("/dev/tty", "r+");
    if (!tty) return std::nullopt;
    std::fprintf(tty, "Enter MFA code for %s: ", serial.c_str());
    std::fflush(tty);
    char line[64] = {};
    const bool got = std::fgets(line, sizeof line, tty) != nullptr;
    std::fclose(tty);
    if (!got) return std::nullopt;
    std::string code(line);
    while (!code.empty() && (code.back() == '\n' || code.back() == '\r' || code.back() == ' '))
        code.pop_back();
    if (code.empty()) return std::nullopt;
    return code;
}

bool read_text_file(const std::string& path, std::string& out) {
    out.clear();
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    char buf[65536];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        out.append(buf, n);
        if (out.size() > (4u << 20)) break;
    }
    const bool ok = !std::ferror(f) && out.size() <= (4u << 20);
    std::fclose(f);
    return ok;
}

bool write_text_file(const std::string& path, const std::string& text) {
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (!f) return false;
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fclose(f) == 0 && ok;
    return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

int make_client_config(const parsed_args& args, s3::client_config& cfg) {
    auto inputs = aws::load_inputs(args.value("profile"), args.value("region"));
    aws::resolved_config rc;
    diagnostics diag;
    diag.operation = "configuration";
    if (auto ec = aws::resolve_config(inputs, rc, diag)) {
        print_error(ec, diag);
        return exit_config;
    }
    if (rc.plan.refreshable()) {
        // Temporary credentials: obtained and renewed by the client's provider.
        cfg.credential_plan = rc.plan;
        cfg.provider.profile = rc.profile;
        if (const char* home = std::getenv("HOME")) cfg.provider.home = home;
        if (const char* sso = std::getenv("AWS_ENDPOINT_URL_SSO")) cfg.provider.sso_endpoint_url = sso;
        cfg.provider.ask_mfa_code = ask_mfa_code;
    }
    cfg.creds = rc.creds;
    cfg.sts_endpoint_url = rc.plan.sts_endpoint_url;
    cfg.sts_region = rc.plan.sts_region;
    cfg.region = rc.region.empty() ? "us-east-1" : rc.region;
    cfg.endpoint.endpoint_url = args.value("endpoint-url", rc.endpoint_url);
    if (auto style = args.value("addressing-style"); !style.empty()) {
        if (s3::parse_addressing_style(style, cfg.endpoint.style)) {
            say("s3merge: --addressing-style must be auto, path or virtual, not '%s'\n", style.c_str());
            return exit_usage;
        }
    }
    if (args.has("endpoint-url") && args.value("endpoint-url").empty()) {
        say("s3merge: --endpoint-url is empty: give the server's URL (e.g. http://127.0.0.1:7480), "
            "or leave the option out for AWS\n");
        return exit_usage;
    }
    cfg.http.ca_bundle = args.value("ca-bundle", rc.ca_bundle);
    if (!cfg.http.ca_bundle.empty() && ::access(cfg.http.ca_bundle.c_str(), R_OK) != 0) {
        std::fprintf(
            stderr,
            "s3merge: error: cannot read the CA bundle '%s' (%s, from %s) — give a readable PEM file "
            "with --ca-bundle, or unset AWS_CA_BUNDLE\n",
            cfg.http.ca_bundle.c_str(), std::strerror(errno),
            args.has("ca-bundle") ? "--ca-bundle" : "AWS_CA_BUNDLE or the profile's ca_bundle");
        return exit_config;
    }
    cfg.http.verify_peer = !args.flag("no-verify-ssl");
    if (!cfg.http.verify_peer)
        say("s3merge: warning: --no-verify-ssl: TLS certificates are not checked; anyone on the "
            "path can read and change this traffic, credentials' use included\n");
    cfg.warn = [](std::string_view line) { emit_line(line, "host_warning"); };
    if (args.has("max-requests-per-second")) {
        std::uint64_t n = 0;
        if (!parse_uint(args.value("max-requests-per-second"), 1, 1000000, n)) {
            say("s3merge: error: --max-requests-per-second must be a number from 1 to 1000000\n");
            return exit_usage;
        }
        cfg.max_requests_per_second = double(n);
    }
    cfg.retry.max_attempts = 10;
    if (args.has("max-attempts")) {
        try {
            cfg.retry.max_attempts = std::stoi(args.value("max-attempts"));
        } catch (...) {
            cfg.retry.max_attempts = 0;
        }
        if (cfg.retry.max_attempts < 1 || cfg.retry.max_attempts > 100) {
            say("s3merge: --max-attempts must be a number from 1 to 100\n");
            return exit_usage;
        }
    }
    if (args.flag("debug")) {
        cfg.debug = [](std::string_view text) {
            std::fprintf(stderr, "%.*s\n", int(text.size()), text.data());
        };
    }
    return exit_ok;
}

namespace {
// One thread runs a job's io_context and starts every operation on its
// sockets and timers, so the reactor's per-socket locks are left out (a
// lock and an unlock per read or write). The scheduler keeps its lock: the
// resolver's own thread posts its completions into it.
constexpr int one_io_thread = BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO;
}  // namespace

int run_with_client(const s3::client_config& cfg, std::function<asio::awaitable<int>(s3::client&)> body) {
    asio::io_context io(one_io_thread);
    int rc = exit_failed;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            s3::client client(io.get_executor(), cfg);
            diagnostics diag;
            if (auto ec = client.init(diag)) {
                print_error(ec, diag);
                rc = exit_code_for(ec);
                co_return;
            }
            rc = co_await body(client);
        },
        [&](std::exception_ptr e) {
            if (!e) return;
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                say("s3merge: internal error: %s\n", ex.what());
            }
            rc = exit_failed;
        });
    io.run();
    return rc;
}

int run(std::function<asio::awaitable<int>(asio::io_context&)> body) {
    asio::io_context io(one_io_thread);
    int rc = exit_failed;
    bool interrupted = false;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (ec) return;
        interrupted = true;
        io.stop();
    });
    asio::co_spawn(io, body(io), [&](std::exception_ptr e, int result) {
        signals.cancel();
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                say("s3merge: internal error: %s\n", ex.what());
            }
            rc = exit_failed;
            return;
        }
        rc = result;
    });
    io.run();
    if (interrupted) {
        say("s3merge: interrupted\n");
        return exit_interrupted;
    }
    return rc;
}

}  // namespace s3merge::cli
