// The S3 client's retry, in-body error and region-redirect handling against
// a loopback peer that answers exactly what each case needs.
#include <doctest/doctest.h>

#include <functional>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "fake_peer.hpp"
#include "s3merge/client/s3_client.hpp"

using namespace s3merge;
using namespace s3merge::test;
using namespace std::chrono_literals;

namespace {

const std::string copy_ok =
    "<CopyObjectResult><ETag>\"0123456789abcdef0123456789abcdef\"</ETag>"
    "<LastModified>2024-01-01T00:00:00.000Z</LastModified></CopyObjectResult>";

s3::client_config config(std::uint16_t port) {
    s3::client_config cfg;
    cfg.endpoint.endpoint_url = "http://127.0.0.1:" + std::to_string(port);
    cfg.creds = {"AKIDEXAMPLE", "secret", ""};
    cfg.retry.max_attempts = 4;
    cfg.retry.base = 1ms;
    cfg.retry.throttle_base = 1ms;
    return cfg;
}

struct copy_outcome {
    std::error_code ec;
    diagnostics diag;
    s3::copy_object_result res;
    s3::client_stats stats;
    int throttle_callbacks = 0;
    std::string throttled_operation;
    std::string throttled_key;
    std::vector<engine::op_stats> ops;
    std::vector<engine::host_stats> hosts;
};

// `tweak` may change the call's parameters and the client's configuration.
copy_outcome run_copy(asio::io_context& io, std::uint16_t port,
                      const std::function<void(s3::copy_object_params&, s3::client_config&)>& tweak = {}) {
    copy_outcome out;
    auto cfg = config(port);
    s3::copy_object_params p;
    p.source_bucket = "src";
    p.source_key = "a b/c.json";
    p.key = "dst/c.json";
    if (tweak) tweak(p, cfg);
    cfg.on_throttle = [&](std::string_view op, std::string_view key) {
        ++out.throttle_callbacks;
        out.throttled_operation = op;
        out.throttled_key = key;
    };
    s3::client c(io.get_executor(), cfg);
    REQUIRE_FALSE(c.init(out.diag));
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            const std::string bucket = "dst-bucket";
            out.ec = co_await c.copy_object(bucket, p, out.res, out.diag);
            out.stats = c.stats();
            out.ops.assign(c.telemetry_begin(), c.telemetry_end());
            out.hosts = c.host_telemetry();
            finished = true;
            io.stop();
        },
        asio::detached);
    io.run_for(10s);
    REQUIRE(finished);
    return out;
}

// A fresh directory under /tmp.
std::string make_temp_dir() {
    char dir_template[] = "/tmp/s3merge-creds-XXXXXX";
    REQUIRE(mkdtemp(dir_template));
    return dir_template;
}

// A credential_process script handing out KEY1, KEY2, ... one per run
// (counted in DIR/count); returns its path.
std::string write_key_series_script(const std::string& dir) {
    const std::string script = dir + "/creds.sh";
    FILE* f = std::fopen(script.c_str(), "w");
    REQUIRE(f);
    std::fprintf(f,
                 "n=$(cat %s/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s/count\n"
                 "printf '{\"Version\":1,\"AccessKeyId\":\"KEY%%s\",\"SecretAccessKey\":\"s\","
                 "\"SessionToken\":\"t\",\"Expiration\":\"2099-01-01T00:00:00Z\"}' $n\n",
                 dir.c_str(), dir.c_str());
    std::fclose(f);
    return script;
}

}  // namespace

TEST_CASE("a CopyObject 200 whose body is an error is retried, then succeeds") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int i, int) {
        if (i == 0)
            return write_all(s, reply(200, "OK",
                                      "<Error><Code>InternalError</Code><Message>try again</Message>"
                                      "<RequestId>r0</RequestId></Error>"));
        return write_all(s, reply(200, "OK", copy_ok));
    });
    auto out = run_copy(io, peer.port());
    CHECK_FALSE(out.ec);
    CHECK(out.res.etag == "0123456789abcdef0123456789abcdef");
    CHECK(peer.requests == 2);
    CHECK(out.stats.retries == 1);
}

TEST_CASE("attempts count every request of a call: 200-with-error retries and a 503 retry together") {
    // One 503 (retried inside execute), then 200s whose bodies are errors
    // (retried by the call): a failure reports every request it sent.
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int i, int) {
        if (i == 0) return write_all(s, reply(503, "Slow Down", error_doc("SlowDown", "slow")));
        return write_all(
            s, reply(200, "OK", "<Error><Code>InternalError</Code><Message>again</Message></Error>"));
    });
    auto out = run_copy(io, peer.port());
    CHECK(out.ec == errc::server_error);
    CHECK(peer.requests == 5);  // max_attempts 4 in-body rounds, the first of them with 2 requests
    CHECK(out.diag.attempts == static_cast<unsigned>(peer.requests));
}

TEST_CASE("a retried CopyObject sends the same request again, built anew from its parameters") {
    // The first request is let go once written (execute with a
    // request_source); the retry is built again and must say the same,
    // signed anew: the same line, copy source and signed headers.
    asio::io_context io;
    int answered = 0;
    body_peer peer(io, [&](const http_req&) {
        return answered++ == 0 ? reply(503, "Slow Down", error_doc("SlowDown", "slow"))
                               : reply(200, "OK", copy_ok);
    });
    auto out = run_copy(io, peer.port());
    REQUIRE_FALSE(out.ec);
    REQUIRE(peer.requests.size() == 2);
    auto without_date_and_signature = [](const std::string& head) {
        std::string kept;
        std::size_t at = 0;
        while (at < head.size()) {
            std::size_t end = head.find("\r\n", at);
            if (end == std::string::npos) end = head.size();
            std::string line = head.substr(at, end - at);
            if (line.rfind("X-Amz-Date:", 0) != 0 && line.rfind("Authorization:", 0) != 0)
                kept += line + "\n";
            at = end + 2;
        }
        return kept;
    };
    const auto& first = peer.requests[0].head;
    const auto& second = peer.requests[1].head;
    CHECK(first.rfind("PUT /dst-bucket/dst/c.json HTTP/1.1\r\n", 0) == 0);
    CHECK(first.find("x-amz-copy-source: /src/a%20b/c.json\r\n") != std::string::npos);
    CHECK(without_date_and_signature(first) == without_date_and_signature(second));
    auto signed_headers = [](const std::string& head) {
        auto p = head.find("SignedHeaders=");
        REQUIRE(p != std::string::npos);
        return head.substr(p, head.find(',', p) - p);
    };
    CHECK(signed_headers(first) == signed_headers(second));
    CHECK(second.find("Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") != std::string::npos);
}

TEST_CASE(
    "a CopyObject the direct writer declines, and one under --debug, are built and signed the general way") {
    // A copy is written straight from its parameters (no request built);
    // replaced metadata is not written that way, and --debug signs a built
    // request in place to show its canonical request. Both are sent whole,
    // a retry included.
    auto signed_headers = [](const std::string& head) {
        auto p = head.find("SignedHeaders=");
        REQUIRE(p != std::string::npos);
        return head.substr(p, head.find(',', p) - p);
    };
    {
        asio::io_context io;
        int answered = 0;
        body_peer peer(io, [&](const http_req&) {
            return answered++ == 0 ? reply(503, "Slow Down", error_doc("SlowDown", "slow"))
                                   : reply(200, "OK", copy_ok);
        });
        auto out = run_copy(io, peer.port(), [](s3::copy_object_params& p, s3::client_config&) {
            p.replace_metadata = true;
            p.metadata.push_back({"origin", "s3merge"});
            p.content_type = "application/json";
        });
        REQUIRE_FALSE(out.ec);
        REQUIRE(peer.requests.size() == 2);
        for (const auto& r : peer.requests) {
            CHECK(r.head.rfind("PUT /dst-bucket/dst/c.json HTTP/1.1\r\n", 0) == 0);
            CHECK(r.head.find("x-amz-metadata-directive: REPLACE\r\n") != std::string::npos);
            CHECK(r.head.find("x-amz-meta-origin: s3merge\r\n") != std::string::npos);
            CHECK(r.head.find("Content-Type: application/json\r\n") != std::string::npos);
            CHECK(signed_headers(r.head) ==
                  "SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-copy-source;x-amz-date;"
                  "x-amz-meta-origin;x-amz-metadata-directive");
        }
    }
    {
        asio::io_context io;
        int answered = 0;
        body_peer peer(io, [&](const http_req&) {
            return answered++ == 0 ? reply(503, "Slow Down", error_doc("SlowDown", "slow"))
                                   : reply(200, "OK", copy_ok);
        });
        std::vector<std::string> shown;
        auto out = run_copy(io, peer.port(), [&](s3::copy_object_params&, s3::client_config& cfg) {
            cfg.debug = [&](std::string_view text) { shown.emplace_back(text); };
        });
        REQUIRE_FALSE(out.ec);
        REQUIRE(peer.requests.size() == 2);
        REQUIRE(shown.size() == 2);  // one canonical request per attempt
        for (std::size_t i = 0; i < 2; ++i) {
            CHECK(shown[i].find("PUT\n/dst-bucket/dst/c.json\n") != std::string::npos);
            CHECK(shown[i].find("x-amz-copy-source:/src/a%20b/c.json\n") != std::string::npos);
            CHECK(peer.requests[i].head.find("x-amz-copy-source: /src/a%20b/c.json\r\n") !=
                  std::string::npos);
            CHECK(signed_headers(peer.requests[i].head) ==
                  "SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-date;"
                  "x-amz-metadata-directive");
        }
    }
}

TEST_CASE("503 SlowDown is retried with the throttle hook called; 403 is not retried") {
    {
        asio::io_context io;
        fake_peer peer(io, [](tcp::socket& s, int i, int) {
            if (i < 2) return write_all(s, reply(503, "Slow Down", "<Error><Code>SlowDown</Code></Error>"));
            return write_all(s, reply(200, "OK", copy_ok));
        });
        auto out = run_copy(io, peer.port());
        CHECK_FALSE(out.ec);
        CHECK(peer.requests == 3);
        CHECK(out.stats.throttles == 2);
        CHECK(out.throttle_callbacks == 2);
        CHECK(out.throttled_operation == "CopyObject");  // what the copy limit reacts to
        CHECK(out.throttled_key == "dst/c.json");        // the key range S3 throttled: the destination's
        CHECK(out.diag.attempts == 3);
        // Telemetry: one call of three requests, two throttled by SlowDown;
        // the host saw three requests, two retries, one connection per
        // answer the peer closed or kept.
        REQUIRE(out.ops.size() == 1);
        CHECK(out.ops[0].name == "CopyObject");
        CHECK(out.ops[0].calls == 1);
        CHECK(out.ops[0].requests == 3);
        CHECK(out.ops[0].throttles == 2);
        CHECK(out.ops[0].errors == 0);
        CHECK(out.ops[0].throttle_codes.list() == std::vector<engine::code_count>{{"SlowDown", 2}});
        CHECK(out.ops[0].latency.count() == 1);
        REQUIRE(out.hosts.size() == 1);
        CHECK(out.hosts[0].host == "127.0.0.1:" + std::to_string(peer.port()));
        CHECK(out.hosts[0].requests == 3);
        CHECK(out.hosts[0].retries == 2);
        CHECK(out.hosts[0].throttles == 2);
        CHECK(out.hosts[0].connections_opened >= 1);
    }
    {
        asio::io_context io;
        fake_peer peer(io, [](tcp::socket& s, int, int) {
            return write_all(
                s, reply(403, "Forbidden", "<Error><Code>AccessDenied</Code><Message>no</Message></Error>"));
        });
        auto out = run_copy(io, peer.port());
        CHECK(out.ec == errc::access_denied);
        CHECK(peer.requests == 1);
        CHECK(out.diag.s3_code == "AccessDenied");
        CHECK(out.diag.bucket == "dst-bucket");
        CHECK(out.diag.key == "dst/c.json");
        CHECK(out.diag.operation == "CopyObject");
        REQUIRE(out.ops.size() == 1);
        CHECK(out.ops[0].errors == 1);
        CHECK(out.ops[0].codes.list() == std::vector<engine::code_count>{{"AccessDenied", 1}});
    }
}

TEST_CASE("persistent 500s stop after max_attempts with the server's error") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int, int) {
        return write_all(s, reply(500, "Internal Server Error", "<Error><Code>InternalError</Code></Error>"));
    });
    auto out = run_copy(io, peer.port());
    CHECK(out.ec == errc::server_error);
    CHECK(peer.requests == 4);
    CHECK(out.diag.http_status == 500);
    CHECK(out.diag.attempts == 4);
}

TEST_CASE("a PermanentRedirect with x-amz-bucket-region is followed once, signed for that region") {
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int i, int) {
        if (i == 0)
            return write_all(
                s, reply(301, "Moved Permanently",
                         "<Error><Code>PermanentRedirect</Code><Message>elsewhere</Message></Error>",
                         "x-amz-bucket-region: eu-west-3\r\n"));
        return write_all(s, reply(200, "OK", copy_ok));
    });
    auto out = run_copy(io, peer.port());
    CHECK_FALSE(out.ec);
    CHECK(peer.requests == 2);
    CHECK(peer.last_request.find("/eu-west-3/s3/aws4_request") != std::string::npos);
    CHECK(peer.last_request.find("x-amz-copy-source: /src/a%20b/c.json") != std::string::npos);
}

TEST_CASE("a reused response object never carries an earlier answer's headers into the next one") {
    // The client reuses response objects between calls (their strings keep
    // their capacity). An answer with more headers followed by one with
    // fewer must not leak the first one's values into the second's result.
    asio::io_context io;
    fake_peer peer(io, [](tcp::socket& s, int i, int) {
        if (i == 0)
            return write_all(
                s, reply(200, "OK", copy_ok,
                         "x-amz-version-id: version-one\r\nx-amz-server-side-encryption: AES256\r\n"
                         "x-amz-id-2: a-rather-long-extended-request-id-value-for-the-first-answer\r\n"));
        return write_all(s, reply(200, "OK", copy_ok));
    });
    s3::client c(io.get_executor(), config(peer.port()));
    diagnostics diag;
    REQUIRE_FALSE(c.init(diag));
    std::vector<s3::copy_object_result> results;
    std::vector<std::error_code> errors;
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            for (int i = 0; i < 3; ++i) {
                s3::copy_object_params p;
                p.source_bucket = "src";
                p.source_key = "k" + std::to_string(i);
                p.key = "dst/k" + std::to_string(i);
                s3::copy_object_result res;
                diagnostics d;
                const std::string bucket = "dst-bucket";
                errors.push_back(co_await c.copy_object(bucket, p, res, d));
                results.push_back(res);
            }
            finished = true;
            io.stop();
        },
        asio::detached);
    io.run_for(10s);
    REQUIRE(finished);
    REQUIRE(results.size() == 3);
    for (auto ec : errors) CHECK_FALSE(ec);
    CHECK(results[0].version_id == "version-one");
    CHECK(results[1].version_id.empty());
    CHECK(results[2].version_id.empty());
    CHECK(results[2].etag == "0123456789abcdef0123456789abcdef");
    CHECK(peer.requests == 3);
}

TEST_CASE("expired temporary credentials are renewed and the request sent again, not failed") {
    // credential_process hands out key KEY1 first, KEY2 after; the peer says
    // ExpiredToken to anything signed with KEY1.
    const std::string dir = make_temp_dir();
    const std::string script = write_key_series_script(dir);
    asio::io_context io;
    std::vector<std::string> keys_seen;
    fake_peer* self = nullptr;
    fake_peer peer(io, [&](tcp::socket& s, int, int) {
        const std::string& head = self->last_request;
        auto at = head.find("Credential=");
        keys_seen.push_back(at == std::string::npos ? "" : head.substr(at + 11, 4));
        if (keys_seen.back() == "KEY1")
            return write_all(s,
                             reply(400, "Bad Request",
                                   "<Error><Code>ExpiredToken</Code><Message>The provided token has expired."
                                   "</Message></Error>"));
        return write_all(s, reply(200, "OK", copy_ok));
    });
    self = &peer;
    auto cfg = config(peer.port());
    aws::credential_plan plan;
    plan.base = aws::credential_source::process;
    plan.process_command = "/bin/sh " + script;
    plan.base_where = "credential_process (test)";
    cfg.credential_plan = plan;
    s3::client c(io.get_executor(), cfg);
    diagnostics diag;
    REQUIRE_FALSE(c.init(diag));
    // Eight copies at once: all signed with KEY1, all told it expired; one
    // renewal serves them all (the others wait for it), each is sent again.
    constexpr int n = 8;
    std::vector<std::error_code> ecs(n);
    int finished = 0;
    for (int i = 0; i < n; ++i) {
        asio::co_spawn(
            io,
            [&, i]() -> asio::awaitable<void> {
                s3::copy_object_params p;
                p.source_bucket = "src";
                p.source_key = "k" + std::to_string(i);
                p.key = p.source_key;
                s3::copy_object_result res;
                diagnostics d;
                const std::string bucket = "dst";
                ecs[i] = co_await c.copy_object(bucket, p, res, d);
                if (++finished == n) io.stop();
            },
            asio::detached);
    }
    io.run_for(10s);
    REQUIRE(finished == n);
    for (auto& e : ecs) CHECK_FALSE(e);
    CHECK(std::count(keys_seen.begin(), keys_seen.end(), "KEY1") == n);
    CHECK(std::count(keys_seen.begin(), keys_seen.end(), "KEY2") == n);
    CHECK(keys_seen.size() == 2 * n);
    REQUIRE(c.credentials_source());
    CHECK(c.credentials_source()->renewals() == 1);
    CHECK(c.credentials_source()->source() == "credential_process (test)");
    {
        FILE* f = std::fopen((dir + "/count").c_str(), "r");
        REQUIRE(f);
        int runs = 0;
        CHECK(std::fscanf(f, "%d", &runs) == 1);
        std::fclose(f);
        CHECK(runs == 2);  // the first keys, and one renewal
    }
    std::remove((dir + "/count").c_str());
    std::remove(script.c_str());
    rmdir(dir.c_str());
}

TEST_CASE("a refused renewal is not tried again: eight callers, one MFA prompt, one AssumeRole, one error") {
    // STS refuses the role (a wrong MFA code); S3 is never reached.
    asio::io_context io;
    body_peer peer(io, [](const http_req& r) {
        if (r.method == "POST" && r.body.find("Action=AssumeRole") != std::string::npos)
            return reply(
                403, "Forbidden",
                "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
                "MultiFactorAuthentication failed with invalid MFA one time pass code.</Message></Error>"
                "</ErrorResponse>");
        return reply(200, "OK", copy_ok);
    });
    auto cfg = config(peer.port());
    aws::credential_plan plan;
    plan.base = aws::credential_source::static_keys;
    plan.base_where = "keys (test)";
    plan.sts_endpoint_url = "http://127.0.0.1:" + std::to_string(peer.port());
    plan.sts_region = "us-east-1";
    aws::role_step role;
    role.profile = "mfa";
    role.role_arn = "arn:aws:iam::123456789012:role/migrator";
    role.mfa_serial = "arn:aws:iam::123456789012:mfa/me";
    plan.roles.push_back(role);
    cfg.credential_plan = plan;
    int asked = 0;
    cfg.provider.ask_mfa_code = [&](const std::string& serial) -> std::optional<std::string> {
        ++asked;
        CHECK(serial == "arn:aws:iam::123456789012:mfa/me");
        return std::string("000000");
    };
    s3::client c(io.get_executor(), cfg);
    diagnostics diag;
    REQUIRE_FALSE(c.init(diag));
    constexpr int n = 8;
    std::vector<std::error_code> ecs(n);
    std::vector<diagnostics> diags(n);
    int finished = 0;
    auto one_copy = [&](int i) -> asio::awaitable<void> {
        s3::copy_object_params p;
        p.source_bucket = "src";
        p.source_key = "k" + std::to_string(i);
        p.key = p.source_key;
        s3::copy_object_result res;
        const std::string bucket = "dst";
        ecs[i] = co_await c.copy_object(bucket, p, res, diags[i]);
        if (++finished == n) io.stop();
    };
    for (int i = 0; i < n; ++i) asio::co_spawn(io, one_copy(i), asio::detached);
    io.run_for(5s);
    REQUIRE(finished == n);
    CHECK(asked == 1);
    CHECK(peer.count("POST") == 1);
    CHECK(peer.count("PUT") == 0);
    for (int i = 0; i < n; ++i) {
        CHECK(ecs[i] == errc::config_error);
        CHECK(diags[i].to_string().find("MultiFactorAuthentication failed") != std::string::npos);
        CHECK(diags[i].to_string().find("arn:aws:iam::123456789012:role/migrator") != std::string::npos);
    }
    // A caller after the refusal gets it at once: no prompt, no request.
    std::error_code later;
    diagnostics later_diag;
    bool done = false;
    io.restart();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            credentials k;
            later = co_await c.credentials_source()->current(k, later_diag);
            done = true;
            io.stop();
        },
        asio::detached);
    io.run_for(2s);
    REQUIRE(done);
    CHECK(later == errc::config_error);
    CHECK(asked == 1);
    CHECK(peer.count("POST") == 1);
}

TEST_CASE(
    "a HEAD answered a bare 400 with keys over a minute old renews them once; with new keys it is an error") {
    // credential_process: KEY1 first, KEY2 after. The peer answers HEAD with
    // a bare 400 (no body: how S3 answers a HEAD with an expired token) to
    // KEY1 and 200 to KEY2.
    const std::string dir = make_temp_dir();
    const std::string script = write_key_series_script(dir);
    std::vector<std::string> keys_seen;
    auto run = [&](std::chrono::minutes age, int& renewals) {
        std::remove((dir + "/count").c_str());
        keys_seen.clear();
        asio::io_context io;
        body_peer peer(io, [&](const http_req& r) {
            auto at = r.head.find("Credential=");
            keys_seen.push_back(at == std::string::npos ? "" : r.head.substr(at + 11, 4));
            if (keys_seen.back() == "KEY1")
                return std::string("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            return reply(200, "OK", "", "ETag: \"0123456789abcdef0123456789abcdef\"\r\n");
        });
        auto cfg = config(peer.port());
        aws::credential_plan plan;
        plan.base = aws::credential_source::process;
        plan.process_command = "/bin/sh " + script;
        plan.base_where = "credential_process (test)";
        cfg.credential_plan = plan;
        sys_time clock = std::chrono::system_clock::now();
        cfg.provider.now = [&] { return clock; };
        s3::client c(io.get_executor(), cfg);
        diagnostics diag;
        REQUIRE_FALSE(c.init(diag));
        std::error_code ec;
        bool done = false;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                credentials k;  // the first keys, obtained now
                REQUIRE_FALSE(co_await c.credentials_source()->current(k, diag));
                clock += age;
                s3::head_object_params p;
                p.key = "k";
                s3::head_object_result res;
                ec = co_await c.head_object("b", p, res, diag);
                done = true;
                io.stop();
            },
            asio::detached);
        io.run_for(10s);
        REQUIRE(done);
        renewals = static_cast<int>(c.credentials_source()->renewals());
        return ec;
    };
    int renewals = -1;
    CHECK_FALSE(run(std::chrono::minutes(5), renewals));
    CHECK(renewals == 1);
    CHECK(keys_seen == std::vector<std::string>{"KEY1", "KEY2"});
    // Keys just obtained: a bare 400 is the answer, not a reason to renew.
    CHECK(run(std::chrono::minutes(0), renewals));
    CHECK(renewals == 0);
    CHECK(keys_seen == std::vector<std::string>{"KEY1"});
    std::remove((dir + "/count").c_str());
    std::remove(script.c_str());
    rmdir(dir.c_str());
}

TEST_CASE(
    "token files are read again at every renewal: web identity and the container token (EKS rotates them)") {
    const std::string dir = make_temp_dir();
    auto write = [](const std::string& path, const std::string& text) {
        FILE* f = std::fopen(path.c_str(), "w");
        REQUIRE(f);
        std::fputs(text.c_str(), f);
        std::fclose(f);
    };
    const std::string web_file = dir + "/web-token", container_file = dir + "/container-token";
    write(web_file, "web-token-1");
    write(container_file, "container-token-1");
    sys_time clock = std::chrono::system_clock::now();
    auto expiration = [&] {
        // Sessions of 15 minutes: due after half of it.
        const auto t = std::chrono::system_clock::to_time_t(clock + std::chrono::minutes(15));
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
        return std::string(buf);
    };
    std::vector<std::string> web_tokens, container_tokens;
    asio::io_context io;
    body_peer peer(io, [&](const http_req& r) {
        if (r.method == "POST") {  // STS AssumeRoleWithWebIdentity
            auto at = r.body.find("WebIdentityToken=");
            web_tokens.push_back(r.body.substr(at + 17, r.body.find('&', at) - at - 17));
            return ok(
                "<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
                "<AccessKeyId>ASIAWEB</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t"
                "</SessionToken><Expiration>" +
                expiration() +
                "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                "</AssumeRoleWithWebIdentityResponse>");
        }
        auto at = r.head.find("Authorization: ");
        container_tokens.push_back(r.head.substr(at + 15, r.head.find("\r\n", at) - at - 15));
        return ok(
            "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":\"" +
            expiration() + "\"}");
    });
    const std::string url = "http://127.0.0.1:" + std::to_string(peer.port());
    auto renew_twice = [&](aws::credential_plan plan, const std::string& file, const std::string& second) {
        auto cfg = config(peer.port());
        cfg.credential_plan = plan;
        cfg.provider.now = [&] { return clock; };
        s3::client c(io.get_executor(), cfg);
        diagnostics diag;
        REQUIRE_FALSE(c.init(diag));
        bool done = false;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                credentials k;
                CHECK_FALSE(co_await c.credentials_source()->current(k, diag));
                write(file, second);
                clock += std::chrono::minutes(10);  // past the renewal point
                CHECK_FALSE(co_await c.credentials_source()->current(k, diag));
                done = true;
                io.stop();
            },
            asio::detached);
        io.restart();
        io.run_for(10s);
        REQUIRE(done);
        CHECK(c.credentials_source()->renewals() == 1);
    };
    aws::credential_plan web;
    web.base = aws::credential_source::web_identity;
    web.base_where = "web identity (test)";
    web.token_file = web_file;
    web.web_role.role_arn = "arn:aws:iam::123456789012:role/web";
    web.sts_endpoint_url = url;
    web.sts_region = "us-east-1";
    renew_twice(web, web_file, "web-token-2");
    CHECK(web_tokens == std::vector<std::string>{"web-token-1", "web-token-2"});
    aws::credential_plan container;
    container.base = aws::credential_source::container;
    container.base_where = "container credentials (test)";
    container.container_url = url + "/v1/credentials";
    container.container_token_file = container_file;
    renew_twice(container, container_file, "container-token-2");
    CHECK(container_tokens == std::vector<std::string>{"container-token-1", "container-token-2"});
    std::remove(web_file.c_str());
    std::remove(container_file.c_str());
    rmdir(dir.c_str());
}

TEST_CASE(
    "a renewal ahead of expiry that fails keeps the keys in hand and tries again 30 s later, not per "
    "request") {
    // credential_process: KEY<n> living until 2030-01-01T00:00:00Z; it fails
    // while DIR/fail exists.
    const std::string dir = make_temp_dir();
    const std::string script = dir + "/creds.sh";
    {
        FILE* f = std::fopen(script.c_str(), "w");
        REQUIRE(f);
        std::fprintf(f,
                     "n=$(cat %s/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s/count\n"
                     "[ -e %s/fail ] && exit 1\n"
                     "printf '{\"Version\":1,\"AccessKeyId\":\"KEY%%s\",\"SecretAccessKey\":\"s\","
                     "\"SessionToken\":\"t\",\"Expiration\":\"2030-01-01T00:00:00Z\"}' $n\n",
                     dir.c_str(), dir.c_str(), dir.c_str());
        std::fclose(f);
    }
    auto runs = [&] {
        FILE* f = std::fopen((dir + "/count").c_str(), "r");
        int n = 0;
        if (f) {
            CHECK(std::fscanf(f, "%d", &n) == 1);
            std::fclose(f);
        }
        return n;
    };
    sys_time expiry;
    REQUIRE(parse_iso8601("2030-01-01T00:00:00Z", expiry));
    sys_time clock = expiry - std::chrono::minutes(15);  // renewal due halfway: 7.5 minutes in
    asio::io_context io;
    aws::credential_plan plan;
    plan.base = aws::credential_source::process;
    plan.process_command = "/bin/sh " + script;
    plan.base_where = "credential_process (test)";
    s3::provider_options po;
    po.now = [&] { return clock; };
    s3::credentials_provider p(io.get_executor(), plan, {}, po);
    auto ask = [&](credentials& k) {
        std::error_code ec;
        diagnostics d;
        bool done = false;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                ec = co_await p.current(k, d);
                done = true;
            },
            asio::detached);
        io.restart();
        io.run_for(10s);
        REQUIRE(done);
        return ec;
    };
    credentials k;
    REQUIRE_FALSE(ask(k));
    CHECK(k.access_key_id == "KEY1");
    std::fclose(std::fopen((dir + "/fail").c_str(), "w"));
    clock += std::chrono::minutes(8);  // due: renewed, which fails; KEY1 is still good
    CHECK_FALSE(ask(k));
    CHECK(k.access_key_id == "KEY1");
    CHECK(runs() == 2);
    for (int i = 0; i < 5; ++i) CHECK_FALSE(ask(k));  // not asked again on every request
    CHECK(runs() == 2);
    clock += std::chrono::seconds(31);
    CHECK_FALSE(ask(k));
    CHECK(runs() == 3);
    CHECK(k.access_key_id == "KEY1");
    std::remove((dir + "/fail").c_str());
    clock += std::chrono::seconds(31);
    CHECK_FALSE(ask(k));
    CHECK(runs() == 4);
    CHECK(k.access_key_id == "KEY4");
    CHECK(p.renewals() == 1);
    // Failing past expiry: the error, not expired keys.
    std::fclose(std::fopen((dir + "/fail").c_str(), "w"));
    clock = expiry + std::chrono::seconds(1);
    CHECK(ask(k));
    std::remove((dir + "/fail").c_str());
    std::remove((dir + "/count").c_str());
    std::remove(script.c_str());
    rmdir(dir.c_str());
}

namespace {

// Collects a streamed body, counting the answers it was told to start.
struct collecting_sink : body_sink {
    int begins = 0;
    std::string got;
    void begin() override {
        ++begins;
        got.clear();
    }
    void data(std::string_view piece) override { got.append(piece); }
};

}  // namespace

TEST_CASE(
    "GetObject with a body sink: the body arrives in pieces, never in the response; errors stay whole") {
    std::string body;
    for (int i = 0; body.size() < 300000; ++i) body += "line " + std::to_string(i) + "\n";
    asio::io_context io;
    fake_peer* self = nullptr;
    fake_peer peer(io, [&](tcp::socket& s, int, int conn) -> asio::awaitable<bool> {
        const std::string head = self->last_request;
        if (head.find("GET /b/chunked") == 0) {
            std::string r = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            for (std::size_t at = 0; at < body.size(); at += 70000) {
                const std::string part = body.substr(at, 70000);
                char len[32];
                std::snprintf(len, sizeof len, "%zx\r\n", part.size());
                r += len + part + "\r\n";
            }
            r += "0\r\n\r\n";
            co_return co_await write_all(s, r);
        }
        if (head.find("GET /b/missing") == 0)
            co_return co_await write_all(s, reply(404, "Not Found", "<Error><Code>NoSuchKey</Code></Error>"));
        if (head.find("GET /b/cut") == 0 && conn == 0) {
            // Half the body, then the connection goes: sent again.
            co_await write_all(s, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                                      "\r\n\r\n" + body.substr(0, body.size() / 2));
            co_return false;
        }
        co_return co_await write_all(s, reply(200, "OK", body));
    });
    self = &peer;
    auto cfg = config(peer.port());
    cfg.endpoint.style = s3::addressing_style::path;
    s3::client c(io.get_executor(), cfg);
    diagnostics diag;
    REQUIRE_FALSE(c.init(diag));
    struct outcome {
        std::error_code ec;
        collecting_sink sink;
        s3::get_object_result res;
    };
    auto get = [&](const std::string& key) {
        auto out = std::make_unique<outcome>();
        bool done = false;
        asio::co_spawn(
            io,
            [&, key]() -> asio::awaitable<void> {
                s3::get_object_params p;
                p.key = key;
                p.sink = &out->sink;
                diagnostics d;
                out->ec = co_await c.get_object("b", std::move(p), out->res, d);
                done = true;
                io.stop();
            },
            asio::detached);
        io.restart();
        io.run_for(10s);
        REQUIRE(done);
        return out;
    };
    auto plain = get("plain");
    CHECK_FALSE(plain->ec);
    CHECK(plain->sink.begins == 1);
    CHECK(plain->sink.got == body);
    CHECK(plain->res.body.empty());
    auto chunked = get("chunked");
    CHECK_FALSE(chunked->ec);
    CHECK(chunked->sink.got == body);
    auto missing = get("missing");
    CHECK(missing->ec == errc::no_such_key);
    CHECK(missing->sink.begins == 0);
    auto cut = get("cut");
    CHECK_FALSE(cut->ec);
    CHECK(cut->sink.begins == 2);  // the second answer starts over
    CHECK(cut->sink.got == body);
}
