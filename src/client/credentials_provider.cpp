// Carries out a credential plan and keeps it fresh. See
// include/s3merge/client/credentials_provider.hpp.
#include "s3merge/client/credentials_provider.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "s3merge/aws/credential_sources.hpp"
#include "s3merge/cloudtrail/query_api.hpp"
#include "s3merge/retry.hpp"
#include "s3merge/sigv4.hpp"

extern char** environ;

namespace s3merge::s3 {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::size_t max_answer_bytes = 64 * 1024;

std::error_code fail(diagnostics& diag, errc e, std::string detail) {
    diag.operation = "credentials";
    diag.detail = std::move(detail);
    return make_error_code(e);
}

bool read_small_file(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    if (out.size() > max_answer_bytes) return false;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r' || out.back() == ' ')) out.pop_back();
    return true;
}

}  // namespace

struct credentials_provider::impl {
    impl(asio::any_io_executor e, aws::credential_plan p, credentials b, provider_options o)
        : ex(e), plan(std::move(p)), base(std::move(b)), opts(std::move(o)), wake(e) {
        if (!opts.now) opts.now = [] { return std::chrono::system_clock::now(); };
        http::client_options ho = opts.http;
        ho.connect_timeout = std::chrono::seconds(5);
        ho.first_byte_timeout = std::chrono::seconds(20);
        ho.request_timeout = std::chrono::seconds(60);
        ho.max_body_bytes = max_answer_bytes;
        http_ = std::make_unique<http::client>(ex, ho);
        // Instance metadata answers at once or is not there: a laptop
        // without it fails fast.
        http::client_options mo = ho;
        mo.connect_timeout = std::chrono::seconds(1);
        mo.first_byte_timeout = std::chrono::seconds(1);
        mo.request_timeout = std::chrono::seconds(2);
        imds_http_ = std::make_unique<http::client>(ex, mo);
        wake.expires_at(asio::steady_timer::time_point::max());
        describe = plan.roles.empty() ? plan.base_where
                                      : "role " + plan.roles.back().role_arn + " (profile " +
                                            plan.roles.back().profile + ") via " + plan.base_where;
    }

    asio::any_io_executor ex;
    aws::credential_plan plan;
    credentials base;
    provider_options opts;
    std::unique_ptr<http::client> http_, imds_http_;
    sigv4::signer signer;

    credentials creds;
    std::optional<sys_time> expiration;
    std::optional<sys_time> due;  // renew at or after this
    sys_time obtained{};          // when the current keys came
    bool have = false;
    bool stale = false;
    bool renewing = false;
    std::uint64_t renewals = 0;
    // How the last renewal ended: waiters of a renewal that failed get its
    // error rather than trying again (one prompt for an MFA code, one call
    // to a role that refuses). A refusal (not a network failure) stays: no
    // later caller asks again.
    std::uint64_t finished = 0;
    std::error_code failed;
    std::string failed_detail;
    bool refused = false;
    std::string describe;
    asio::steady_timer wake;  // waiters for a renewal

    bool usable(sys_time now) const { return have && !stale && (!due || now < *due); }

    // ---- one request -------------------------------------------------------
    asio::awaitable<std::error_code> send(http::client& c, const std::string& url, http_request req,
                                          http_response& resp, diagnostics& diag) {
        s3::parsed_url u;
        if (s3::parse_url(url, u))
            co_return fail(diag, errc::invalid_url, "credentials endpoint '" + url + "' is not a URL");
        http::origin o{u.scheme == "https", u.host, u.port};
        // The URL's own path, then the request's (IMDS and SSO name theirs
        // under the endpoint; the container URL is the whole address).
        std::string base_path = u.path;
        while (base_path.ends_with("/")) base_path.pop_back();
        req.path =
            (req.path.empty() || req.path == "/") ? (u.path.empty() ? "/" : u.path) : base_path + req.path;
        req.host = u.host + ((u.scheme == "https" && u.port == 443) || (u.scheme == "http" && u.port == 80)
                                 ? std::string()
                                 : ":" + std::to_string(u.port));
        co_return co_await c.send(o, req, resp, diag);
    }

    // STS (signed with `with`, or not for web identity).
    asio::awaitable<std::error_code> sts(http_request req, const credentials* with,
                                         std::string_view operation, aws::temporary_credentials& out,
                                         diagnostics& diag) {
        s3::target t;
        if (auto ec =
                cloudtrail::resolve_query_target("sts", plan.sts_endpoint_url, plan.sts_region, t, diag))
            co_return ec;
        req.host = t.host_header;
        if (with) {
            sigv4::signing_params sp;
            sp.region = t.region;
            sp.service = "sts";
            sp.add_content_sha256_header = false;
            sp.now = opts.now();
            signer.sign(req, *with, sp);
        }
        http_response resp;
        http::origin o{t.tls(), t.host, t.port};
        if (auto ec = co_await http_->send(o, req, resp, diag)) co_return ec;
        co_return aws::parse_sts_credentials(resp, operation, out, diag);
    }

    // ---- the base ----------------------------------------------------------
    asio::awaitable<std::error_code> run_process(aws::temporary_credentials& out, diagnostics& diag) {
        std::vector<std::string> words;
        if (!aws::split_command(plan.process_command, words))
            co_return fail(diag, errc::config_error,
                           "credential_process of profile '" + opts.profile +
                               "' is not a command line (a quote is not closed)");
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0)
            co_return fail(diag, errc::config_error, "credential_process: cannot make a pipe");
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
        std::vector<char*> argv;
        for (auto& w : words) argv.push_back(w.data());
        argv.push_back(nullptr);
        pid_t pid = 0;
        // No shell: the words are the program and its arguments; its stderr
        // is ours (passes through), its stdout is read here and never shown.
        int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&fa);
        ::close(fds[1]);
        if (rc != 0) {
            ::close(fds[0]);
            co_return fail(diag, errc::config_error,
                           "credential_process of profile '" + opts.profile + "': cannot run '" + words[0] +
                               "': " + std::strerror(rc));
        }
        asio::posix::stream_descriptor pipe(ex, fds[0]);
        std::string output;
        char buf[4096];
        for (;;) {
            auto [ec, n] = co_await pipe.async_read_some(asio::buffer(buf), use_tuple);
            output.append(buf, n);
            if (ec || output.size() > max_answer_bytes) break;
        }
        pipe.close();
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            co_return fail(
                diag, errc::no_credentials,
                "credential_process of profile '" + opts.profile + "' (" + words[0] + ") " +
                    (WIFEXITED(status) ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                       : std::string("was killed")) +
                    " (its messages, if any, are above)");
        if (output.size() > max_answer_bytes)
            co_return fail(diag, errc::malformed_response, "credential_process printed more than 64 KiB");
        if (auto ec = aws::parse_process_credentials(output, out, diag)) {
            diag.operation = "credentials";
            diag.detail = "credential_process of profile '" + opts.profile + "': " + diag.detail;
            co_return ec;
        }
        co_return std::error_code{};
    }

    asio::awaitable<std::error_code> container(aws::temporary_credentials& out, diagnostics& diag) {
        http_request req;
        req.method = "GET";
        std::string token = plan.container_token;
        if (!plan.container_token_file.empty() && !read_small_file(plan.container_token_file, token))
            co_return fail(diag, errc::no_credentials,
                           "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE " + plan.container_token_file);
        if (token.find_first_of("\r\n") != std::string::npos)
            co_return fail(diag, errc::config_error, "the container authorization token holds a line break");
        if (!token.empty()) req.set_header("Authorization", token);
        http_response resp;
        if (auto ec = co_await send(*http_, plan.container_url, req, resp, diag)) {
            diag.detail = "container credentials (" + plan.container_url + "): " + diag.detail;
            co_return ec;
        }
        if (resp.status != 200)
            co_return fail(
                diag, resp.status == 401 || resp.status == 403 ? errc::access_denied : errc::no_credentials,
                "container credentials (" + plan.container_url + ") answered HTTP " +
                    std::to_string(resp.status));
        co_return aws::parse_container_credentials(resp.body, out, diag);
    }

    asio::awaitable<std::error_code> instance_metadata(aws::temporary_credentials& out, diagnostics& diag) {
        const std::string& ep = plan.imds_endpoint;
        std::error_code last;
        // Two tries (one retry), each within the short timeouts.
        for (int attempt = 0; attempt < 2; ++attempt) {
            diag = diagnostics{};
            http_request put;
            put.method = "PUT";
            put.path = "/latest/api/token";
            put.set_header("X-aws-ec2-metadata-token-ttl-seconds", "21600");
            http_response tok;
            last = co_await send(*imds_http_, ep, put, tok, diag);
            if (last) continue;
            if (tok.status != 200 || tok.body.empty()) {
                last = make_error_code(errc::no_credentials);
                diag.detail = "the metadata token request (PUT /latest/api/token) answered HTTP " +
                              std::to_string(tok.status);
                continue;
            }
            http_request get;
            get.method = "GET";
            get.path = "/latest/meta-data/iam/security-credentials/";
            get.set_header("X-aws-ec2-metadata-token", tok.body);
            http_response role;
            if ((last = co_await send(*imds_http_, ep, get, role, diag))) continue;
            std::string name = role.body.substr(0, role.body.find('\n'));
            if (role.status != 200 || name.empty())
                co_return fail(diag, errc::no_credentials,
                               "EC2 instance metadata (" + ep + ") names no instance profile role (HTTP " +
                                   std::to_string(role.status) +
                                   "): attach an instance profile to the instance");
            get.path += name;
            http_response creds_resp;
            if ((last = co_await send(*imds_http_, ep, get, creds_resp, diag))) continue;
            if (creds_resp.status != 200)
                co_return fail(diag, errc::no_credentials,
                               "EC2 instance metadata (" + ep + ") answered HTTP " +
                                   std::to_string(creds_resp.status) + " for the role's credentials");
            co_return aws::parse_imds_credentials(creds_resp.body, out, diag);
        }
        std::string why = diag.detail.empty() ? last.message() : diag.detail;
        std::string tried = plan.tried.empty() ? std::string() : plan.tried + ", and ";
        co_return fail(diag, errc::no_credentials,
                       "no credentials for profile '" + opts.profile + "': " + tried +
                           "EC2 instance metadata at " + ep + " did not answer (" + why + ")");
    }

    asio::awaitable<std::error_code> web_identity(aws::temporary_credentials& out, diagnostics& diag) {
        std::string token;
        // Re-read on every renewal: EKS rotates the file.
        if (!read_small_file(plan.token_file, token) || token.empty())
            co_return fail(diag, errc::no_credentials,
                           "cannot read the web identity token file " + plan.token_file);
        const std::string session = plan.web_role.session_name.empty() ? aws::default_session_name(opts.now())
                                                                       : plan.web_role.session_name;
        auto req = aws::build_assume_role_with_web_identity(s3::target{}, plan.web_role, session, token);
        if (auto ec = co_await sts(std::move(req), nullptr, "AssumeRoleWithWebIdentity", out, diag)) {
            diag.operation = "STS AssumeRoleWithWebIdentity of " + plan.web_role.role_arn;
            co_return ec;
        }
        co_return std::error_code{};
    }

    asio::awaitable<std::error_code> sso(aws::temporary_credentials& out, diagnostics& diag) {
        const std::string key = plan.sso_session.empty() ? plan.sso_start_url : plan.sso_session;
        const std::string path = opts.home + "/.aws/sso/cache/" + aws::sso_cache_file_name(key);
        const std::string login = "run: aws sso login --profile " + opts.profile;
        std::string text;
        if (!read_small_file(path, text))
            co_return fail(diag, errc::no_credentials,
                           "no IAM Identity Center token for profile '" + opts.profile + "' (" + path +
                               " is missing); " + login);
        aws::sso_token tok;
        if (auto ec = aws::parse_sso_token(text, tok, diag))
            co_return fail(diag, errc::no_credentials, path + ": " + diag.detail + "; " + login);
        if (!tok.start_url.empty() && !plan.sso_start_url.empty() && tok.start_url != plan.sso_start_url)
            co_return fail(diag, errc::no_credentials,
                           path + " holds a token of another start URL (" + tok.start_url + "); " + login);
        if (tok.expires_at <= opts.now())
            co_return fail(diag, errc::expired_token,
                           "the IAM Identity Center token of profile '" + opts.profile + "' expired at " +
                               format_iso8601(tok.expires_at) + "; " + login);
        std::string url = opts.sso_endpoint_url.empty()
                              ? "https://portal.sso." + plan.sso_region + ".amazonaws.com"
                              : opts.sso_endpoint_url;
        while (url.ends_with("/")) url.pop_back();
        http_request req;
        req.method = "GET";
        req.path = "/federation/credentials";
        req.query.push_back({"account_id", plan.sso_account_id});
        req.query.push_back({"role_name", plan.sso_role_name});
        req.set_header("x-amz-sso_bearer_token", tok.access_token);
        http_response resp;
        if (auto ec = co_await send(*http_, url, req, resp, diag)) co_return ec;
        if (resp.status == 401 || resp.status == 403)
            co_return fail(diag, errc::expired_token,
                           "IAM Identity Center refused the token of profile '" + opts.profile + "' (HTTP " +
                               std::to_string(resp.status) + "); " + login);
        if (resp.status != 200)
            co_return fail(
                diag, errc::no_credentials,
                "IAM Identity Center GetRoleCredentials answered HTTP " + std::to_string(resp.status));
        co_return aws::parse_sso_role_credentials(resp.body, out, diag);
    }

    // ---- the chain ---------------------------------------------------------
    asio::awaitable<std::error_code> obtain(aws::temporary_credentials& out, diagnostics& diag) {
        switch (plan.base) {
            case aws::credential_source::static_keys:
                out.creds = base;
                out.expiration.reset();
                break;
            case aws::credential_source::process:
                if (auto ec = co_await run_process(out, diag)) co_return ec;
                break;
            case aws::credential_source::web_identity:
                if (auto ec = co_await web_identity(out, diag)) co_return ec;
                break;
            case aws::credential_source::sso:
                if (auto ec = co_await sso(out, diag)) co_return ec;
                break;
            case aws::credential_source::container:
                if (auto ec = co_await container(out, diag)) co_return ec;
                break;
            case aws::credential_source::instance_metadata:
                if (auto ec = co_await instance_metadata(out, diag)) co_return ec;
                break;
        }
        for (const auto& role : plan.roles) {
            std::string code;
            if (!role.mfa_serial.empty()) {
                auto c = opts.ask_mfa_code ? opts.ask_mfa_code(role.mfa_serial) : std::nullopt;
                if (!c)
                    co_return fail(
                        diag, errc::config_error,
                        "profile '" + role.profile + "' needs an MFA code for " + role.mfa_serial +
                            ", and there is no terminal to ask for it: run on a terminal, or export "
                            "temporary keys (aws configure export-credentials --profile " +
                            role.profile + " --format env)");
                code = *c;
            }
            const std::string session =
                role.session_name.empty() ? aws::default_session_name(opts.now()) : role.session_name;
            auto req = aws::build_assume_role(s3::target{}, role, session, code);
            aws::temporary_credentials next;
            if (auto ec = co_await sts(std::move(req), &out.creds, "AssumeRole", next, diag)) {
                diag.operation = "STS AssumeRole of " + role.role_arn + " (profile " + role.profile + ")";
                if (diag.s3_code.empty()) diag.detail = diag.operation + ": " + diag.detail;
                co_return ec;
            }
            out = std::move(next);
        }
        co_return std::error_code{};
    }

    asio::awaitable<std::error_code> renew(diagnostics& diag) {
        renewing = true;
        aws::temporary_credentials got;
        auto ec = co_await obtain(got, diag);
        renewing = false;
        ++finished;
        if (ec) {
            // One line saying where the credentials were to come from and
            // what was said; the S3 call that needed them names itself.
            std::string said = diag.detail;
            if (!diag.s3_code.empty())
                said = diag.operation + " said " + diag.s3_code +
                       (diag.message.empty() ? "" : ": " + diag.message) +
                       (diag.detail.empty() ? "" : " (" + diag.detail + ")");
            // A refusal (no such role, not allowed to assume it, a bad
            // answer) is a credentials problem (exit 3); a network failure
            // stays one (exit 4), and a busy or failing service may be asked
            // again by the next caller.
            const bool passing = is_transport_failure(ec) || ec == errc::cancelled || ec == errc::throttled ||
                                 ec == errc::server_error;
            if (!passing && ec != errc::no_credentials && ec != errc::expired_token)
                ec = make_error_code(errc::config_error);
            failed = ec;
            failed_detail = "credentials from " + describe + ": " + said;
            // A renewal ahead of time that failed: the keys in hand are good
            // until they expire; asked again in 30 s, not on every request.
            const sys_time now = opts.now();
            if (have && !stale && expiration && now < *expiration) {
                due = std::min(*expiration, now + std::chrono::seconds(30));
                refused = false;
            } else {
                refused = !passing;
            }
        } else {
            failed = {};
            failed_detail.clear();
            const sys_time now = opts.now();
            creds = std::move(got.creds);
            obtained = now;
            expiration = got.expiration;
            due = expiration ? std::optional<sys_time>(aws::refresh_due(now, *expiration)) : std::nullopt;
            if (have) ++renewals;
            refused = false;
            have = true;
            stale = false;
        }
        // Waiters look again: fresh keys, or their own try.
        wake.cancel();
        co_return ec;
    }
};

credentials_provider::credentials_provider(asio::any_io_executor ex, aws::credential_plan plan,
                                           credentials base, provider_options opts)
    : impl_(std::make_unique<impl>(ex, std::move(plan), std::move(base), std::move(opts))) {}
credentials_provider::~credentials_provider() = default;

const credentials* credentials_provider::fresh() {
    return impl_->usable(impl_->opts.now()) ? &impl_->creds : nullptr;
}

asio::awaitable<std::error_code> credentials_provider::current(credentials& out, diagnostics& diag) {
    auto& d = *impl_;
    auto failure = [&]() {
        diag = diagnostics{};
        diag.detail = d.failed_detail;
        return d.failed;
    };
    for (int tries = 0;; ++tries) {
        const sys_time now = d.opts.now();
        if (d.usable(now)) {
            out = d.creds;
            co_return std::error_code{};
        }
        // Keys that are due but not yet expired stay good while another
        // caller renews them: nothing stalls on a renewal ahead of time.
        if (d.renewing && d.have && !d.stale && d.expiration && now < *d.expiration) {
            out = d.creds;
            co_return std::error_code{};
        }
        if (d.renewing) {
            // `wake` never expires: a wait ends when the renewal cancels it.
            // Waiters of a renewal that failed get its error (unless the
            // keys in hand are still good), rather than trying again.
            const std::uint64_t before = d.finished;
            co_await d.wake.async_wait(use_tuple);
            if (d.finished != before && d.failed && !d.usable(d.opts.now())) co_return failure();
            continue;
        }
        if (d.refused) co_return failure();
        if (tries > 2)
            co_return fail(diag, errc::no_credentials, "credentials: renewed keys were not usable");
        if (co_await d.renew(diag) && !d.usable(d.opts.now())) co_return failure();
    }
}

void credentials_provider::expired(const std::string& access_key_id) {
    if (impl_->creds.access_key_id == access_key_id) impl_->stale = true;
}

bool credentials_provider::maybe_expired(const std::string& access_key_id) {
    auto& d = *impl_;
    if (d.creds.access_key_id != access_key_id || !d.have || d.stale) return false;
    if (d.opts.now() - d.obtained < std::chrono::minutes(1)) return false;
    d.stale = true;
    return true;
}

std::uint64_t credentials_provider::renewals() const {
    return impl_->renewals;
}
const std::string& credentials_provider::source() const {
    return impl_->describe;
}
std::optional<sys_time> credentials_provider::expiration() const {
    return impl_->expiration;
}

}  // namespace s3merge::s3
