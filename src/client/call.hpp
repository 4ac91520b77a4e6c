// Private: the build -> execute -> parse driver shared by the typed calls of
// s3::client (s3_client.cpp, s3_client_more.cpp).
#pragma once

#include "s3merge/client/s3_client.hpp"

namespace s3merge::s3 {

namespace asio = boost::asio;

template <class Build, class Parse>
asio::awaitable<std::error_code> client::call(std::string_view op, const std::string& bucket,
                                              std::string_view key, Build build, Parse parse,
                                              diagnostics& diag) {
    for (int redirect = 0;; ++redirect) {
        diag.clear();
        diag.operation = std::string(op);
        diag.bucket = bucket;
        diag.key = std::string(key);
        target t;
        if (auto ec = target_for(bucket, t, diag)) co_return ec;
        diag.region = t.region;
        std::error_code bec;
        http_request req = build(t, bec);
        if (bec) co_return bec;
        http_response resp;
        if (auto ec = co_await execute(t, std::move(req), resp, diag)) co_return ec;
        auto ec = parse(resp, diag);
        if (ec == errc::wrong_region && redirect == 0) {
            const std::string* r = resp.find_header("x-amz-bucket-region");
            if (r && !r->empty() && *r != t.region) {
                set_bucket_region(bucket, *r);
                continue;
            }
        }
        co_return ec;
    }
}

} // namespace s3merge::s3
