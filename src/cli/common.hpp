// Shared pieces of the command-line tools: common options, building a client
// configuration from flags/environment/profile, running a coroutine, and
// printing one-line errors. Exceptions stop here.
#pragma once

#include <functional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include "cli/args.hpp"
#include "s3merge/client/s3_client.hpp"
#include "s3merge/error.hpp"

namespace s3merge::cli {

// Documented exit codes (README, --help).
enum exit_code : int {
    exit_ok = 0,
    exit_failed = 1,         // an S3 operation failed (or some objects did)
    exit_usage = 2,          // bad command line or argument
    exit_config = 3,         // credentials / configuration / region
    exit_network = 4,        // connection, DNS, TLS, timeouts
    exit_partial = 5,        // partially done: some objects copied or already there, others failed
    exit_locked = 6,         // another run of the same job is running (its lock is held)
    exit_interrupted = 130,  // SIGINT / SIGTERM
};

std::vector<option_spec> common_options();

// Parses a command's arguments and handles --help. Returns -1 when the
// command should go on, else the exit code to return (usage error printed).
int parse_command(std::string_view name, std::string_view usage, std::string_view description,
                  const std::vector<std::string>& argv, const std::vector<option_spec>& spec,
                  parsed_args& args);

// Fills cfg from flags, environment and profile. On error prints one line
// and returns the exit code (else exit_ok).
int make_client_config(const parsed_args& args, s3::client_config& cfg);

// A small text file (keys, key lists; at most 4 MiB), whole. False when it
// cannot be read or is larger.
bool read_text_file(const std::string& path, std::string& out);
// Writes `text` to `path` (through a temporary file, renamed).
bool write_text_file(const std::string& path, const std::string& text);

// Maps an error to the exit code family.
int exit_code_for(std::error_code ec);
// An output the user asked for (--report) could not be written: the
// command's exit code becomes exit_failed if it was exit_ok (final_exit).
void note_output_failure();
int final_exit(int rc);

// Prints "s3merge: <what failed>: <diag> — <hint>" on one line to stderr.
void print_error(std::error_code ec, const diagnostics& diag);
void print_usage_error(std::string_view command, std::string_view message);
// printf to stderr as one line (a JSON object with --log-format json).
void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// A bucket named on the command line: S3's naming rules (names of legacy
// us-east-1 buckets, with upper case or '_', are accepted), and never an
// S3 Express One Zone directory bucket (its listings are not sorted, which
// the merge-join needs). Prints the usage error and returns false.
bool check_bucket_arg(std::string_view command, std::string_view bucket);

// Runs `body` on a fresh io_context until it finishes, returning its exit
// code; SIGINT/SIGTERM stop it with exit_interrupted.
int run(std::function<boost::asio::awaitable<int>(boost::asio::io_context&)> body);

// Runs body(client) on a fresh io_context with a client built from cfg: an
// init error is printed and mapped to its exit code, an exception becomes
// an internal error (exit 1). Signals are left to body (the engine stops
// cleanly on SIGINT/SIGTERM, see transfer_flags.hpp).
int run_with_client(const s3::client_config& cfg,
                    std::function<boost::asio::awaitable<int>(s3::client&)> body);

using command_fn = int (*)(const std::vector<std::string>& args);

int cmd_ls(const std::vector<std::string>& args);
int cmd_cp(const std::vector<std::string>& args);
int cmd_mb(const std::vector<std::string>& args);
int cmd_rb(const std::vector<std::string>& args);
int cmd_put(const std::vector<std::string>& args);
int cmd_copy(const std::vector<std::string>& args);
int cmd_move(const std::vector<std::string>& args);
int cmd_generate(const std::vector<std::string>& args);
int cmd_cloudtrail(const std::vector<std::string>& args);
int cmd_report(const std::vector<std::string>& args);
int cmd_batch(const std::vector<std::string>& args);

}  // namespace s3merge::cli
