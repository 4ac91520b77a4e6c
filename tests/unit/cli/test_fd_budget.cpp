#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include "cli/fd_budget.hpp"

using s3merge::cli::fd_reserve;
using s3merge::cli::min_connections;
using s3merge::cli::plan_fd_budget;

TEST_CASE("fd budget: the pool is as large as asked when the soft limit has room") {
    auto b = plan_fd_budget(1024, 20000, 20000);
    CHECK(b.connections == 1024);
    CHECK(b.raise_soft_to == 0);
    CHECK(b.note.empty());
}

TEST_CASE("fd budget: a low soft limit is raised toward the hard one, only as far as needed") {
    auto b = plan_fd_budget(1024, 1024, 1048576);
    CHECK(b.connections == 1024);
    CHECK(b.raise_soft_to == 1024 + fd_reserve);
    CHECK(b.note.empty());
    auto inf = plan_fd_budget(4000, 1024, std::numeric_limits<std::uint64_t>::max());
    CHECK(inf.connections == 4000);
    CHECK(inf.raise_soft_to == 4000 + fd_reserve);
}

TEST_CASE("fd budget: a hard limit too low gives the pool what fits, and says how to fix it") {
    auto b = plan_fd_budget(1024, 512, 1024);
    CHECK(b.raise_soft_to == 1024);
    CHECK(b.connections == 1024 - fd_reserve);
    CHECK(b.note.find("768 connections per host, not 1024") != std::string::npos);
    CHECK(b.note.find("ulimit -n 1280") != std::string::npos);
    CHECK(b.note.find("or lower --concurrency)") != std::string::npos);
    // Asked for by --max-connections-per-host: that is the flag to lower.
    auto per_host = plan_fd_budget(1024, 512, 1024, "--max-connections-per-host");
    CHECK(per_host.note.find("or lower --max-connections-per-host)") != std::string::npos);
    CHECK(per_host.note.find("--concurrency") == std::string::npos);
    // Already at the hard limit: nothing to raise.
    auto at = plan_fd_budget(1024, 1024, 1024);
    CHECK(at.raise_soft_to == 0);
    CHECK(at.connections == 1024 - fd_reserve);
}

TEST_CASE("fd budget: never fewer than a few connections, never more than asked") {
    auto tiny = plan_fd_budget(256, 100, 100);
    CHECK(tiny.connections == min_connections);
    CHECK_FALSE(tiny.note.empty());
    CHECK(plan_fd_budget(1, 100, 100).connections == 1);
    for (std::uint64_t wanted : {1u, 8u, 64u, 256u, 1024u, 10000u})
        for (std::uint64_t soft : {64u, 1024u, 4096u, 65536u})
            for (std::uint64_t hard : {soft, soft * 2, soft * 16}) {
                auto b = plan_fd_budget(wanted, soft, hard);
                CHECK(b.connections <= wanted);
                CHECK(b.connections >= std::min(wanted, min_connections));
                CHECK(b.raise_soft_to <= hard);
                CHECK((b.raise_soft_to == 0 || b.raise_soft_to > soft));
                const std::uint64_t limit = b.raise_soft_to ? b.raise_soft_to : soft;
                // Within the limit with the reserve kept, unless the floor forced it.
                if (b.connections > min_connections) CHECK(b.connections + fd_reserve <= limit);
                CHECK(b.note.empty() == (b.connections >= wanted));
            }
}
