// S3 Control calls through s3::client::execute(): resolve the target
// (pure) -> build (pure) -> execute (signs for "s3", retries 5xx/429) ->
// parse (pure), plus the retry of 4xx throttling execute() does not see.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "s3merge/batch/control.hpp"
#include "s3merge/client/s3_client.hpp"

namespace s3merge::batch {

struct control_endpoint {
    std::string endpoint_url;  // "" = AWS's
    std::string region;
    std::string account;
};

boost::asio::awaitable<std::error_code> create_job(s3::client& c, const control_endpoint& e,
                                                   const create_job_params& p, std::string& job_id,
                                                   diagnostics& diag);
boost::asio::awaitable<std::error_code> describe_job(s3::client& c, const control_endpoint& e,
                                                     const std::string& job_id, job_status& out,
                                                     diagnostics& diag);
boost::asio::awaitable<std::error_code> update_job_status(s3::client& c, const control_endpoint& e,
                                                          const std::string& job_id,
                                                          const std::string& requested, std::string& status,
                                                          diagnostics& diag);

}  // namespace s3merge::batch
