// The engine's command-line options, shared by `copy`/`move` and
// `cloudtrail copy|move|plan|verify`: the option table, parsing into
// transfer_options, the progress/log sinks, and running a transfer with
// SIGINT/SIGTERM turned into a clean stop (journal written, exit 130).
#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cli/common.hpp"
#include "s3merge/engine_io/transfer.hpp"

namespace s3merge::cli {

// Listing/rate options (every engine run) and the copy options (copy, move).
std::vector<option_spec> listing_option_specs();
std::vector<option_spec> copy_option_specs();
// --include/--exclude/--modified-after/--modified-before: copy, move, plan,
// verify (never drop-sources, which verifies whole buckets).
std::vector<option_spec> filter_option_specs();
// --shard I/N | auto/N: copy, move, and cloudtrail plan/copy/move/verify
// (never drop-sources).
std::vector<option_spec> shard_option_specs(bool with_depth);
int apply_shard_option(std::string_view cmd, const parsed_args& args, engine::transfer_options& o);
int apply_filter_options(std::string_view cmd, const parsed_args& args, engine::transfer_options& o);

// Connections per host for `wanted`, as the flag `wanted_from` asked
// (--concurrency or --max-connections-per-host): RLIMIT_NOFILE's soft limit
// is raised when it has no room for them; when even the hard limit is too
// low, fewer, with a one-line note on stderr naming that flag
// (cli/fd_budget.hpp).
std::size_t fit_connections(std::size_t wanted, std::string_view wanted_from);

// Fills `o` from the parsed flags (only those present in args). Returns -1
// to go on, else the exit code (usage error printed, naming the command).
int apply_listing_options(std::string_view cmd, const parsed_args& args, engine::transfer_options& o,
                          std::size_t& per_host);
int apply_copy_options(std::string_view cmd, const parsed_args& args, engine::transfer_options& o);
// --conditional-deletes auto|on|off, once the endpoint is known: auto is on
// for AWS S3 (no --endpoint-url, or an amazonaws.com host), which evaluates
// the ETag of a DeleteObjects entry; elsewhere a HeadObject checks each key
// right before its delete.
int apply_conditional_deletes(std::string_view cmd, const parsed_args& args, const s3::client_config& cfg,
                              engine::transfer_options& o);
// Whether an endpoint URL (empty: AWS's default) is AWS S3.
bool is_aws_endpoint(std::string_view endpoint_url);
// --journal / --no-journal: the default path is named by the job's id.
int apply_journal_option(const parsed_args& args, engine::transfer_options& o);
// A live status line on a TTY (unless --no-progress), else a log line every
// few seconds; failures and notes go to stderr.
void set_progress_sinks(const parsed_args& args, engine::transfer_options& o);

// The exit code of a run with failed objects: exit_network when every one
// failed for the network (README's table), else exit_failed; exit_ok when none.
int failures_exit_code(const engine::report& rep);

// Runs one transfer; SIGINT/SIGTERM call request_stop().
boost::asio::awaitable<engine::transfer_result> run_transfer_with_signals(s3::client& client,
                                                                          engine::transfer_options o);

}  // namespace s3merge::cli
