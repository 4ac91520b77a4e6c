// How many connections a host's pool may open (pure): as many as copies in
// flight, within the process's descriptor limit.
//
// A copy that waits for a connection is not in flight: with --concurrency
// 1024 and 512 connections, half the copies only wait (and hold their
// memory), and the copy rate is capped at 512 / latency. So the pool is as
// large as --concurrency, and the soft RLIMIT_NOFILE (1,024 on many
// systems) is raised toward the hard one to make room. When even the hard
// limit is too low, the pool is what fits and the caller says so.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace s3merge::cli {

// Descriptors kept for everything else: the listing connections to other
// hosts (sources in other regions), the journal, the report, the metrics
// endpoint, name resolution.
inline constexpr std::uint64_t fd_reserve = 256;
// The fewest connections a pool is given, whatever the limit says.
inline constexpr std::uint64_t min_connections = 8;

struct fd_budget {
    std::uint64_t connections = 0;    // per host
    std::uint64_t raise_soft_to = 0;  // 0: leave the soft limit as it is
    // Non-empty when the pool is smaller than asked: one line, with the fix.
    std::string note;
};

// `wanted` connections per host, as the flag `wanted_from` asked
// (--concurrency, or --max-connections-per-host: the note names it as the
// other fix); `soft` and `hard` are the current RLIMIT_NOFILE limits
// (RLIM_INFINITY as UINT64_MAX).
fd_budget plan_fd_budget(std::uint64_t wanted, std::uint64_t soft, std::uint64_t hard,
                         std::string_view wanted_from = "--concurrency");

}  // namespace s3merge::cli
