// The async S3 client: for each call, build (pure) -> sign (pure) -> send ->
// read -> parse (pure), with retries of retryable errors and a per-bucket
// region cache (a wrong_region answer carrying x-amz-bucket-region is
// followed once). Lives on one executor; not thread-safe.
#pragma once

#include <array>
#include <chrono>

#include <functional>
#include <map>
#include <optional>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "s3merge/client/credentials_provider.hpp"
#include "s3merge/error.hpp"
#include "s3merge/http/client.hpp"
#include "s3merge/retry.hpp"
#include "s3merge/s3/endpoint.hpp"
#include "s3merge/s3/multipart.hpp"
#include "s3merge/engine/telemetry.hpp"
#include "s3merge/s3/operations.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/s3/versions.hpp"
#include "s3merge/sigv4.hpp"

namespace s3merge::s3 {

struct client_config {
    endpoint_options endpoint;
    std::string region = "us-east-1";  // default signing region
    credentials creds;
    // Temporary credentials (a role, a process, a container, ...): carried
    // out and kept fresh by a credentials_provider; `creds` are then only
    // the base of a role chain.
    std::optional<aws::credential_plan> credential_plan;
    // Where STS calls go (GetCallerIdentity): the configured endpoint
    // (AWS_ENDPOINT_URL_STS, [services] sts, AWS_ENDPOINT_URL, or the global
    // one with AWS_STS_REGIONAL_ENDPOINTS=legacy; empty: the regional
    // endpoint) and the region they are signed for (empty: `region`).
    std::string sts_endpoint_url;
    std::string sts_region;
    provider_options provider;
    http::client_options http;
    retry_policy retry;
    // When set, receives the canonical request and string to sign of every
    // request (never a secret, token or signature).
    std::function<void(std::string_view)> debug;
    // Called on every throttling answer (before its retry), for adaptive
    // concurrency, with the S3 operation that was throttled and the key it
    // was for (empty: a bucket-level call). S3 throttles by key range.
    std::function<void(std::string_view operation, std::string_view key)> on_throttle;
    // One line for the user when a host starts failing (timeouts, refused
    // connections): what is being retried, and that the job will stop.
    std::function<void(std::string_view)> warn;
    // When a host is down (host_health): a streak of transport failures
    // lasting health.window. Requests to it then fail at once.
    host_health::params health;
    std::function<void(std::error_code, const diagnostics&)> on_host_down;
    // A cap on requests sent per second, all hosts together (0: none): each
    // attempt waits for its turn (token bucket, a tenth of a second's burst).
    double max_requests_per_second = 0;
};

struct client_stats {
    std::uint64_t requests = 0;
    std::uint64_t retries = 0;
    std::uint64_t throttles = 0;
};

using op_telemetry = engine::op_stats;

// Waits until `cost` tokens of a cap (requests, bytes) are this caller's
// turn; returns the µs waited.
boost::asio::awaitable<std::uint64_t> wait_for_turn(boost::asio::any_io_executor ex,
                                                    engine::token_bucket& cap, double cost);

// Builds a call's request again (see client::execute).
class request_source {
public:
    virtual http_request rebuild() = 0;
    // Writes the request, signed, for the wire without building it (as
    // s3::write_signed_copy_object does): the same bytes as rebuild() signed
    // by http::write_signed_request. False: it is built and written that way.
    virtual bool write_signed(sigv4::signer&, const credentials&, const sigv4::signing_params&,
                              std::string_view /*user_agent*/, std::string& /*out*/) {
        return false;
    }
    // The request handed to execute() was not built (an empty one): it is
    // built by rebuild() only where it is needed (a refusal of
    // write_signed, --debug). Never a HEAD.
    bool deferred = false;

protected:
    ~request_source() = default;
};

class client {
public:
    client(boost::asio::any_io_executor ex, client_config cfg);
    ~client();

    std::error_code init(diagnostics& diag);

    // The provider of temporary credentials, when the configuration has one.
    credentials_provider* credentials_source() { return provider_.get(); }

    // Target for a bucket in its (cached or configured) region.
    std::error_code target_for(std::string_view bucket, target& out, diagnostics& diag);
    // Remembers a bucket's region (learnt from HeadBucket or a redirect).
    void set_bucket_region(std::string_view bucket, std::string region);
    std::string bucket_region(std::string_view bucket) const;

    // Signs (for `service`: "s3", or "sts"/"ec2" for the Query APIs) and
    // sends `req` to `t`, retrying retryable errors per the policy. Returns
    // the transport error, or {} with the response in `resp` (which may be
    // any HTTP status: the typed calls below check it). `operation` names
    // the S3 operation (and key) to on_throttle. `req` is signed in place,
    // not moved into the call's frame: it must outlive the awaitable, as a
    // caller's variable or temporary does in `co_await c.execute(...)`.
    // With `again`, `req` is let go (emptied) as soon as it is written for
    // the wire, while its memory is still in the CPU's cache, and built
    // again from `again` for a re-send or a retry: a request is not held
    // for the whole wait for its answer.
    boost::asio::awaitable<std::error_code> execute(const target& t, http_request&& req, http_response& resp,
                                                    diagnostics& diag, std::string_view service = "s3",
                                                    std::string_view operation = {},
                                                    std::string_view key = {},
                                                    request_source* again = nullptr);

    // Typed operations. diag gets operation, bucket, key and region.
    boost::asio::awaitable<std::error_code> list_objects_v2(std::string bucket, list_objects_v2_params p,
                                                            list_objects_v2_result& out, diagnostics& diag);
    boost::asio::awaitable<std::error_code> head_bucket(std::string bucket, head_bucket_result& out,
                                                        diagnostics& diag);
    // Every bucket of the account (all pages).
    boost::asio::awaitable<std::error_code> list_buckets(std::vector<std::string>& names, diagnostics& diag);
    boost::asio::awaitable<std::error_code> head_object(std::string bucket, head_object_params p,
                                                        head_object_result& out, diagnostics& diag);
    boost::asio::awaitable<std::error_code> get_object(std::string bucket, get_object_params p,
                                                       get_object_result& out, diagnostics& diag);
    // Not a coroutine of its own (one frame less per copy): the references
    // must outlive the awaitable, as they do in `co_await c.copy_object(...)`.
    boost::asio::awaitable<std::error_code> copy_object(const std::string& bucket,
                                                        const copy_object_params& p, copy_object_result& out,
                                                        diagnostics& diag);
    boost::asio::awaitable<std::error_code> delete_objects(std::string bucket, delete_objects_params p,
                                                           delete_objects_result& out, diagnostics& diag);
    // One key in the URL: for keys DeleteObjects cannot carry.
    boost::asio::awaitable<std::error_code> delete_object(std::string bucket, object_identifier o,
                                                          diagnostics& diag);
    boost::asio::awaitable<std::error_code> put_object(std::string bucket, put_object_params p,
                                                       put_object_result& out, diagnostics& diag);
    boost::asio::awaitable<std::error_code> create_bucket(std::string bucket, create_bucket_params p,
                                                          diagnostics& diag);
    boost::asio::awaitable<std::error_code> delete_bucket(std::string bucket, diagnostics& diag);

    // Multipart copy, tagging, versions (s3_client_more.cpp).
    boost::asio::awaitable<std::error_code> create_multipart_upload(std::string bucket,
                                                                    create_multipart_upload_params p,
                                                                    create_multipart_upload_result& out,
                                                                    diagnostics& diag);
    boost::asio::awaitable<std::error_code> upload_part_copy(std::string bucket, upload_part_copy_params p,
                                                             upload_part_copy_result& out, diagnostics& diag);
    boost::asio::awaitable<std::error_code> complete_multipart_upload(std::string bucket,
                                                                      complete_multipart_upload_params p,
                                                                      complete_multipart_upload_result& out,
                                                                      diagnostics& diag);
    boost::asio::awaitable<std::error_code> abort_multipart_upload(std::string bucket,
                                                                   abort_multipart_upload_params p,
                                                                   diagnostics& diag);
    boost::asio::awaitable<std::error_code> list_multipart_uploads(std::string bucket,
                                                                   list_multipart_uploads_params p,
                                                                   list_multipart_uploads_result& out,
                                                                   diagnostics& diag);
    boost::asio::awaitable<std::error_code> get_object_tagging(std::string bucket,
                                                               get_object_tagging_params p,
                                                               get_object_tagging_result& out,
                                                               diagnostics& diag);
    boost::asio::awaitable<std::error_code> list_object_versions(std::string bucket,
                                                                 list_object_versions_params p,
                                                                 list_object_versions_result& out,
                                                                 diagnostics& diag);
    boost::asio::awaitable<std::error_code> get_bucket_versioning(std::string bucket,
                                                                  get_bucket_versioning_result& out,
                                                                  diagnostics& diag);
    boost::asio::awaitable<std::error_code> put_bucket_versioning(std::string bucket,
                                                                  put_bucket_versioning_params p,
                                                                  diagnostics& diag);

    // Before retrying an error found in a parsed answer (or by execute()):
    // counts the retry, reports a throttle (on_throttle), and sleeps the
    // policy's backoff for the attempt (full jitter).
    boost::asio::awaitable<void> before_retry(std::error_code ec, int attempt,
                                              std::string_view operation = {}, std::string_view key = {});

    // Stop retrying: waits between attempts end now and no attempt follows
    // (errc::cancelled). Requests in flight go on (abort_in_flight ends them).
    void cancel_retries();
    // Ends every request waiting for the network now (as a timeout; with
    // cancel_retries, errc::cancelled).
    void abort_in_flight();
    bool cancelled() const { return cancelled_; }

    const client_stats& stats() const { return stats_; }
    // Per endpoint ("host:port"): requests, retries, throttles, connections.
    std::vector<engine::host_stats> host_telemetry() const;
    // Per operation, in the order first called.
    const op_telemetry* telemetry_begin() const { return telemetry_.data(); }
    const op_telemetry* telemetry_end() const { return telemetry_.data() + telemetry_used_; }
    http::client& http() { return *http_; }
    const boost::asio::any_io_executor& executor() const { return ex_; }
    void set_on_throttle(std::function<void(std::string_view, std::string_view)> f) {
        cfg_.on_throttle = std::move(f);
    }
    void set_on_host_down(std::function<void(std::error_code, const diagnostics&)> f) {
        cfg_.on_host_down = std::move(f);
    }
    const client_config& config() const { return cfg_; }

    // The one call path for every S3 operation (s3/operations.hpp): build
    // -> sign -> send with retries -> parse, following one region redirect,
    // retrying errors that arrive inside a 200. Defined in client/call.hpp.
    template <class Op>
    boost::asio::awaitable<std::error_code> call(const std::string& bucket, const typename Op::params& p,
                                                 typename Op::result& out, diagnostics& diag);

private:
    // After a HeadBucket/HeadObject 403 without a code: a wrong secret, an
    // unknown access key, an expired token or a skewed clock, learnt from a
    // ListObjectsV2 of one key, replaces ec and diag (else they stand).
    boost::asio::awaitable<void> explain_head_403(const std::string& bucket, std::error_code& ec,
                                                  diagnostics& diag);
    // Sleeps the policy's backoff for the attempt (full jitter).
    boost::asio::awaitable<void> backoff(std::error_code ec, int attempt);
    // The target for a bucket, resolved once and kept (a job addresses a
    // few buckets many times); forgotten when a bucket's region changes.
    std::error_code shared_target_for(std::string_view bucket, std::shared_ptr<const target>& out,
                                      diagnostics& diag);

    std::vector<std::pair<std::string, std::shared_ptr<const target>>> targets_;  // bounded

    // Responses are reused from one call to the next: their header list,
    // header strings and body keep their capacity (bounded in number and
    // in body size).
    std::unique_ptr<http_response> take_response();
    void return_response(std::unique_ptr<http_response> r);
    std::vector<std::unique_ptr<http_response>> spare_responses_;

    boost::asio::any_io_executor ex_;
    client_config cfg_;
    std::unique_ptr<http::client> http_;
    std::unique_ptr<credentials_provider> provider_;
    sigv4::signer signer_;
    // Every signed request is written here, as it goes out (signing_writer
    // in s3_client.cpp): one buffer, warm in the CPU's cache.
    std::string wire_;
    std::map<std::string, std::string, std::less<>> regions_;
    // Per host ("https://host:port"): whether it answers. A job addresses few hosts.
    struct host_state {
        host_health health;
        std::string last_failure;  // diag.detail of the last transport failure
        std::error_code last_ec;
        bool announced = false;                   // on_host_down called
        host_health::clock::time_point warned{};  // the last warning line
        engine::host_stats stats;
        http::origin origin;
    };
    std::map<std::string, host_state, std::less<>> hosts_;
    host_state* last_host_ = nullptr;  // the host of the last request (hosts_ never forgets one)
    host_state& host_for(const target& t);
    bool cancelled_ = false;
    std::vector<boost::asio::steady_timer*> sleeping_;  // backoff waits, for cancel_retries
    std::mt19937_64 rng_;
    client_stats stats_;
    std::array<op_telemetry, 24> telemetry_{};
    std::size_t telemetry_used_ = 0;
    void record_call(std::string_view op, std::chrono::steady_clock::duration took, std::error_code ec,
                     const diagnostics& diag);
    // --max-requests-per-second: waits for this attempt's turn.
    std::optional<engine::token_bucket> request_cap_;
};

}  // namespace s3merge::s3
