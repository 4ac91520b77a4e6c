// The requests and answers of every source of temporary credentials, sans-io:
// STS AssumeRole and AssumeRoleWithWebIdentity (Query API, XML), the
// container endpoint and EC2 instance metadata (JSON), IAM Identity Center
// GetRoleCredentials and its token cache (JSON), credential_process output
// (JSON); and when to refresh. The I/O is s3::credentials_provider's.
//
// Nothing here puts a key, secret, token or a document that may hold one
// into diagnostics: messages name fields, never their values.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/aws/config.hpp"
#include "s3merge/credentials.hpp"
#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"
#include "s3merge/time.hpp"

namespace s3merge::aws {

struct temporary_credentials {
    credentials creds;
    std::optional<sys_time> expiration;  // none: they do not expire
};

// ---- STS (Query API, form-encoded POST, signed for "sts"; the web identity
// call is not signed) --------------------------------------------------------

// Action=AssumeRole: RoleArn, RoleSessionName, and ExternalId,
// DurationSeconds, SerialNumber + TokenCode when given.
http_request build_assume_role(const s3::target& t, const role_step& r, std::string_view session_name,
                               std::string_view mfa_code);
// Action=AssumeRoleWithWebIdentity: RoleArn, RoleSessionName, WebIdentityToken.
http_request build_assume_role_with_web_identity(const s3::target& t, const role_step& r,
                                                 std::string_view session_name, std::string_view token);
// <AssumeRoleResponse> / <AssumeRoleWithWebIdentityResponse>: the
// <Credentials> (all four fields required); an STS error is classified.
std::error_code parse_sts_credentials(const http_response& r, std::string_view operation,
                                      temporary_credentials& out, diagnostics& diag);
// "s3merge-<seconds since the epoch>", as botocore's "botocore-session-N".
std::string default_session_name(sys_time now);

// ---- JSON answers ---------------------------------------------------------

// Container endpoint (ECS, EKS Pod Identity) and EC2 instance metadata:
// {"AccessKeyId","SecretAccessKey","Token","Expiration"}; instance metadata
// also says "Code": "Success".
std::error_code parse_container_credentials(std::string_view json, temporary_credentials& out,
                                            diagnostics& diag);
std::error_code parse_imds_credentials(std::string_view json, temporary_credentials& out, diagnostics& diag);
// credential_process: {"Version": 1, "AccessKeyId", "SecretAccessKey",
// optional "SessionToken" and "Expiration"}.
std::error_code parse_process_credentials(std::string_view json, temporary_credentials& out,
                                          diagnostics& diag);
// IAM Identity Center GetRoleCredentials:
// {"roleCredentials":{"accessKeyId","secretAccessKey","sessionToken","expiration": epoch ms}}.
std::error_code parse_sso_role_credentials(std::string_view json, temporary_credentials& out,
                                           diagnostics& diag);
// The token cache file (~/.aws/sso/cache/<sha1>.json): "accessToken",
// "expiresAt" (ISO 8601; "+00:00" or "Z"), and "startUrl" when present.
struct sso_token {
    std::string access_token;
    sys_time expires_at;
    std::string start_url;
};
std::error_code parse_sso_token(std::string_view json, sso_token& out, diagnostics& diag);
// The cache file name: SHA-1 (hex) of the sso_session name, or of the start
// URL for a legacy profile, + ".json".
std::string sso_cache_file_name(std::string_view session_or_start_url);

// ---- credential_process ---------------------------------------------------

// The command split as botocore does (shlex.split, POSIX rules): blanks
// separate words; single quotes keep everything; double quotes keep all but
// \" \\ \$ \`; a backslash outside quotes keeps the next character. An
// unterminated quote is an error (false).
bool split_command(std::string_view command, std::vector<std::string>& out);

// ---- freshness ------------------------------------------------------------

// When to refresh credentials obtained at `obtained` that expire at
// `expiration`: 10 minutes before, or halfway when they live less than 20
// minutes (a 15-minute session is refreshed after 7.5).
sys_time refresh_due(sys_time obtained, sys_time expiration);

}  // namespace s3merge::aws
