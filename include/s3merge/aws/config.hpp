// Credentials and region resolution, AWS CLI compatible. The resolution is
// pure: the environment and the file contents are inputs. load_inputs() is
// the only function that touches the process environment and the disk.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/credentials.hpp"

namespace s3merge::aws {

// An INI file as the AWS CLI reads it: sections of key = value pairs.
// Keys are lower-cased, values trimmed; '#' and ';' start comment lines;
// indented continuation lines (nested "s3 =" blocks) are kept as
// "parent.child" keys. Later duplicates win.
struct ini_file {
    std::map<std::string, std::map<std::string, std::string>> sections;
    const std::string* get(std::string_view section, std::string_view key) const;
};
// Errors: config_error with diag.detail "line N: ...".
std::error_code parse_ini(std::string_view text, ini_file& out, diagnostics& diag);

struct config_inputs {
    // Relevant environment variables (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
    // AWS_SESSION_TOKEN, AWS_PROFILE, AWS_DEFAULT_PROFILE, AWS_REGION,
    // AWS_DEFAULT_REGION, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE,
    // AWS_CA_BUNDLE, AWS_ENDPOINT_URL, HOME).
    std::map<std::string, std::string> env;
    std::string cli_profile;                      // --profile
    std::string cli_region;                       // --region
    std::optional<std::string> credentials_text;  // contents of the credentials file, if it exists
    std::optional<std::string> config_text;       // contents of the config file, if it exists
    std::string credentials_path;                 // for messages
    std::string config_path;
};

// Where credentials come from when they are not plain keys: the AWS CLI's
// chain beyond the environment and the files' keys. resolve_config() makes
// the plan (pure); the client layer carries it out and refreshes it.
enum class credential_source {
    static_keys,        // environment or a profile's keys: `creds`
    process,            // credential_process: run without a shell, JSON on stdout
    web_identity,       // AssumeRoleWithWebIdentity with a token file
    sso,                // IAM Identity Center: the cached token, then GetRoleCredentials
    container,          // ECS / EKS Pod Identity container endpoint
    instance_metadata,  // EC2 instance metadata (IMDSv2)
};
const char* to_string(credential_source s);

// A region that STS sends to the global endpoint (sts.amazonaws.com) when
// AWS_STS_REGIONAL_ENDPOINTS=legacy.
bool is_legacy_global_sts_region(std::string_view region);

// A few words for a status line from resolved_config::credentials_source:
// "role NAME" for a role chain, else the source without its details
// ("EC2 instance metadata", "IAM Identity Center", ...).
std::string short_credentials_source(std::string_view source);

// One STS AssumeRole of a chain (role_arn with source_profile or
// credential_source), in the order they are assumed.
struct role_step {
    std::string profile;  // the profile that names the role (for messages)
    std::string role_arn;
    std::string external_id;
    std::string session_name;  // role_session_name, else one is made
    std::string mfa_serial;    // a code is asked for on a terminal
    int duration_seconds = 0;  // 0: STS's default (3600)
};

struct credential_plan {
    credential_source base = credential_source::static_keys;
    std::string base_where;  // where the base comes from, for messages and the report
    // process
    std::string process_command;
    // web_identity: the token file (re-read on every refresh) and its role
    std::string token_file;
    role_step web_role;
    // sso
    std::string sso_start_url, sso_region, sso_account_id, sso_role_name, sso_session;
    // container: the full URL, and the authorization token or its file
    std::string container_url, container_token, container_token_file;
    // instance_metadata: the endpoint ("http://169.254.169.254" unless set),
    // and, when it is the last resort, what was tried before (for messages)
    std::string imds_endpoint;
    std::string tried;
    // Then these roles, in order, each assumed with the credentials before it.
    std::vector<role_step> roles;
    std::string sts_region;        // the region STS calls are signed for (regional endpoints)
    std::string sts_endpoint_url;  // AWS_ENDPOINT_URL_STS / [services] sts, when set
    // Temporary credentials that need renewing (anything but static keys
    // without roles).
    bool refreshable() const { return base != credential_source::static_keys || !roles.empty(); }
};

struct resolved_config {
    credentials creds;  // static keys (plan.base == static_keys), the base of any role chain
    credential_plan plan;
    std::string region;              // may be empty: callers decide the default
    std::string profile;             // the profile in use ("default" if none named)
    std::string credentials_source;  // "environment", "credentials file <path> [profile]", ...
    std::string region_source;
    std::string ca_bundle;     // AWS_CA_BUNDLE or profile ca_bundle
    std::string endpoint_url;  // AWS_ENDPOINT_URL or profile endpoint_url
};

// Precedence (as the AWS CLI): credentials — a named profile (--profile)
// wins over environment keys; otherwise environment keys
// (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]), then the
// profile (AWS_PROFILE, else "default") in the credentials file, then in the
// config file. Region — --region, AWS_REGION, AWS_DEFAULT_REGION, the
// profile's region in the config file. A named profile that exists in
// neither file is an error (config_error naming the profile and both paths);
// missing credentials are no_credentials with a hint.
std::error_code resolve_config(const config_inputs& in, resolved_config& out, diagnostics& diag);

// Reads the environment and the files named by AWS_SHARED_CREDENTIALS_FILE /
// AWS_CONFIG_FILE (default ~/.aws/credentials, ~/.aws/config).
config_inputs load_inputs(std::string cli_profile, std::string cli_region);

}  // namespace s3merge::aws
