// Two sources, one destination key: the walk of engine/collisions.hpp,
// driven before any copy. Nodes are visited one at a time; a node's
// sources are listed concurrently, one page each.
#include "engine_io/transfer_impl.hpp"
#include "s3merge/engine_io/parallel_for.hpp"

namespace s3merge::engine {

asio::awaitable<std::error_code> transfer::impl::find_collisions(diagnostics& diag) {
    std::vector<walk_source> ws;
    for (std::size_t i = 0; i < sources.size(); ++i)
        ws.push_back({sources[i].loc.bucket, sources[i].loc.prefix, dest_prefix(i)});
    std::vector<walk_node> stack = collision_roots(ws);
    std::size_t conflicting = 0;
    while (!stack.empty() && !stopping) {
        node_merge nm(std::move(stack.back()), ws);
        stack.pop_back();
        std::vector<std::string> tokens(nm.members().size());
        while (!nm.done()) {
            auto want = nm.wants();
            std::vector<s3::list_objects_v2_result> pages(want.size());
            std::vector<std::error_code> errs(want.size());
            std::vector<diagnostics> diags(want.size());
            co_await parallel_for(want.size(), want.size(), [&](std::size_t w) -> asio::awaitable<void> {
                const auto& mem = nm.members()[want[w]];
                s3::list_objects_v2_params p;
                p.prefix = mem.list_prefix;
                p.delimiter = "/";
                p.max_keys = opts.page_size;
                p.continuation_token = tokens[want[w]];
                errs[w] = co_await client.list_objects_v2(ws[mem.source].bucket, p, pages[w], diags[w]);
            });
            for (std::size_t w = 0; w < want.size(); ++w) {
                if (errs[w]) {
                    diag = diags[w];
                    diag.detail =
                        "listing the sources to find keys that two of them map onto one destination key: " +
                        diag.detail;
                    co_return errs[w];
                }
                tokens[want[w]] = pages[w].next_continuation_token;
                if (auto ec = nm.push(want[w], pages[w], !pages[w].is_truncated, diag)) co_return ec;
            }
        }
        for (auto& c : nm.take_collisions()) {
            if (c.identical) {
                // Whichever is copied, the destination is the same; a move
                // pins each to that content (a source overwritten mid-run
                // must not replace what another source's delete relies on).
                if (!opts.move) continue;
                if (shared_keys.size() >= max_collisions) {
                    diag.operation = "plan";
                    diag.bucket = opts.destination.bucket;
                    diag.detail = "more than " + std::to_string(max_collisions) +
                                  " destination keys would be written by two sources (e.g. s3://" +
                                  opts.destination.bucket + "/" + c.dest_key +
                                  "); a move needs each --source to have its own destination prefix, or move "
                                  "the sources one at a time";
                    co_return make_error_code(errc::invalid_argument);
                }
                shared_keys.emplace(c.dest_key, c.sides.front().etag);
                continue;
            }
            if (++conflicting > max_collisions) {
                diag.operation = "plan";
                diag.bucket = opts.destination.bucket;
                diag.detail =
                    "more than " + std::to_string(max_collisions) +
                    " destination keys would be written by two sources with different content (e.g. s3://" +
                    opts.destination.bucket + "/" + c.dest_key +
                    "); give each --source its own destination prefix";
                co_return make_error_code(errc::invalid_argument);
            }
            auto key = c.dest_key;
            collisions.emplace(std::move(key), collision_message(c));
        }
        for (auto& child : nm.take_children()) stack.push_back(std::move(child));
    }
    if (!collisions.empty() && opts.log)
        opts.log(
            "s3merge: " + std::to_string(collisions.size()) +
            " destination keys are mapped from two or more sources with different content: those keys are "
            "neither copied nor deleted (each is named in the failures)");
    co_return std::error_code{};
}

std::string transfer::impl::collision_message(const collision& c) const {
    std::string m = "s3://" + opts.destination.bucket + "/" + c.dest_key + " would be written by ";
    for (std::size_t i = 0; i < c.sides.size(); ++i) {
        const auto& s = c.sides[i];
        if (i) m += i + 1 == c.sides.size() ? " and " : ", ";
        m += "s3://" + sources[s.source].loc.bucket + "/" + s.key + " (" + std::to_string(s.size) +
             " bytes, ETag " + s.etag + ")";
    }
    m += " with different content: neither is copied or deleted; give each --source its own destination "
         "prefix, "
         "or remove one of them";
    return m;
}

}  // namespace s3merge::engine
