// Private to `s3merge cloudtrail`: the resolved job (account, regions,
// bucket names, prefixes), the per-region probe results, and the steps
// shared by its subcommands (cmd_cloudtrail.cpp, cloudtrail_drop.cpp).
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "cli/args.hpp"
#include "s3merge/cloudtrail/layout.hpp"
#include "s3merge/client/s3_client.hpp"
#include "s3merge/engine_io/parallel_for.hpp"
#include "s3merge/engine/report.hpp"
#include "s3merge/engine_io/transfer.hpp"

namespace s3merge::cli::cloudtrail_cmd {

enum class bucket_state { found, no_bucket, not_opted_in, error };
const char* to_string(bucket_state s);

struct region_row {
    std::string region;
    std::string bucket;
    bool opt_in = false;  // the account has not opted in to this region
    bucket_state state = bucket_state::found;
    std::string bucket_region;         // where HeadBucket found it
    std::string error;                 // one line, for state::error
    std::vector<std::size_t> sources;  // indexes into the engine's sources (logs, digests)
    // Where its keys are and go: logs, then digests / insights when asked.
    std::vector<cloudtrail::region_mapping> maps;
    cloudtrail::found_by by = cloudtrail::found_by::name_template;
    std::string trail;  // the trail that writes (or wrote) there, when known
};

struct job {
    std::string command;  // "plan", "copy", ...
    std::string account;
    std::string dest_bucket;
    std::vector<std::string> prefixes;  // logs prefix, then the digest prefix with --include-digests
    std::vector<region_row> rows;
    std::string dest_region;
    bool athena_ddl = false;
    // Sources found from the account's trails, bucket content or --source
    // (else named by --source-bucket-template), and the destination's place.
    bool discovered = false;
    cloudtrail::destination dest;
    std::vector<std::string> notes;
};

// Discovery (cloudtrail_discover.cpp): trails in every region, the
// account's buckets probed for CloudTrail content, --source places; fills
// j.rows (with their mappings), j.dest and j.dest_bucket. Returns -1 to go
// on, else the exit code (message printed).
boost::asio::awaitable<int> discover_sources(s3::client& client, const parsed_args& args, job& j,
                                             const std::vector<std::string>& regions,
                                             const std::vector<bool>& opt_in);
// GETs in flight for the digest proof and the overlap (they run before or
// after the copy, never beside it): 32, or --concurrency when lower.
std::size_t read_width(const parsed_args& args);

// The common prefixes directly under `prefix` (one delimiter page: up to 1,000).
boost::asio::awaitable<std::error_code> list_children(s3::client& c, const std::string& bucket,
                                                      const std::string& prefix,
                                                      std::vector<std::string>& out, diagnostics& d);

// Every key under `prefix` of `bucket` (all pages), in order.
boost::asio::awaitable<std::error_code> list_keys(s3::client& c, const std::string& bucket,
                                                  const std::string& prefix, std::vector<std::string>& out,
                                                  diagnostics& d);

// Proof from CloudTrail's digest files (cloudtrail_proof.cpp), per row.
struct region_proof {
    std::uint64_t digests = 0, proven = 0, mismatched = 0, missing = 0, without_digest = 0;
    std::uint64_t bad_signatures = 0, broken_links = 0, errors = 0;
    std::uint64_t at_source = 0;  // not at the destination yet, intact where CloudTrail delivered them
    std::uint64_t compressed_bytes = 0, uncompressed_bytes = 0;  // of the log files hashed
    double seconds = 0;                                          // the region's proof took
    std::string digest_place;
    std::vector<std::string> problems;  // one line each
    bool proven_whole() const;          // nothing altered, missing, badly signed, unlinked or unread
};
// Fills one proof per row. Returns -1 to go on, else the exit code.
boost::asio::awaitable<int> prove_with_digests(s3::client& client, const parsed_args& args, job& j,
                                               std::vector<region_proof>& out);
// The table and problem lines; exit_ok only when every region is proven.
int print_proof(const job& j, const std::vector<region_proof>& proofs);

// Overlap de-duplication (cloudtrail_dedup.cpp), per row.
struct region_dedup {
    std::string src_prefix, dest_prefix;  // the region's logs on each side
    std::vector<std::string> days;        // the overlap window
    std::uint64_t files_read = 0, bytes_read = 0, events = 0, duplicate_events = 0;
    std::uint64_t duplicate_files = 0, partial_files = 0, filtered_files = 0, deleted = 0;
    std::set<std::string, std::less<>> excluded;   // source keys the engine leaves out
    std::vector<s3::object_identifier> confirmed;  // their events are at the destination: a move deletes them
    std::vector<std::string> problems;
};
// Reads inside each region's window; with `write`, writes filtered files.
boost::asio::awaitable<int> analyse_overlap(s3::client& client, job& j, bool filter, bool write,
                                            std::size_t width, std::vector<region_dedup>& out);
// The engine's exclude predicate (after add_sources); empty when nothing is
// left out, so that the listings pay nothing for it.
std::function<bool(std::size_t, std::string_view)> dedup_exclusions(const job& j,
                                                                    const std::vector<region_dedup>& dd);
// A move: deletes the duplicate (and filtered) source logs, ETag-conditional.
boost::asio::awaitable<std::uint64_t> delete_confirmed(s3::client& client, const job& j,
                                                       std::vector<region_dedup>& dd);
void print_overlap(const job& j, const std::vector<region_dedup>& dd, bool filter, bool move);

// `cloudtrail discover`: what was found and from where (table or --json).
int print_discovery(const job& j, bool json);

// The option table of `s3merge cloudtrail SUBCOMMAND`.
std::vector<option_spec> option_specs(std::string_view sub);

// Steps 1-3 (validation, account and regions, names): usage errors are
// printed; returns -1 to go on, else the exit code. Nothing is written.
boost::asio::awaitable<int> resolve_job(s3::client& client, const parsed_args& args, job& j);
// HeadBucket on the destination and on every source bucket (bounded
// concurrency). Returns -1 to go on, else the exit code (message printed):
// a missing destination or no source bucket at all is an error.
boost::asio::awaitable<int> probe_buckets(s3::client& client, job& j);
// One engine source per found region and prefix (fills row.sources).
void add_sources(job& j, engine::transfer_options& o, bool whole_bucket);

// Sums the report's counters/details over a region's sources.
engine::counters row_counters(const region_row& r, const engine::report& rep);
engine::source_details row_details(const region_row& r, const engine::report& rep);

// The region table's first columns: REGION, SOURCE BUCKET, STATE.
std::vector<std::string> row_head(const region_row& r);

std::vector<std::string> found_buckets(const job& j);
void print_hints(const job& j);
void print_athena_ddl(const job& j);

// drop-sources (cloudtrail_drop.cpp).
boost::asio::awaitable<int> drop_sources(s3::client& client, const parsed_args& args, job& j,
                                         engine::transfer_options o);

using engine::parallel_for;

}  // namespace s3merge::cli::cloudtrail_cmd
