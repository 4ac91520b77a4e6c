// `s3merge batch` and `s3merge cloudtrail batch` share these: the options of
// a Batch Operations job and the plan / submit / finish-move steps, given the
// sources and where each goes (cmd_batch.cpp).
#pragma once

#include <boost/asio/awaitable.hpp>

#include "cli/common.hpp"
#include "s3merge/batch/calls.hpp"
#include "s3merge/engine/key_map.hpp"

namespace s3merge::cli {

struct batch_args {
    std::string sub;
    std::vector<engine::location> sources;
    std::vector<std::string> dest_prefixes;  // per source; empty: dest.prefix for all
    engine::location dest;
    batch::control_endpoint control;
    std::string sts_endpoint;
    std::uint64_t max_object_size = 5ull << 30;
};

// The job options (manifest and report places, role, priority, --yes, size
// limit, S3 Control endpoint, job ids); with_account: also --account.
std::vector<option_spec> batch_option_specs(bool with_account);
// Fills the size limit and the S3 Control endpoint from args (exit code, or -1).
int apply_batch_options(const std::string& name, const parsed_args& args, batch_args& b);

boost::asio::awaitable<int> batch_plan(s3::client& client, const parsed_args& args, batch_args& b,
                                       const std::string& name);
boost::asio::awaitable<int> batch_submit(s3::client& client, const parsed_args& args, batch_args& b,
                                         const std::string& name);
boost::asio::awaitable<int> batch_finish_move(s3::client& client, const parsed_args& args, batch_args& b,
                                              const std::string& name);

}  // namespace s3merge::cli
