#include "s3merge/client/s3_client.hpp"
#include "client/call.hpp"
#include "s3merge/http/wire.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace s3merge::s3 {

namespace asio = boost::asio;

client::client(asio::any_io_executor ex, client_config cfg)
    : ex_(ex),
      cfg_(std::move(cfg)),
      http_(std::make_unique<http::client>(ex, cfg_.http)),
      rng_(std::random_device{}()) {
    if (cfg_.max_requests_per_second > 0)
        request_cap_.emplace(cfg_.max_requests_per_second, std::max(1.0, cfg_.max_requests_per_second / 10));
    if (cfg_.credential_plan && cfg_.credential_plan->refreshable()) {
        provider_options po = cfg_.provider;
        po.http = cfg_.http;
        provider_ =
            std::make_unique<credentials_provider>(ex, *cfg_.credential_plan, cfg_.creds, std::move(po));
    }
}

client::~client() = default;

std::error_code client::init(diagnostics& diag) {
    return http_->init(diag);
}

void client::set_bucket_region(std::string_view bucket, std::string region) {
    targets_.clear();
    if (regions_.size() > 4096) regions_.clear();  // bounded
    regions_[std::string(bucket)] = std::move(region);
}

std::string client::bucket_region(std::string_view bucket) const {
    auto it = regions_.find(bucket);
    return it != regions_.end() ? it->second : cfg_.region;
}

std::error_code client::target_for(std::string_view bucket, target& out, diagnostics& diag) {
    return resolve_target(cfg_.endpoint, bucket_region(bucket), bucket, out, diag);
}

std::error_code client::shared_target_for(std::string_view bucket, std::shared_ptr<const target>& out,
                                          diagnostics& diag) {
    for (const auto& [b, t] : targets_) {
        if (b == bucket) {
            out = t;
            return {};
        }
    }
    auto t = std::make_shared<target>();
    if (auto ec = target_for(bucket, *t, diag)) return ec;
    if (targets_.size() >= 64) targets_.clear();
    targets_.emplace_back(std::string(bucket), t);
    out = std::move(t);
    return {};
}

std::unique_ptr<http_response> client::take_response() {
    if (spare_responses_.empty()) return std::make_unique<http_response>();
    auto r = std::move(spare_responses_.back());
    spare_responses_.pop_back();
    return r;
}

void client::return_response(std::unique_ptr<http_response> r) {
    constexpr std::size_t max_spare = 1024;
    constexpr std::size_t max_kept_body = 64 * 1024;  // a listing page's body is not kept
    if (!r || spare_responses_.size() >= max_spare) return;
    if (r->body.capacity() > max_kept_body) std::string().swap(r->body);
    spare_responses_.push_back(std::move(r));
}

asio::awaitable<void> client::backoff(std::error_code ec, int attempt) {
    if (cancelled_) co_return;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    asio::steady_timer timer(ex_);
    timer.expires_after(cfg_.retry.delay(ec, attempt, unit(rng_)));
    sleeping_.push_back(&timer);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    sleeping_.erase(std::find(sleeping_.begin(), sleeping_.end(), &timer));
}

void client::cancel_retries() {
    cancelled_ = true;
    for (auto* t : sleeping_) t->cancel();
}

void client::abort_in_flight() {
    http_->abort_in_flight();
}

asio::awaitable<void> client::before_retry(std::error_code ec, int attempt, std::string_view operation,
                                           std::string_view key) {
    ++stats_.retries;
    if (is_throttle(ec)) {
        ++stats_.throttles;
        if (cfg_.on_throttle) cfg_.on_throttle(operation, key);
    }
    co_await backoff(ec, attempt);
}

namespace {

// Signs a request and writes it for the wire when the HTTP client has a
// connection ready for it (and again, with a new date, for a re-send),
// into the client's one buffer, with the attempt's `keys`. A request
// write_signed_request does not take is signed in place and serialized by
// the HTTP client. With a request_source, a request written is let go at
// once (`released`) and built again (restore) when it is needed again.
struct signing_writer final : http::wire_writer {
    http_request& req;
    sigv4::signer& signer;
    sigv4::signing_params& sp;
    std::string_view user_agent;
    std::string& buffer;
    request_source* again;
    const credentials* keys = nullptr;
    bool released = false;

    signing_writer(http_request& r, sigv4::signer& s, sigv4::signing_params& p, std::string_view ua,
                   std::string& b, request_source* a)
        : req(r), signer(s), sp(p), user_agent(ua), buffer(b), again(a), released(a && a->deferred) {}
    void restore() {
        if (!released) return;
        req = again->rebuild();
        released = false;
    }
    std::string_view write() override {
        sp.now = std::chrono::system_clock::now();
        // Straight from the call's parameters, when the source can: the
        // request is not built at all.
        if (released && again->write_signed(signer, *keys, sp, user_agent, buffer)) return buffer;
        restore();
        if (http::write_signed_request(req, signer, *keys, sp, user_agent, buffer)) {
            if (again) {
                req = http_request{};
                released = true;
            }
            return buffer;
        }
        signer.sign(req, *keys, sp, nullptr);
        return {};
    }
};

}  // namespace

client::host_state& client::host_for(const target& t) {
    // A job sends nearly every request to the host of the one before.
    if (last_host_ && last_host_->origin.port == t.port && last_host_->origin.tls == t.tls() &&
        last_host_->origin.host == t.host)
        return *last_host_;
    std::string host_port = t.host + ":" + std::to_string(t.port);
    std::string key = (t.tls() ? "https://" : "http://") + host_port;
    auto hit = hosts_.find(key);
    if (hit == hosts_.end()) {
        host_state h{host_health(cfg_.health), {}, {}, false, {}, {}, http::origin{t.tls(), t.host, t.port}};
        h.stats.host = std::move(host_port);
        hit = hosts_.emplace(std::move(key), std::move(h)).first;
    }
    last_host_ = &hit->second;
    return hit->second;
}

asio::awaitable<std::error_code> client::execute(const target& t, http_request&& req, http_response& resp,
                                                 diagnostics& diag, std::string_view service,
                                                 std::string_view operation, std::string_view key,
                                                 request_source* again) {
    sigv4::signing_params sp;
    sp.region = t.region;
    sp.service = std::string(service);
    sp.add_content_sha256_header = service == "s3";
    host_state& host = host_for(t);  // map nodes stay put across suspensions
    const http::origin& o = host.origin;
    const std::string& host_key = host.stats.host;
    auto host_down = [&](std::error_code ec) {
        auto now = host_health::clock::now();
        diag.operation = "endpoint";
        diag.detail = host_key + " has not answered for " +
                      std::to_string(host.health.streak(now).count() / 1000) + " s (" +
                      std::to_string(host.health.failures()) +
                      " failures in a row; last: " + host.last_failure +
                      "): stopping; re-run the same command to resume once it answers";
        if (!host.announced) {
            host.announced = true;
            if (cfg_.on_host_down) cfg_.on_host_down(ec, diag);
        }
        return ec;
    };
    // Signed and written for the wire in one pass where the request allows
    // (http::write_signed_request: the same bytes), by the HTTP client when
    // a connection is ready for it, into the one buffer every request of
    // this client is written in; otherwise, and with --debug (which shows
    // the canonical request), signed in place below and serialized by the
    // HTTP client.
    signing_writer writer{req, signer_, sp, cfg_.http.user_agent, wire_, again};
    // Asked before req may be let go; a request not built is never a HEAD.
    const bool head_request = !writer.released && req.method == "HEAD";
    std::uint64_t my_streak = 0;  // the host's failure streak this request joined
    int expired_retries = 0;      // sent again with renewed keys
    for (int attempt = 1;; ++attempt) {
        if (cancelled_) {
            diag.detail = "stopped before it was sent";
            co_return make_error_code(errc::cancelled);
        }
        if (host.health.down(host_health::clock::now())) co_return host_down(host.last_ec);
        // A retry: the request that was let go, built again, before the HTTP
        // client reads it (its body sink, HEAD) and for --debug. One that
        // writes itself (request_source::deferred) is built only if its
        // write is refused.
        if (!again || !again->deferred || cfg_.debug) writer.restore();
        // Temporary credentials: the provider's current keys (renewed first
        // when due; nothing is awaited while they are fresh).
        const credentials* keys = &cfg_.creds;
        credentials renewed;
        if (provider_) {
            keys = provider_->fresh();
            if (!keys) {
                if (auto cec = co_await provider_->current(renewed, diag)) co_return cec;
                keys = &renewed;
            }
        }
        const std::string signed_with = provider_ ? keys->access_key_id : std::string();
        writer.keys = keys;
        if (cfg_.debug) {
            // Re-signed in place per attempt with a fresh date: the signer
            // replaces its own headers. Its debug output already hides the
            // session token.
            sp.now = std::chrono::system_clock::now();
            sigv4::signing_debug dbg;
            signer_.sign(req, *keys, sp, &dbg);
            cfg_.debug("--- canonical request (" + std::string(req.method) + " " + t.host_header + ") ---\n" +
                       dbg.canonical_request + "\n--- string to sign ---\n" + dbg.string_to_sign + "\n---");
        }
        if (request_cap_) diag.paced_us += co_await wait_for_turn(ex_, *request_cap_, 1.0);
        ++stats_.requests;
        ++host.stats.requests;
        diag.attempts = static_cast<unsigned>(attempt);
        // `resp` may be a reused one: what is left of an earlier answer must
        // not pass for this one's (the HTTP layer replaces the headers).
        resp.status = 0;
        resp.body.clear();
        std::string saved_detail = diag.detail;
        auto ec = co_await http_->send(o, req, resp, diag, cfg_.debug ? nullptr : &writer);
        if (ec && is_transport_failure(ec)) ++host.stats.transport_errors;
        if (is_host_unreachable(ec)) {
            auto now = host_health::clock::now();
            host.last_failure = diag.detail.empty() ? ec.message() : diag.detail;
            host.last_ec = ec;
            // One line per streak, and at most one a window: a flapping host
            // is not a wall of warnings.
            if (host.health.on_failure(now) && cfg_.warn && !cancelled_ &&
                (host.warned == host_health::clock::time_point{} ||
                 now - host.warned >= cfg_.health.window)) {
                host.warned = now;
                cfg_.warn("s3merge: warning: " + host_key + ": " + host.last_failure + " (" +
                          (writer.released ? std::string(operation) + " " + std::string(key)
                                           : req.method + " " + req.path) +
                          "); retrying — the job stops if " + host_key + " does not answer for " +
                          std::to_string(cfg_.health.window.count() / 1000) + " s");
            }
            if (host.health.down(now)) co_return host_down(ec);
            if (!host.health.in_streak(my_streak)) my_streak = host.health.streak_id();
        } else if (!ec || !is_transport_failure(ec)) {
            host.health.on_success();  // an answer, even an error one: the host is there
        }
        if (cancelled_ && ec) {
            diag.detail = "stopped: " + (diag.detail.empty() ? ec.message() : diag.detail);
            co_return make_error_code(errc::cancelled);
        }
        if (!ec && provider_ && (resp.status == 400 || resp.status == 403) && expired_retries < 2) {
            // Keys that expired (or a session the server forgot): renewed,
            // and the request sent again; not a failure of the request.
            diagnostics tmp;
            if (check_response(resp, tmp) == errc::expired_token) {
                ++expired_retries;
                provider_->expired(signed_with);
                continue;
            }
            // HEAD answers carry no error code: a bare 400 to keys that are
            // not new may be an expired session. Renewed and sent once more.
            if (head_request && resp.status == 400 && resp.body.empty() && expired_retries == 0 &&
                provider_->maybe_expired(signed_with)) {
                ++expired_retries;
                continue;
            }
        }
        if (!ec && (resp.status >= 500 || resp.status == 429)) {
            // Classify server-side failures so the policy can decide; the
            // typed parser re-reads the body for the final error.
            diagnostics tmp = diag;
            ec = check_response(resp, tmp);
            if (is_throttle(ec)) {
                ++diag.throttles;
                ++host.stats.throttles;
                if (!tmp.s3_code.empty())
                    diag.throttle_code = tmp.s3_code;
                else
                    diag.throttle_code = resp.status == 429 ? "429" : "503";
            }
            if (!is_retryable(ec)) co_return std::error_code{};
        }
        if (!ec) co_return std::error_code{};
        // While the host has not answered anything since this request's first
        // transport failure, the request waits for the host's verdict (it
        // answers, or it is down after the health window) rather than failing
        // alone after max_attempts.
        bool host_pending = is_host_unreachable(ec) && is_retryable(ec) && host.health.in_streak(my_streak);
        if (!host_pending && !cfg_.retry.should_retry(ec, attempt)) {
            // A 5xx that ran out of attempts is still a response to parse.
            co_return resp.status ? std::error_code{} : ec;
        }
        ++host.stats.retries;
        co_await before_retry(ec, attempt, operation, key);
        diag.detail = saved_detail;
    }
}

asio::awaitable<std::error_code> client::list_objects_v2(std::string bucket, list_objects_v2_params p,
                                                         list_objects_v2_result& out, diagnostics& diag) {
    co_return co_await call<op::list_objects_v2>(bucket, p, out, diag);
}

std::vector<engine::host_stats> client::host_telemetry() const {
    std::vector<engine::host_stats> out;
    for (const auto& [key, h] : hosts_) {
        out.push_back(h.stats);
        out.back().connections_opened = http_->connections_opened(h.origin);
    }
    return out;
}

asio::awaitable<std::uint64_t> wait_for_turn(asio::any_io_executor ex, engine::token_bucket& cap,
                                             double cost) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    auto wait = cap.reserve(
        static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()), cost);
    if (wait.count() <= 0) co_return 0;
    asio::steady_timer timer(ex);
    timer.expires_after(wait);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(wait).count());
}

void client::record_call(std::string_view op, std::chrono::steady_clock::duration took, std::error_code ec,
                         const diagnostics& diag) {
    op_telemetry* t = nullptr;
    for (std::size_t i = 0; i < telemetry_used_ && !t; ++i)
        if (telemetry_[i].name == op) t = &telemetry_[i];
    if (!t) {
        if (telemetry_used_ == telemetry_.size()) return;  // more operations than slots: not recorded
        t = &telemetry_[telemetry_used_++];
        t->name = op;
    }
    std::string_view code = diag.s3_code;
    if (ec && code.empty()) code = error_name(ec);
    // The call's time at S3 and on the network, without waits for the request cap.
    auto us = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(took).count());
    us = us > diag.paced_us ? us - diag.paced_us : 0;
    t->record(us, diag.attempts, diag.throttles, static_cast<bool>(ec), code, diag.throttle_code);
}

asio::awaitable<std::error_code> client::list_buckets(std::vector<std::string>& names, diagnostics& diag) {
    names.clear();
    std::string token;
    for (int page = 0; page < 10000; ++page) {
        list_buckets_result r;
        if (auto ec = co_await call<op::list_buckets>(std::string(), token, r, diag)) co_return ec;
        names.insert(names.end(), r.names.begin(), r.names.end());
        if (r.continuation_token.empty() || r.continuation_token == token) break;
        token = r.continuation_token;
    }
    co_return std::error_code{};
}

asio::awaitable<std::error_code> client::head_bucket(std::string bucket, head_bucket_result& out,
                                                     diagnostics& diag) {
    op::none none;
    auto ec = co_await call<op::head_bucket>(bucket, none, out, diag);
    co_await explain_head_403(bucket, ec, diag);
    co_return ec;
}

asio::awaitable<std::error_code> client::get_object(std::string bucket, get_object_params p,
                                                    get_object_result& out, diagnostics& diag) {
    co_return co_await call<op::get_object>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::head_object(std::string bucket, head_object_params p,
                                                     head_object_result& out, diagnostics& diag) {
    auto ec = co_await call<op::head_object>(bucket, p, out, diag);
    co_await explain_head_403(bucket, ec, diag);
    co_return ec;
}

asio::awaitable<void> client::explain_head_403(const std::string& bucket, std::error_code& ec,
                                               diagnostics& diag) {
    // A HEAD answer has no body: a 403 may be a wrong secret, an unknown key
    // or a missing permission. One signed ListObjectsV2 of one key carries
    // the server's error code and tells them apart.
    if (ec != errc::access_denied || !diag.s3_code.empty()) co_return;
    list_objects_v2_params lp;
    lp.max_keys = 1;
    list_objects_v2_result lr;
    diagnostics ld;
    auto lec = co_await list_objects_v2(bucket, lp, lr, ld);
    if (lec == errc::signature_mismatch || lec == errc::invalid_access_key || lec == errc::expired_token ||
        lec == errc::request_time_skewed) {
        ld.operation = diag.operation;
        ld.key = diag.key;
        diag = std::move(ld);
        ec = lec;
    }
}

asio::awaitable<std::error_code> client::copy_object(const std::string& bucket, const copy_object_params& p,
                                                     copy_object_result& out, diagnostics& diag) {
    return call<op::copy_object>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::delete_objects(std::string bucket, delete_objects_params p,
                                                        delete_objects_result& out, diagnostics& diag) {
    co_return co_await call<op::delete_objects>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::delete_object(std::string bucket, object_identifier o,
                                                       diagnostics& diag) {
    op::none none;
    co_return co_await call<op::delete_object>(bucket, o, none, diag);
}

asio::awaitable<std::error_code> client::put_object(std::string bucket, put_object_params p,
                                                    put_object_result& out, diagnostics& diag) {
    co_return co_await call<op::put_object>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::create_bucket(std::string bucket, create_bucket_params p,
                                                       diagnostics& diag) {
    op::none none;
    co_return co_await call<op::create_bucket>(bucket, p, none, diag);
}

asio::awaitable<std::error_code> client::delete_bucket(std::string bucket, diagnostics& diag) {
    op::none none;
    co_return co_await call<op::delete_bucket>(bucket, none, none, diag);
}

}  // namespace s3merge::s3
