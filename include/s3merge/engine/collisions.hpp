// Two sources, one destination key: the pure part of finding every
// destination key that more than one source maps onto.
//
// Sources whose destination ranges nest (one destination prefix is a prefix
// of the other) can write the same destination key; the last copy would win
// and a move would delete every source. The walk visits the destination key
// space only where two or more sources meet: at a node (a destination path
// P) each source present there is listed with delimiter '/', the listings
// are merged in key order, and
//   - an object name that two or more sources have is a collision;
//   - a sub-prefix that two or more sources have becomes a child node.
// A source whose destination prefix is deeper than P enters the walk as a
// virtual sub-prefix (the next segment of its destination prefix), so a
// source mapped under "x/y/" meets one mapped under "x/" at node "x/y/".
// For CloudTrail's regional buckets (all mapped to AWSLogs/<account>/
// CloudTrail/) the walk is one delimiter listing per bucket: their region
// prefixes differ.
//
// Memory: one listing page per source at a node, the pending child nodes,
// and at most max_recorded collisions (the rest are only counted).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::engine {

// One source of a job, as the walk sees it.
struct walk_source {
    std::string bucket;
    std::string prefix;       // source prefix
    std::string dest_prefix;  // where its keys go
};

// A source present at a node: list `list_prefix` with delimiter '/'; each
// returned name (key or common prefix minus list_prefix) is name_prefix +
// name relative to the node.
struct walk_member {
    std::size_t source = 0;
    std::string list_prefix;
    std::string name_prefix;
    friend bool operator==(const walk_member&, const walk_member&) = default;
};

struct walk_node {
    std::string dest_path;              // the node's destination path
    std::vector<walk_member> members;   // sources listed at this node
    std::vector<std::size_t> entrants;  // sources whose destination prefix lies deeper
};

// One side of a collision.
struct collision_side {
    std::size_t source = 0;
    std::string key;  // the source key
    std::uint64_t size = 0;
    std::string etag;
};

struct collision {
    std::string dest_key;
    std::vector<collision_side> sides;  // two or more, in source order
    // Every side has the same size and the same ETag, an MD5 or the very
    // same multipart ETag: whichever is copied, the destination is the same.
    bool identical = false;
};

// Whether two sources' destination ranges can share a key.
bool ranges_meet(std::string_view dest_prefix_a, std::string_view dest_prefix_b);

// The merge at one node: pages of each member in, collisions and child
// nodes out. Flow control as in merge_join: push a page for each member
// wants() names, until done().
class node_merge {
public:
    node_merge(walk_node node, const std::vector<walk_source>& sources);

    // Members (indices into members()) whose next page is needed.
    std::vector<std::size_t> wants() const;
    const std::vector<walk_member>& members() const { return node_.members; }
    const std::string& dest_path() const { return node_.dest_path; }

    // A ListObjectsV2 page (with delimiter '/') of member m; last: no more.
    // A page out of order or outside list_prefix is errc::malformed_response.
    std::error_code push(std::size_t m, const s3::list_objects_v2_result& page, bool last, diagnostics& diag);

    bool done() const;
    std::vector<collision> take_collisions();
    std::vector<walk_node> take_children();

private:
    struct entry {
        std::string name;  // relative to the node
        bool prefix = false;
        std::uint64_t size = 0;
        std::string etag;
        std::string key;  // source key (objects)
    };
    void advance();

    walk_node node_;
    const std::vector<walk_source>& sources_;
    std::vector<std::deque<entry>> buf_;  // per member, plus one for the entrants' virtual prefixes
    std::vector<bool> done_;
    std::vector<std::string> last_;  // per member, the last name (order check)
    std::vector<collision> collisions_;
    std::vector<walk_node> children_;
};

// The walk's root nodes for a job: empty when no two destination ranges
// meet (nothing to list).
std::vector<walk_node> collision_roots(const std::vector<walk_source>& sources);

}  // namespace s3merge::engine
