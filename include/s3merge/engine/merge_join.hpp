// Streaming merge-join of a sorted source listing with the sorted listing of
// the matching destination range, deciding per source object whether to copy
// it.
//
// Both listings arrive in ListObjectsV2 order (unsigned bytes). Destination
// keys are mapped back into source key space by the key_map given at
// construction (dest key D ↦ src_prefix + (D minus dst_prefix)), so the
// caller pushes raw listing pages from both sides; decisions carry the
// destination key to write.
//
// Rule, per source object S ("identical" only on evidence):
//   - overwrite option set          → copy (overwrite); the destination
//                                     listing is not needed at all
//   - no destination key for S      → copy (missing)
//   - sizes differ                  → replace (size_differs)
//   - both ETags single-part (an MD5) → equal (case-insensitively): skip
//     (same_etag); different: replace (etag_differs)
//   - the same multipart ETag on both sides ("<md5 of part md5s>-N": the
//     same parts in the same layout) → skip (same_etag)
//   - otherwise (a multipart or empty ETag on either side, not equal): the
//     listing cannot tell → check (unverifiable): compare full-object
//     checksums (identity_from_checksums), else copy again; never skipped,
//     never confirmed for a delete on size alone.
// Destination-only keys are ignored.
//
// Memory: a source object is decided as soon as the destination side has
// advanced past its key (or is done), a destination entry is dropped as soon
// as the source side has. After every push at least one side's buffer is
// empty; push the side that wants_*() says, and at most one page per side
// is held. A page out of order (not strictly increasing keys) or a source
// key outside the source prefix is errc::malformed_response.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <system_error>
#include <vector>

#include "s3merge/engine/key_map.hpp"
#include "s3merge/error.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::engine {

enum class action {
    copy,     // not at the destination (or --overwrite)
    skip,     // identical at the destination
    replace,  // different at the destination
    check,    // identity unknown from the listing: compare checksums, else copy
};
const char* to_string(action a);

// Why a decision was made. Code branches on this, never on text.
enum class reason {
    missing,       // no destination key
    overwrite,     // --overwrite: the destination was not looked at
    size_differs,  // sizes differ
    etag_differs,  // both ETags single-part (MD5), different
    same_etag,     // same size and the same ETag
    unverifiable,  // same size; a multipart or empty ETag that does not match
};
// "missing", "overwrite", "size differs", "etag differs", "same size and etag",
// "same size, etag not comparable".
const char* to_string(reason r);

// True when an ETag is an MD5 of the content: non-empty, no "-N" part count.
bool is_single_part_etag(std::string_view etag);

struct decision {
    s3::object_entry source;
    std::string dest_key;
    action what = action::copy;
    engine::reason why = reason::missing;
};

// Checksums (s3::object_checksums, from HeadObject with checksum mode) are
// comparable only when they cover the whole object: type FULL_OBJECT, or no
// type and no "-N" part count (a composite checksum of a multipart upload
// depends on the part layout).
using s3::object_checksums;
enum class checksum_verdict { identical, different, unknown };
// identical: one algorithm both sides carry as a full-object checksum is
// equal (and none that both carry differs); different: one differs;
// unknown: no algorithm in common.
checksum_verdict identity_from_checksums(const object_checksums& a, const object_checksums& b);

struct merge_options {
    bool overwrite = false;  // copy everything without looking at the destination
};

// The comparison rule for one key present on both sides.
decision compare_objects(s3::object_entry source, std::string dest_key, std::uint64_t dest_size,
                         std::string_view dest_etag);

class merge_join {
public:
    explicit merge_join(key_map map = {}, merge_options opt = {});

    std::error_code push_source(std::vector<s3::object_entry> page, diagnostics& diag);
    std::error_code push_dest(std::vector<s3::object_entry> page, diagnostics& diag);
    void source_done();
    void dest_done();

    // Decisions that can be made now, in source key order.
    std::vector<decision> pop_decisions();

    // Flow control: the side whose next page is needed to make progress.
    bool wants_source() const { return !source_done_ && src_.empty(); }
    // No destination page is wanted once the source side is exhausted.
    bool wants_dest() const {
        return !opt_.overwrite && !dest_done_ && dst_.empty() && !(source_done_ && src_.empty());
    }
    // Both sides done and every decision popped.
    bool finished() const { return source_done_ && src_.empty() && out_.empty(); }
    std::size_t buffered() const { return src_.size() + dst_.size() + out_.size(); }

private:
    struct dest_entry {
        std::string key;  // in source key space
        std::uint64_t size = 0;
        std::string etag;
    };
    void advance();

    key_map map_;
    merge_options opt_;
    std::deque<s3::object_entry> src_;
    std::deque<dest_entry> dst_;
    std::vector<decision> out_;
    std::string last_src_, last_dst_;  // for the order check
    bool any_src_ = false, any_dst_ = false;
    bool source_done_ = false, dest_done_ = false;
};

}  // namespace s3merge::engine
