// STS and EC2 Query API calls through s3::client::execute(): resolve the
// service target (pure) -> build (pure) -> execute (signs for the service,
// retries 5xx/429) -> parse (pure), plus the retry of 4xx throttling that
// execute() does not see.
#include "s3merge/cloudtrail/discovery.hpp"

namespace s3merge::cloudtrail {

namespace asio = boost::asio;

namespace {

template <class Build, class Parse>
asio::awaitable<std::error_code> query_call(s3::client& c, std::string_view service, std::string_view op,
                                            const std::string& endpoint_url, Build build, Parse parse,
                                            diagnostics& diag, std::string_view region_override = {}) {
    const s3::client_config& cfg = c.config();
    unsigned attempts = 0;
    for (int round = 1;; ++round) {
        diag.clear();
        diag.operation = std::string(op);
        const std::string region = !region_override.empty() ? std::string(region_override)
                                   : service == "sts" && !cfg.sts_region.empty() ? cfg.sts_region
                                                                                 : cfg.region;
        diag.region = region.empty() ? std::string("us-east-1") : region;
        s3::target t;
        if (auto ec = resolve_query_target(service, endpoint_url, region, t, diag)) co_return ec;
        http_request req = build(t);
        http_response resp;
        std::error_code ec = co_await c.execute(t, std::move(req), resp, diag, service);
        attempts += diag.attempts;
        diag.attempts = attempts;
        if (ec) co_return ec;
        ec = parse(resp, diag);
        // execute() already retried 5xx and 429 answers. STS reports
        // throttling as "400 Throttling" and a stale signature as 4xx: those
        // are retried here, within the same attempt budget.
        const bool seen_by_execute = resp.status >= 500 || resp.status == 429;
        if (!ec || seen_by_execute || !cfg.retry.should_retry(ec, static_cast<int>(attempts))) co_return ec;
        co_await c.before_retry(ec, round);
    }
}

}  // namespace

asio::awaitable<std::error_code> get_caller_identity(s3::client& c, std::string endpoint_url,
                                                     caller_identity& out, diagnostics& diag) {
    auto build = [](const s3::target& t) { return build_get_caller_identity(t); };
    auto parse = [&out](const http_response& r, diagnostics& d) {
        return parse_get_caller_identity(r, out, d);
    };
    co_return co_await query_call(c, "sts", "GetCallerIdentity", endpoint_url, build, parse, diag);
}

asio::awaitable<std::error_code> describe_regions(s3::client& c, std::string endpoint_url, bool all_regions,
                                                  std::vector<region_info>& out, diagnostics& diag) {
    auto build = [all_regions](const s3::target& t) { return build_describe_regions(t, all_regions); };
    auto parse = [&out](const http_response& r, diagnostics& d) { return parse_describe_regions(r, out, d); };
    co_return co_await query_call(c, "ec2", "DescribeRegions", endpoint_url, build, parse, diag);
}

asio::awaitable<std::error_code> describe_trails(s3::client& c, std::string endpoint_url, std::string region,
                                                 std::vector<trail>& out, diagnostics& diag) {
    auto build = [](const s3::target& t) { return build_describe_trails(t); };
    auto parse = [&out](const http_response& r, diagnostics& d) { return parse_describe_trails(r, out, d); };
    co_return co_await query_call(c, "cloudtrail", "DescribeTrails", endpoint_url, build, parse, diag,
                                  region);
}

asio::awaitable<std::error_code> list_public_keys(s3::client& c, std::string endpoint_url, std::string region,
                                                  std::vector<public_key>& out, diagnostics& diag) {
    out.clear();
    std::string token;
    for (int page = 0; page < 100; ++page) {
        std::vector<public_key> keys;
        std::string next;
        auto build = [&token](const s3::target& t) { return build_list_public_keys(t, token); };
        auto parse = [&](const http_response& r, diagnostics& d) -> std::error_code {
            if (auto ec = check_json_response(r, d)) return ec;
            return parse_public_keys(r.body, keys, d, &next);
        };
        if (auto ec = co_await query_call(c, "cloudtrail", "ListPublicKeys", endpoint_url, build, parse, diag,
                                          region))
            co_return ec;
        out.insert(out.end(), keys.begin(), keys.end());
        if (next.empty() || next == token) break;
        token = next;
    }
    co_return std::error_code{};
}

}  // namespace s3merge::cloudtrail
