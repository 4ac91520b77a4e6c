#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/retry.hpp"

using namespace s3merge;

TEST_CASE("errc converts to error_code in the s3merge category") {
    std::error_code ec = errc::throttled;
    CHECK(ec.category().name() == std::string("s3merge"));
    CHECK(ec.message() == "throttled by the server");
    CHECK(ec == errc::throttled);
    CHECK(ec != errc::server_error);
}

TEST_CASE("is_retryable: transient errors only") {
    for (auto e : {errc::throttled, errc::server_error, errc::timeout, errc::connection_closed,
                   errc::connect_failed, errc::request_time_skewed})
        CHECK_MESSAGE(is_retryable(e), make_error_code(e).message());
    for (auto e : {errc::access_denied, errc::signature_mismatch, errc::no_such_key, errc::no_such_bucket,
                   errc::invalid_object_state, errc::tls_verify_failed, errc::body_too_large,
                   errc::invalid_argument, errc::malformed_response, errc::cancelled})
        CHECK_MESSAGE(!is_retryable(e), make_error_code(e).message());
    CHECK_FALSE(is_retryable(std::error_code{}));
    CHECK_FALSE(is_retryable(std::make_error_code(std::errc::timed_out)));  // foreign category
    CHECK(is_throttle(errc::throttled));
    CHECK_FALSE(is_throttle(errc::server_error));
}

TEST_CASE("diagnostics::to_string is one line with operation, bucket, key, status, code") {
    diagnostics d;
    d.operation = "ListObjectsV2";
    d.bucket = "logs";
    d.key = "AWSLogs/";
    d.region = "eu-west-1";
    d.http_status = 403;
    d.s3_code = "SignatureDoesNotMatch";
    d.request_id = "tx0001";
    CHECK(d.to_string() ==
          "ListObjectsV2 s3://logs/AWSLogs/ (eu-west-1): HTTP 403 SignatureDoesNotMatch [request id tx0001]");
    d.message = "The request signature we calculated does not match";
    CHECK(d.to_string().find(": The request signature we calculated does not match [request id") !=
          std::string::npos);
    diagnostics t;
    t.operation = "ListObjectsV2";
    t.detail = "connect 127.0.0.1:1: Connection refused";
    CHECK(t.to_string() == "ListObjectsV2: connect 127.0.0.1:1: Connection refused");
    CHECK(t.to_string().find('\n') == std::string::npos);
}

TEST_CASE("hint_for names the fix") {
    diagnostics d;
    d.bucket = "b";
    CHECK(hint_for(errc::signature_mismatch, d).find("secret access key") != std::string::npos);
    CHECK(hint_for(errc::tls_verify_failed, d).find("--ca-bundle") != std::string::npos);
    CHECK(hint_for(errc::no_such_bucket, d).find("'b'") != std::string::npos);
    CHECK(hint_for(errc::timeout, d).empty());
}

TEST_CASE("retry_policy: attempts, full jitter bounds, exponential growth, cap") {
    retry_policy p;
    p.max_attempts = 3;
    CHECK(p.should_retry(errc::server_error, 1));
    CHECK(p.should_retry(errc::server_error, 2));
    CHECK_FALSE(p.should_retry(errc::server_error, 3));
    CHECK_FALSE(p.should_retry(errc::access_denied, 1));
    CHECK_FALSE(p.should_retry(std::error_code{}, 1));

    using ms = std::chrono::milliseconds;
    CHECK(p.delay(errc::server_error, 1, 0.0) == ms(0));
    CHECK(p.delay(errc::server_error, 1, 0.5) == ms(50));    // base 100
    CHECK(p.delay(errc::server_error, 2, 0.5) == ms(100));   // 200 * 0.5
    CHECK(p.delay(errc::server_error, 4, 0.5) == ms(400));   // 800 * 0.5
    CHECK(p.delay(errc::throttled, 1, 0.5) == ms(250));      // throttle base 500
    CHECK(p.delay(errc::server_error, 60, 0.999) <= p.cap);  // saturates, no overflow
    CHECK(p.delay(errc::server_error, 60, 0.5) == ms(10000));
    CHECK(p.delay(errc::server_error, 2, 7.0) == ms(200));  // unit clamped
}

TEST_CASE("host_health: a host is down only after a lasting streak of transport failures") {
    using namespace std::chrono_literals;
    s3merge::host_health h({15000ms, 3});
    auto t0 = s3merge::host_health::clock::time_point{} + 100s;
    CHECK_FALSE(h.down(t0));
    CHECK(h.on_failure(t0));  // starts a streak: warn once
    const auto first = h.streak_id();
    CHECK(h.in_streak(first));
    CHECK_FALSE(h.on_failure(t0 + 1s));
    CHECK_FALSE(h.on_failure(t0 + 2s));
    CHECK_FALSE(h.down(t0 + 14s));  // three failures, but not for long enough
    CHECK(h.down(t0 + 15s));
    CHECK(h.streak(t0 + 15s) == 15000ms);
    h.on_success();  // any answer ends the streak
    CHECK_FALSE(h.in_streak(first));
    CHECK_FALSE(h.down(t0 + 60s));
    CHECK(h.on_failure(t0 + 61s));  // a new streak starts, and is said again
    CHECK_FALSE(h.in_streak(first));
    CHECK(h.in_streak(h.streak_id()));
    CHECK_FALSE(h.down(t0 + 200s));  // one failure, however long ago, is not a dead host
    CHECK(s3merge::is_transport_failure(s3merge::make_error_code(s3merge::errc::timeout)));
    CHECK(s3merge::is_transport_failure(s3merge::make_error_code(s3merge::errc::connect_failed)));
    CHECK_FALSE(s3merge::is_transport_failure(s3merge::make_error_code(s3merge::errc::throttled)));
    // A connection accepted, then cut: the request's failure, not the host's.
    CHECK(s3merge::is_transport_failure(s3merge::make_error_code(s3merge::errc::connection_closed)));
    CHECK_FALSE(s3merge::is_host_unreachable(s3merge::make_error_code(s3merge::errc::connection_closed)));
    CHECK(s3merge::is_host_unreachable(s3merge::make_error_code(s3merge::errc::connect_failed)));
    CHECK(s3merge::is_host_unreachable(s3merge::make_error_code(s3merge::errc::timeout)));
    CHECK_FALSE(s3merge::is_transport_failure(s3merge::make_error_code(s3merge::errc::access_denied)));
}

TEST_CASE("diagnostics::clear leaves what diagnostics{} is, keeping no field") {
    diagnostics d;
    std::vector<std::string*> strings = {&d.operation, &d.bucket,       &d.key,        &d.region,
                                         &d.s3_code,   &d.message,      &d.request_id, &d.host_id,
                                         &d.detail,    &d.throttle_code};
    for (auto* s : strings) *s = std::string(40, 'x');  // past the small-string buffer
    d.http_status = 503;
    d.attempts = 3;
    d.throttles = 2;
    d.paced_us = 7;
    d.clear();
    for (auto* s : strings) CHECK(s->empty());
    CHECK(d.http_status == 0);
    CHECK(d.attempts == 0);
    CHECK(d.throttles == 0);
    CHECK(d.paced_us == 0);
    CHECK(d.to_string() == diagnostics{}.to_string());
    // Every member is one of those above: a member added to diagnostics
    // must be added to clear() (and here).
    static_assert(
        sizeof(diagnostics) == 10 * sizeof(std::string) + 4 * sizeof(unsigned) + sizeof(std::uint64_t),
        "a member was added to diagnostics: clear() must reset it");
}
