#include "cli/fd_budget.hpp"

#include <algorithm>

namespace s3merge::cli {

fd_budget plan_fd_budget(std::uint64_t wanted, std::uint64_t soft, std::uint64_t hard,
                         std::string_view wanted_from) {
    fd_budget b;
    const std::uint64_t need = wanted + fd_reserve;
    const std::uint64_t limit = std::max(soft, std::min(need, hard));
    if (limit > soft) b.raise_soft_to = limit;
    const std::uint64_t room = limit > fd_reserve ? limit - fd_reserve : 0;
    b.connections = std::min(wanted, std::max(min_connections, room));
    if (b.connections < wanted) {
        b.note = "s3merge: note: " + std::to_string(b.connections) + " connections per host, not " +
                 std::to_string(wanted) + ": the open-file limit is " + std::to_string(limit) +
                 " (raise it with `ulimit -n " + std::to_string(need) + "`, or lower " +
                 std::string(wanted_from) + "); copies beyond the connections wait for one";
    }
    return b;
}

}  // namespace s3merge::cli
