// De-duplicating the overlap, pure: while the regional trails and the new
// all-region trail both ran, the same events (same eventID) were delivered
// twice under different file names. Here: the overlap window of a region
// (the days both sides hold, from listings alone), the eventIDs of a log
// file (simdjson's on-demand API, no DOM of the file), a source file's
// verdict against the destination's eventIDs of that day, and the filtered
// file that keeps only the events the destination lacks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "s3merge/error.hpp"

namespace s3merge::cloudtrail {

// "YYYY/MM/DD" of a key below a region's prefix ("2024/01/05/x.json.gz"),
// or "" when the key does not start with a date.
std::string day_of(std::string_view key_below_region);

// The days both sides hold a file for (keys below the region's prefix on
// each side), sorted.
std::vector<std::string> overlap_days(const std::vector<std::string>& source_keys,
                                      const std::vector<std::string>& dest_keys);

// The eventIDs of an uncompressed CloudTrail log {"Records":[{...}, ...]},
// appended to `out`. `json` must have simdjson's padding after its size
// (std::string with capacity >= size + padding_bytes). A file that is not
// such a document, or a record without an eventID, is malformed_response.
constexpr std::size_t padding_bytes = 64;
std::error_code event_ids(std::string_view json, std::size_t capacity, std::vector<std::string>& out,
                          diagnostics& diag);

enum class dup_kind { none, all, some };
struct file_verdict {
    dup_kind kind = dup_kind::none;
    std::uint64_t events = 0, duplicates = 0;
};
// A file of no events counts as `none` (nothing to lose by copying it).
file_verdict classify(const std::vector<std::string>& ids, const std::unordered_set<std::string>& dest_ids);

// The file without the events in `drop`: {"Records":[...]} with each kept
// record's JSON as it was. `kept` counts them.
std::error_code filter_records(std::string_view json, std::size_t capacity,
                               const std::unordered_set<std::string>& drop, std::string& out,
                               std::uint64_t& kept, diagnostics& diag);

// Where a filtered file goes: next to the original, its name saying so
// ("…_ABCD.json.gz" -> "…_ABCD_dedup.json.gz").
std::string filtered_key(std::string_view key);

}  // namespace s3merge::cloudtrail
