// Private: client::call<Op>, the one build -> execute -> parse driver of
// every typed call of s3::client (s3_client.cpp, s3_client_more.cpp).
#pragma once

#include <concepts>

#include "s3merge/client/s3_client.hpp"

namespace s3merge::s3 {

namespace asio = boost::asio;

template <class Op>
asio::awaitable<std::error_code> client::call(const std::string& bucket, const typename Op::params& p,
                                              typename Op::result& out, diagnostics& diag) {
    constexpr std::string_view op = Op::name;
    const std::string_view key = Op::key(p);
    const auto started = std::chrono::steady_clock::now();
    int redirects = 0;
    unsigned sent = 0;          // requests of this call, over every loop below
    unsigned throttled = 0;     // throttling answers among them
    std::uint64_t paced = 0;    // µs waited for the request cap
    std::string throttle_code;  // of the last throttling answer
    // What the call was goes into diag when it fails, not on every request
    // (that would be a copy of the key per request). A parser may have named
    // a more precise key already.
    auto failed = [&](std::error_code ec, const target* t) {
        diag.attempts = sent;
        diag.throttles = throttled;
        diag.paced_us = paced;
        if (throttled) diag.throttle_code = throttle_code;
        record_call(op, std::chrono::steady_clock::now() - started, ec, diag);
        if (ec) {
            diag.operation = std::string(op);
            diag.bucket = bucket;
            if (diag.key.empty()) diag.key = std::string(key);
            if (t) diag.region = t->region;
        }
        return ec;
    };
    for (int in_body_retries = 0;;) {
        diag.clear();
        diag.attempts = sent;
        std::shared_ptr<const target> tp;
        if (auto ec = shared_target_for(bucket, tp, diag)) co_return failed(ec, nullptr);
        const target& t = *tp;
        // An operation that writes its request straight from its parameters
        // (Op::write_signed) has it built only where that is refused; its
        // build cannot fail.
        constexpr bool writes_itself =
            requires(const target& tt, const typename Op::params& pp, sigv4::signer& s, const credentials& c,
                     const sigv4::signing_params& sp, std::string& out) {
            { Op::write_signed(tt, pp, s, c, sp, std::string_view(), out) } -> std::same_as<bool>;
        };
        http_request req;
        if constexpr (!writes_itself) {
            std::error_code bec;
            req = Op::build(t, p, bec, diag);
            if (bec) co_return failed(bec, &t);
        }
        // A reused response object, given back when the call is done.
        struct response_lease {
            client& owner;
            std::unique_ptr<http_response> r;
            ~response_lease() { owner.return_response(std::move(r)); }
        } lease{*this, take_response()};
        http_response& resp = *lease.r;
        // Built again from the same parameters for a re-send or a retry:
        // execute lets the request go once it is written.
        struct rebuild_from_params final : request_source {
            const target& t;
            const typename Op::params& p;
            rebuild_from_params(const target& tt, const typename Op::params& pp) : t(tt), p(pp) {}
            http_request rebuild() override {
                std::error_code ec;
                diagnostics unused;
                return Op::build(t, p, ec, unused);  // built once already, or cannot fail: no error
            }
            bool write_signed(sigv4::signer& s, const credentials& c, const sigv4::signing_params& sp,
                              std::string_view ua, std::string& out) override {
                if constexpr (writes_itself)
                    return Op::write_signed(t, p, s, c, sp, ua, out);
                else
                    return false;
            }
        } again{t, p};
        again.deferred = writes_itself;
        auto xec = co_await execute(t, std::move(req), resp, diag, "s3", op, key, &again);
        sent += diag.attempts;
        throttled += diag.throttles;
        paced += diag.paced_us;
        if (diag.throttles) throttle_code = diag.throttle_code;
        diag.attempts = sent;
        if (xec) co_return failed(xec, &t);
        auto ec = Op::parse(resp, out, diag);
        if (ec == errc::wrong_region && redirects++ == 0) {
            const std::string* r = resp.find_header("x-amz-bucket-region");
            if (r && !r->empty() && *r != t.region) {
                set_bucket_region(bucket, *r);
                continue;
            }
        }
        // CopyObject, UploadPartCopy and CompleteMultipartUpload can fail
        // after "200 OK" was sent: the error is in the body. execute() only
        // saw a 200, so the retry decision for those is made here.
        if (ec && resp.status / 100 == 2 && ++in_body_retries < cfg_.retry.max_attempts &&
            cfg_.retry.should_retry(ec, in_body_retries)) {
            if (is_throttle(ec)) {
                ++throttled;
                throttle_code = diag.s3_code.empty() ? std::string("503") : diag.s3_code;
            }
            co_await before_retry(ec, in_body_retries, op, key);
            continue;
        }
        co_return failed(ec, &t);
    }
}

}  // namespace s3merge::s3
