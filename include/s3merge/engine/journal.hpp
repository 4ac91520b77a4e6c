// The resume journal: which listing leaves are finished and how far the
// others got, plus the counters so far. Encoded as JSON (see
// docs/engine-core.md for the format); decoded with simdjson. Decoding never
// crashes on bad input: a corrupt, truncated, other-version or other-job
// journal is errc::config_error with diag.detail saying what to do.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/engine/counters.hpp"
#include "s3merge/engine/key_map.hpp"
#include "s3merge/error.hpp"

namespace s3merge::engine {

constexpr int journal_version = 1;
// Larger journals are rejected before parsing (bounded memory).
constexpr std::size_t max_journal_bytes = std::size_t{256} << 20;

// What identifies a job. Options that do not change which keys end up
// where (concurrency, overwrite, storage class) are not part of it.
struct job_description {
    std::string mode;  // "copy" or "move"
    std::vector<location> sources;
    location destination;
};

// Unambiguous (length-prefixed) serialisation with sources sorted by
// (bucket, prefix); the job id is its hex SHA-256.
std::string canonical_description(const job_description& job);
std::string job_id(const job_description& job);

// A listing leaf (see fanout.hpp) and its progress: (bucket, prefix,
// delimiter) names the leaf, "/" marks a non-recursive leaf. A record is a
// claim: every key of the leaf in (from, watermark] is done, or in
// (from, to] when complete (to "": no upper bound). A leaf split into key
// ranges for parallel listing has a record per range; on resume the keys no
// record claims are listed again (see done_ranges in fanout.hpp).
struct leaf_state {
    std::string bucket;
    std::string prefix;
    std::string delimiter;  // "" or "/"
    std::string watermark;  // "" = nothing done yet; else resume with start-after
    bool complete = false;
    std::string from = {};  // the range's start (exclusive); "" = the leaf's start
    std::string to = {};    // the range's end (inclusive); "" = the leaf's end
    friend bool operator==(const leaf_state&, const leaf_state&) = default;
};

// A multipart upload this job created and had not completed or aborted
// when the journal was written: on resume it is found and aborted.
struct upload_state {
    std::string bucket;
    std::string key;
    std::string upload_id;
    friend bool operator==(const upload_state&, const upload_state&) = default;
};

struct journal {
    int version = journal_version;
    std::string job_id;
    int fanout_depth = 0;  // informational; leaves only match by identity
    engine::counters totals;
    std::vector<source_progress> sources;
    std::vector<leaf_state> leaves;
    std::vector<upload_state> uploads;  // optional in the file (older journals have none)
    friend bool operator==(const journal&, const journal&) = default;
};

// Compact JSON plus a trailing newline. Strings that are not valid UTF-8
// (keys from non-AWS servers) are written as "<name>_hex" fields so every
// byte round-trips.
std::string encode_journal(const journal& j);

// expected_job_id empty: accept any job id.
std::error_code decode_journal(std::string_view text, std::string_view expected_job_id, journal& out,
                               diagnostics& diag);

// $XDG_STATE_HOME/s3merge/<job-id>.journal, else $HOME/.local/state/s3merge/...
// (the XDG spec ignores a relative XDG_STATE_HOME). errc::config_error when
// neither is usable. The environment values are parameters ("" = unset).
std::error_code default_journal_path(std::string_view job_id, std::string_view xdg_state_home,
                                     std::string_view home, std::string& out, diagnostics& diag);

// ---- file I/O (journal_file.cpp, the only I/O in the engine core) --------

// Writes data to a temporary file in the same directory, fsyncs it, renames
// it over path and fsyncs the directory: after a crash the file holds either
// the old or the new contents. Creates missing parent directories (0700).
// ec: a system_category error.
void write_file_atomically(const std::string& path, std::string_view data, std::error_code& ec);

// Writes an output the user named (--report): through a symlink to the file
// it points to (atomically, the link stays a link), straight into a special
// file (a FIFO, /dev/stdout, /dev/full: its write errors are ec), atomically
// over a regular file or a new one. A directory is ec is_a_directory.
void write_output_file(const std::string& path, std::string_view data, std::error_code& ec);
// Before any work: why `path` cannot be written ("it is a directory",
// "cannot write in 'd': Permission denied"), or "" when it can.
std::string check_output_path(const std::string& path);
// Whether path (through symlinks) is a regular file or does not exist: the
// journal must be one (it is read back and replaced).
bool is_regular_or_absent(const std::string& path);
// Reads a whole file of at most max_bytes (std::errc::file_too_large beyond;
// std::errc::no_such_file_or_directory when absent).
std::string read_file_bounded(const std::string& path, std::size_t max_bytes, std::error_code& ec);

}  // namespace s3merge::engine
