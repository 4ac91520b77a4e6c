// Carries out a credential plan (aws/config.hpp) and keeps its credentials
// fresh: the base source (static keys, credential_process, web identity,
// IAM Identity Center, container endpoint, EC2 instance metadata), then each
// role of the chain through STS AssumeRole. Temporary credentials are
// renewed before they expire (aws::refresh_due), one renewal at a time:
// requests already signed finish with the old keys, callers that need keys
// while a renewal runs wait for it, nothing is dropped. A server that says
// the keys expired marks them stale (expired()), and the next caller renews.
//
// Requests of its own go through its own small HTTP client (short timeouts
// for instance metadata). Never prints or logs a key, secret or token.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "s3merge/aws/config.hpp"
#include "s3merge/credentials.hpp"
#include "s3merge/error.hpp"
#include "s3merge/http/client.hpp"
#include "s3merge/time.hpp"

namespace s3merge::s3 {

struct provider_options {
    http::client_options http;     // CA bundle, peer verification (for STS, SSO, container over https)
    std::string profile;           // for messages ("aws sso login --profile NAME")
    std::string home;              // for ~/.aws/sso/cache
    std::string sso_endpoint_url;  // AWS_ENDPOINT_URL_SSO, when set
    // MFA: asks for the code of a device (on the terminal); nullopt: no
    // terminal, the role cannot be assumed.
    std::function<std::optional<std::string>(const std::string& mfa_serial)> ask_mfa_code;
    std::function<sys_time()> now;  // the wall clock (a parameter for tests)
};

class credentials_provider {
public:
    credentials_provider(boost::asio::any_io_executor ex, aws::credential_plan plan, credentials base,
                         provider_options opts);
    ~credentials_provider();
    credentials_provider(const credentials_provider&) = delete;
    credentials_provider& operator=(const credentials_provider&) = delete;

    // Fresh keys, without waiting: null when a renewal is due or running.
    const credentials* fresh();
    // The keys to sign with, renewed first when due.
    boost::asio::awaitable<std::error_code> current(credentials& out, diagnostics& diag);
    // The server said these keys expired (ExpiredToken and kin).
    void expired(const std::string& access_key_id);
    // A HEAD answered a bare 400 (HEAD answers carry no error code): the keys
    // may have expired. Marked stale, as expired() does, unless they were
    // obtained less than a minute ago; true when they were.
    bool maybe_expired(const std::string& access_key_id);

    std::uint64_t renewals() const;
    const std::string& source() const;
    std::optional<sys_time> expiration() const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace s3merge::s3
