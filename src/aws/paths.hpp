// Path expansion for AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE, as
// botocore does it: os.path.expandvars, then os.path.expanduser. Pure: the
// environment and the password database are passed in as lookups.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace s3merge::aws::detail {

// Returns the value of an environment variable, or nullopt when unset.
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;
// Returns the home directory of a user ("" = the current user), or nullopt.
using home_lookup = std::function<std::optional<std::string>(std::string_view user)>;

// "$NAME" and "${NAME}" (NAME of letters, digits, '_') replaced by the
// variable's value; unset variables are left as written.
std::string expand_vars(std::string_view path, const env_lookup& env);

// A leading "~" or "~user", up to the first '/', replaced by the home
// directory (trailing '/' of the home removed). Unknown users and paths not
// starting with '~' are returned unchanged.
std::string expand_user(std::string_view path, const home_lookup& home);

// expand_user(expand_vars(path)), as botocore's raw_config_parse does.
std::string expand_path(std::string_view path, const env_lookup& env, const home_lookup& home);

}  // namespace s3merge::aws::detail
