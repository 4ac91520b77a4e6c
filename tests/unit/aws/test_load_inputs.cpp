#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <ostream>  // doctest prints std::error_code with operator<<
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "aws/paths.hpp"
#include "s3merge/aws/config.hpp"

using namespace s3merge;
using namespace s3merge::aws;

namespace {

// Sets/unsets environment variables for the duration of a test and
// restores every touched variable afterwards.
class env_guard {
public:
    env_guard() = default;
    env_guard(const env_guard&) = delete;
    env_guard& operator=(const env_guard&) = delete;
    ~env_guard() {
        for (const auto& [name, old] : saved_) {
            if (old)
                ::setenv(name.c_str(), old->c_str(), 1);
            else
                ::unsetenv(name.c_str());
        }
    }
    void set(const std::string& name, const std::string& value) {
        save(name);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    void unset(const std::string& name) {
        save(name);
        ::unsetenv(name.c_str());
    }

private:
    void save(const std::string& name) {
        if (saved_.count(name)) return;
        const char* v = std::getenv(name.c_str());
        saved_[name] = v ? std::optional<std::string>(v) : std::nullopt;
    }
    std::map<std::string, std::optional<std::string>> saved_;
};

// A fresh directory under $TMPDIR, removed at the end of the test.
class temp_dir {
public:
    temp_dir() {
        std::string tmpl = (std::filesystem::temp_directory_path() / "s3merge-aws-XXXXXX").string();
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path_ = tmpl;
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const { return path_; }
    void write(const std::filesystem::path& rel, const std::string& text) const {
        std::filesystem::create_directories((path_ / rel).parent_path());
        std::ofstream f(path_ / rel, std::ios::binary);
        f << text;
        REQUIRE(f.good());
    }

private:
    std::filesystem::path path_;
};

const char* const all_vars[] = {"AWS_ACCESS_KEY_ID",
                                "AWS_SECRET_ACCESS_KEY",
                                "AWS_SESSION_TOKEN",
                                "AWS_SECURITY_TOKEN",
                                "AWS_PROFILE",
                                "AWS_DEFAULT_PROFILE",
                                "AWS_REGION",
                                "AWS_DEFAULT_REGION",
                                "AWS_SHARED_CREDENTIALS_FILE",
                                "AWS_CONFIG_FILE",
                                "AWS_CA_BUNDLE",
                                "AWS_ENDPOINT_URL",
                                "AWS_ENDPOINT_URL_S3",
                                "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                                "AWS_WEB_IDENTITY_TOKEN_FILE",
                                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI"};

void clear_aws_env(env_guard& env) {
    for (const char* v : all_vars) env.unset(v);
}

}  // namespace

TEST_CASE("expand_user: '~' and '~user' as Python's expanduser") {
    using detail::expand_user;
    const detail::home_lookup home = [](std::string_view user) -> std::optional<std::string> {
        if (user.empty()) return std::string("/home/me/");
        if (user == "alice") return std::string("/srv/alice");
        return std::nullopt;
    };
    CHECK(expand_user("~/.aws/config", home) == "/home/me/.aws/config");
    CHECK(expand_user("~", home) == "/home/me");
    CHECK(expand_user("~alice/creds", home) == "/srv/alice/creds");
    CHECK(expand_user("~bob/creds", home) == "~bob/creds");  // unknown user: unchanged
    CHECK(expand_user("/abs/~/x", home) == "/abs/~/x");      // only a leading '~'
    CHECK(expand_user("rel/path", home) == "rel/path");
    const detail::home_lookup root = [](std::string_view) -> std::optional<std::string> {
        return std::string("/");
    };
    CHECK(expand_user("~", root) == "/");
    CHECK(expand_user("~/x", root) == "/x");
    const detail::home_lookup none = [](std::string_view) -> std::optional<std::string> {
        return std::nullopt;
    };
    CHECK(expand_user("~/x", none) == "~/x");
}

TEST_CASE("expand_vars: $NAME and ${NAME} as Python's expandvars") {
    using detail::expand_vars;
    const detail::env_lookup env = [](std::string_view name) -> std::optional<std::string> {
        if (name == "DIR") return std::string("/data");
        if (name == "EMPTY") return std::string();
        return std::nullopt;
    };
    CHECK(expand_vars("$DIR/aws/config", env) == "/data/aws/config");
    CHECK(expand_vars("${DIR}x/config", env) == "/datax/config");
    CHECK(expand_vars("$DIRx/config", env) == "$DIRx/config");  // DIRx is unset: kept
    CHECK(expand_vars("a$EMPTY/b", env) == "a/b");
    CHECK(expand_vars("cost$", env) == "cost$");
    CHECK(expand_vars("${unclosed", env) == "${unclosed");
    CHECK(expand_vars("no vars", env) == "no vars");
    CHECK(detail::expand_path("~/$DIR", env, [](std::string_view) -> std::optional<std::string> {
              return std::string("/h");
          }) == "/h//data");
}

TEST_CASE("load_inputs: reads the environment and the files named by the variables") {
    temp_dir dir;
    dir.write("creds.ini", "[default]\naws_access_key_id = AKID_FILE\naws_secret_access_key = s3cr3t_file\n");
    dir.write("conf dir/config", "[profile prod]\nregion = eu-west-2\n");

    env_guard env;
    clear_aws_env(env);
    env.set("AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "creds.ini").string());
    env.set("AWS_CONFIG_FILE", (dir.path() / "conf dir" / "config").string());
    env.set("AWS_REGION", "ca-central-1");
    env.set("AWS_SESSION_TOKEN", "t0ken_env");
    env.set("S3MERGE_UNRELATED_VARIABLE", "x");

    const config_inputs in = load_inputs("prod", "us-west-2");
    CHECK(in.cli_profile == "prod");
    CHECK(in.cli_region == "us-west-2");
    CHECK(in.credentials_path == (dir.path() / "creds.ini").string());
    CHECK(in.config_path == (dir.path() / "conf dir" / "config").string());
    REQUIRE(in.credentials_text.has_value());
    CHECK(*in.credentials_text ==
          "[default]\naws_access_key_id = AKID_FILE\naws_secret_access_key = s3cr3t_file\n");
    REQUIRE(in.config_text.has_value());
    CHECK(*in.config_text == "[profile prod]\nregion = eu-west-2\n");
    CHECK(in.env.at("AWS_REGION") == "ca-central-1");
    CHECK(in.env.at("AWS_SESSION_TOKEN") == "t0ken_env");
    CHECK(in.env.count("AWS_PROFILE") == 0);
    CHECK(in.env.count("S3MERGE_UNRELATED_VARIABLE") == 0);

    // And the whole chain on top of it.
    auto in2 = load_inputs("", "");
    resolved_config out;
    diagnostics diag;
    REQUIRE_FALSE(resolve_config(in2, out, diag));
    CHECK(out.creds.access_key_id == "AKID_FILE");
    CHECK(out.region == "ca-central-1");
    CHECK(out.credentials_source == "credentials file " + (dir.path() / "creds.ini").string() + " [default]");
}

TEST_CASE("load_inputs: '~' in AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE expands with HOME") {
    temp_dir dir;
    dir.write("my/creds", "[x]\naws_access_key_id = A\naws_secret_access_key = s3cr3t\n");
    dir.write("my/config", "[profile x]\nregion = r\n");

    env_guard env;
    clear_aws_env(env);
    env.set("HOME", dir.path().string());
    env.set("AWS_SHARED_CREDENTIALS_FILE", "~/my/creds");
    env.set("AWS_CONFIG_FILE", "~/my/config");

    const config_inputs in = load_inputs("", "");
    CHECK(in.credentials_path == dir.path().string() + "/my/creds");
    CHECK(in.config_path == dir.path().string() + "/my/config");
    CHECK(in.credentials_text.has_value());
    CHECK(in.config_text == std::optional<std::string>("[profile x]\nregion = r\n"));
}

TEST_CASE("load_inputs: defaults to ~/.aws/credentials and ~/.aws/config") {
    temp_dir dir;
    dir.write(".aws/credentials", "[default]\naws_access_key_id = A\naws_secret_access_key = s3cr3t\n");

    env_guard env;
    clear_aws_env(env);
    env.set("HOME", dir.path().string() + "/");

    const config_inputs in = load_inputs("", "");
    CHECK(in.credentials_path == dir.path().string() + "/.aws/credentials");
    CHECK(in.config_path == dir.path().string() + "/.aws/config");
    CHECK(in.credentials_text.has_value());
    CHECK_FALSE(in.config_text.has_value());  // does not exist
}

TEST_CASE("load_inputs: a directory or a missing file reads as absent") {
    temp_dir dir;
    std::filesystem::create_directories(dir.path() / "adir");

    env_guard env;
    clear_aws_env(env);
    env.set("AWS_SHARED_CREDENTIALS_FILE", (dir.path() / "adir").string());
    env.set("AWS_CONFIG_FILE", (dir.path() / "nope").string());

    const config_inputs in = load_inputs("", "");
    CHECK_FALSE(in.credentials_text.has_value());
    CHECK_FALSE(in.config_text.has_value());
    CHECK(in.env.count("AWS_CONFIG_FILE") == 1);
}
