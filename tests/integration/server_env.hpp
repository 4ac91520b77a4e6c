// Shared by the C++ integration tests: the local S3 server's environment
// (printed by `scripts/s3-server env`), a client configuration for it, unique
// bucket names, and running a coroutine to completion. Without the
// environment the tests FAIL (they are not skipped).
#pragma once

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <random>
#include <string>
#include <string_view>

#include "s3merge/client/s3_client.hpp"

namespace s3merge::test {

inline std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

inline bool have_server() {
    bool ok = !env("S3MERGE_TEST_ENDPOINT").empty() && !env("AWS_ACCESS_KEY_ID").empty();
    if (!ok)
        FAIL(
            "no S3 test server: run `scripts/s3-server start && eval \"$(scripts/s3-server env)\"` "
            "or scripts/run-tests");
    return ok;
}

inline s3::client_config config_for(bool tls) {
    s3::client_config cfg;
    cfg.endpoint.endpoint_url = tls ? env("S3MERGE_TEST_ENDPOINT_HTTPS") : env("S3MERGE_TEST_ENDPOINT");
    cfg.region = "us-east-1";
    cfg.creds.access_key_id = env("AWS_ACCESS_KEY_ID");
    cfg.creds.secret_access_key = env("AWS_SECRET_ACCESS_KEY");
    cfg.http.ca_bundle = tls ? env("S3MERGE_TEST_CA") : "";
    cfg.retry.max_attempts = 3;
    return cfg;
}

inline std::string unique_bucket(std::string_view stem) {
    static std::mt19937_64 rng(std::random_device{}());
    static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string s(stem);
    s += '-';
    for (int i = 0; i < 10; ++i) s += digits[rng() % 36];
    return s;
}

// Runs f(client) to completion on a fresh io_context and client.
template <class F>
void run_async(const s3::client_config& cfg, F f) {
    boost::asio::io_context io;
    s3::client c(io.get_executor(), cfg);
    diagnostics d;
    REQUIRE_MESSAGE(!c.init(d), d.detail);
    bool done = false;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<void> {
            co_await f(c);
            done = true;
        },
        boost::asio::detached);
    io.run();
    REQUIRE(done);
}

}  // namespace s3merge::test
