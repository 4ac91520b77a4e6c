// The only part of src/aws that touches the process: it reads the
// environment and the two files, and hands everything to resolve_config.
#include <pwd.h>
#include <sys/types.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "aws/paths.hpp"
#include "s3merge/aws/config.hpp"

namespace s3merge::aws {

namespace {

constexpr const char* relevant_env[] = {
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",  // legacy name of AWS_SESSION_TOKEN
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",  // legacy
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CONFIG_FILE",
    "AWS_CA_BUNDLE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    // The rest of the credential chain (aws/config.hpp's credential_plan).
    "AWS_ENDPOINT_URL_STS",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "AWS_EC2_METADATA_DISABLED",
    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
    "HOME",
};

std::optional<std::string> getenv_opt(std::string_view name) {
    const char* v = std::getenv(std::string(name).c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
}

std::optional<std::string> passwd_home(const char* user) {
    long size = sysconf(_SC_GETPW_R_SIZE_MAX);
    std::vector<char> buf(size > 0 ? static_cast<std::size_t>(size) : 16384);
    struct passwd pw {};
    struct passwd* result = nullptr;
    const int rc = user ? getpwnam_r(user, &pw, buf.data(), buf.size(), &result)
                        : getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &result);
    if (rc != 0 || result == nullptr || result->pw_dir == nullptr) return std::nullopt;
    return std::string(result->pw_dir);
}

// Python's expanduser: "~" is $HOME when HOME is set, else the password
// database; "~user" is always the password database.
std::optional<std::string> home_of(std::string_view user) {
    if (user.empty()) {
        if (auto home = getenv_opt("HOME")) return home;
        return passwd_home(nullptr);
    }
    return passwd_home(std::string(user).c_str());
}

// The file's contents; nullopt when it does not exist, is not a regular
// file (botocore: os.path.isfile) or cannot be read.
std::optional<std::string> read_file(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return std::nullopt;
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    std::ostringstream ss;
    ss << f.rdbuf();
    if (f.bad()) return std::nullopt;
    return std::move(ss).str();
}

std::string file_path(const config_inputs& in, const char* var, const char* fallback) {
    auto it = in.env.find(var);
    const std::string raw = it != in.env.end() && !it->second.empty() ? it->second : std::string(fallback);
    return detail::expand_path(raw, getenv_opt, home_of);
}

}  // namespace

config_inputs load_inputs(std::string cli_profile, std::string cli_region) {
    config_inputs in;
    in.cli_profile = std::move(cli_profile);
    in.cli_region = std::move(cli_region);
    for (const char* name : relevant_env)
        if (auto v = getenv_opt(name)) in.env.emplace(name, std::move(*v));

    in.credentials_path = file_path(in, "AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
    in.config_path = file_path(in, "AWS_CONFIG_FILE", "~/.aws/config");
    in.credentials_text = read_file(in.credentials_path);
    in.config_text = read_file(in.config_path);
    return in;
}

}  // namespace s3merge::aws
