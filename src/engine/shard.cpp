// Shard assignment (pure). See include/s3merge/engine/shard.hpp.
#include "s3merge/engine/shard.hpp"

#include <charconv>

namespace s3merge::engine {

namespace {

std::uint64_t fnv1a(std::string_view s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

// The first `depth` components ("a/b/" for depth 2), or npos when fewer.
std::size_t components_end(std::string_view s, unsigned depth) {
    if (depth == 0) return std::string_view::npos;
    std::size_t pos = 0;
    for (unsigned i = 0; i < depth; ++i) {
        auto slash = s.find('/', pos);
        if (slash == std::string_view::npos) return std::string_view::npos;
        pos = slash + 1;
    }
    return pos;
}

bool parse_number(std::string_view s, unsigned& out) {
    if (s.empty() || s.size() > 6) return false;
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

unsigned shard_of(std::string_view rel, unsigned depth, unsigned count) {
    if (count <= 1) return 0;
    const auto end = components_end(rel, depth);
    return static_cast<unsigned>(fnv1a(end == std::string_view::npos ? rel : rel.substr(0, end)) % count);
}

bool shard_may_own(std::string_view rel_prefix, unsigned depth, const shard_spec& s) {
    if (!s.active()) return true;
    const auto end = components_end(rel_prefix, depth);
    if (end == std::string_view::npos) return true;  // above the deciding level: keys of every shard
    return fnv1a(rel_prefix.substr(0, end)) % s.count == s.index;
}

bool parse_shard(std::string_view text, std::string_view k8s, std::string_view batch, shard_spec& out,
                 std::string& error) {
    const auto slash = text.find('/');
    unsigned count = 0, index = 0;
    if (slash == std::string_view::npos || !parse_number(text.substr(slash + 1), count) || count < 1 ||
        count > 10000) {
        error = "--shard must be I/N (0 <= I < N <= 10000) or auto/N, not '" +
                std::string(text.substr(0, 40)) + "'";
        return false;
    }
    std::string_view i = text.substr(0, slash);
    if (i == "auto") {
        i = !k8s.empty() ? k8s : batch;
        if (i.empty()) {
            error =
                "--shard auto/N: neither JOB_COMPLETION_INDEX (Kubernetes Indexed Job) nor "
                "AWS_BATCH_JOB_ARRAY_INDEX (AWS Batch array job) is set; give the index: --shard I/N";
            return false;
        }
    }
    if (!parse_number(i, index) || index >= count) {
        error = "--shard " + std::string(text.substr(0, 40)) + ": the index '" +
                std::string(i.substr(0, 20)) + "' is not a number from 0 to " + std::to_string(count - 1);
        return false;
    }
    out = {index, count};
    return true;
}

}  // namespace s3merge::engine
