// The multipart part planner: pure arithmetic on S3's limits.
#include <algorithm>

#include "s3merge/s3/multipart.hpp"

namespace s3merge::s3 {

namespace {
constexpr std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
    return a / b + (a % b != 0 ? 1 : 0);
}
}  // namespace

std::uint64_t effective_part_size(std::uint64_t object_size, std::uint64_t requested) {
    // A 0-byte object has no byte range to copy ("bytes=0--1" is not a
    // range); CopyObject handles it. Beyond 10,000 parts of 5 GiB nothing fits.
    if (object_size == 0 || object_size > max_multipart_object_size) return 0;
    std::uint64_t size = std::clamp(requested, min_part_size, max_part_size);
    if (ceil_div(object_size, size) > static_cast<std::uint64_t>(max_part_count)) {
        // Grow to the smallest size that fits in 10,000 parts, rounded up to
        // a whole MiB so part sizes stay round.
        // It cannot pass 5 GiB: object_size <= 10,000 * 5 GiB and 5 GiB is a
        // whole number of MiB.
        size = ceil_div(ceil_div(object_size, max_part_count), one_mib) * one_mib;
    }
    return size;
}

std::vector<part_range> plan_parts(std::uint64_t object_size, std::uint64_t part_size) {
    std::vector<part_range> parts;
    const std::uint64_t size = effective_part_size(object_size, part_size);
    if (size == 0) return parts;
    const std::uint64_t count = ceil_div(object_size, size);
    parts.reserve(count);
    for (std::uint64_t i = 0; i < count; ++i) {
        const std::uint64_t first = i * size;
        const std::uint64_t last = std::min(first + size, object_size) - 1;
        parts.push_back({static_cast<int>(i + 1), first, last});
    }
    return parts;
}

std::uint64_t source_layout_part_size(std::uint64_t object_size, std::string_view etag,
                                      std::uint64_t first_part_size, std::uint64_t parts_count) {
    auto dash = etag.rfind('-');
    if (dash == std::string_view::npos || parts_count == 0 || first_part_size == 0) return 0;
    std::uint64_t n = 0;
    for (char c : etag.substr(dash + 1)) {
        if (c < '0' || c > '9' || n > static_cast<std::uint64_t>(max_part_count)) return 0;
        n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n != parts_count || n > static_cast<std::uint64_t>(max_part_count)) return 0;
    // Uniform parts and a last one of 1..first_part_size bytes; within S3's
    // part limits so that plan_parts keeps the size as it is.
    if (first_part_size < min_part_size || first_part_size > max_part_size) return 0;
    if (ceil_div(object_size, first_part_size) != n) return 0;
    return first_part_size;
}

}  // namespace s3merge::s3
