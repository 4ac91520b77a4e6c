// S3 Control calls. See include/s3merge/batch/calls.hpp.
#include "s3merge/batch/calls.hpp"

namespace s3merge::batch {

namespace asio = boost::asio;

namespace {

template <class Build, class Parse>
asio::awaitable<std::error_code> control_call(s3::client& c, const control_endpoint& e, std::string_view op,
                                              Build build, Parse parse, diagnostics& diag) {
    const auto& cfg = c.config();
    unsigned attempts = 0;
    for (int round = 1;; ++round) {
        diag.clear();
        const std::string region = !e.region.empty() ? e.region : cfg.region;
        s3::target t;
        if (auto ec = resolve_control_target(e.endpoint_url, region, e.account, t, diag)) co_return ec;
        diag.operation = std::string(op);
        diag.region = t.region;
        http_response resp;
        std::error_code ec = co_await c.execute(t, build(t), resp, diag, "s3");
        attempts += diag.attempts;
        diag.attempts = attempts;
        if (ec) co_return ec;
        ec = parse(resp, diag);
        if (ec) {
            diag.operation = std::string(op);
            diag.region = t.region;
        }
        const bool seen_by_execute = resp.status >= 500 || resp.status == 429;
        if (!ec || seen_by_execute || !cfg.retry.should_retry(ec, static_cast<int>(attempts))) co_return ec;
        co_await c.before_retry(ec, round);
    }
}

}  // namespace

asio::awaitable<std::error_code> create_job(s3::client& c, const control_endpoint& e,
                                            const create_job_params& p, std::string& job_id,
                                            diagnostics& diag) {
    auto build = [&p](const s3::target& t) { return build_create_job(t, p); };
    auto parse = [&job_id](const http_response& r, diagnostics& d) { return parse_create_job(r, job_id, d); };
    co_return co_await control_call(c, e, "CreateJob", build, parse, diag);
}

asio::awaitable<std::error_code> describe_job(s3::client& c, const control_endpoint& e,
                                              const std::string& job_id, job_status& out, diagnostics& diag) {
    auto build = [&](const s3::target& t) { return build_describe_job(t, e.account, job_id); };
    auto parse = [&out](const http_response& r, diagnostics& d) { return parse_describe_job(r, out, d); };
    co_return co_await control_call(c, e, "DescribeJob", build, parse, diag);
}

asio::awaitable<std::error_code> update_job_status(s3::client& c, const control_endpoint& e,
                                                   const std::string& job_id, const std::string& requested,
                                                   std::string& status, diagnostics& diag) {
    auto build = [&](const s3::target& t) {
        return build_update_job_status(t, e.account, job_id, requested);
    };
    auto parse = [&status](const http_response& r, diagnostics& d) {
        return parse_update_job_status(r, status, d);
    };
    co_return co_await control_call(c, e, "UpdateJobStatus", build, parse, diag);
}

}  // namespace s3merge::batch
