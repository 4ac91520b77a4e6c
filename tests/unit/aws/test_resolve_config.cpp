#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>
#include <vector>

#include "s3merge/aws/config.hpp"

using namespace s3merge;
using namespace s3merge::aws;

namespace {

constexpr const char* creds_path = "/home/u/.aws/credentials";
constexpr const char* config_path = "/home/u/.aws/config";

config_inputs inputs(std::optional<std::string> credentials, std::optional<std::string> config) {
    config_inputs in;
    in.credentials_text = std::move(credentials);
    in.config_text = std::move(config);
    in.credentials_path = creds_path;
    in.config_path = config_path;
    return in;
}

resolved_config resolve_ok(const config_inputs& in) {
    resolved_config out;
    diagnostics diag;
    const auto ec = resolve_config(in, out, diag);
    INFO("error: " << ec.message() << ": " << diag.detail);
    REQUIRE_FALSE(ec);
    return out;
}

// Every secret used below; no message may contain one.
const std::vector<std::string> secrets = {"s3cr3t", "t0ken", "wJalrXUtnFEMI"};

void check_no_secret(std::string_view text) {
    for (const auto& s : secrets) {
        INFO("text: " << text);
        CHECK(text.find(s) == std::string_view::npos);
    }
}

std::string resolve_error(const config_inputs& in, errc expected) {
    resolved_config out;
    diagnostics diag;
    const auto ec = resolve_config(in, out, diag);
    INFO("detail: " << diag.detail);
    REQUIRE(ec == expected);
    // No half result (possibly holding keys) comes back with an error.
    CHECK(out.creds.access_key_id.empty());
    CHECK(out.creds.secret_access_key.empty());
    CHECK(out.profile.empty());
    check_no_secret(diag.detail);
    check_no_secret(diag.to_string());
    return diag.detail;
}

bool contains(std::string_view hay, std::string_view needle) {
    return hay.find(needle) != std::string_view::npos;
}

std::string keys(std::string_view id) {
    return "aws_access_key_id = " + std::string(id) + "\naws_secret_access_key = s3cr3t_" + std::string(id) +
           "\n";
}

}  // namespace

TEST_CASE("resolve_config: default profile from the credentials file") {
    const auto out = resolve_ok(inputs("[default]\n" + keys("AKID_DEF"), std::nullopt));
    CHECK(out.creds.access_key_id == "AKID_DEF");
    CHECK(out.creds.secret_access_key == "s3cr3t_AKID_DEF");
    CHECK(out.creds.session_token.empty());
    CHECK(out.profile == "default");
    CHECK(out.credentials_source == "credentials file /home/u/.aws/credentials [default]");
    CHECK(out.region.empty());
    CHECK(out.region_source.empty());
    check_no_secret(out.credentials_source);
}

TEST_CASE("resolve_config: credential precedence, every pair of sources") {
    // Sources from highest to lowest precedence. Each contributes its own
    // access key so the winner is visible.
    struct source {
        const char* name;
        const char* akid;
        void (*apply)(config_inputs&, std::string& creds, std::string& config);
        const char* where;
    };
    const source sources[] = {
        {"--profile", "AKID_CLI",
         [](config_inputs& in, std::string& c, std::string&) {
             in.cli_profile = "cli";
             c += "[cli]\n" + keys("AKID_CLI");
         },
         "credentials file /home/u/.aws/credentials [cli]"},
        {"environment keys", "AKID_ENV",
         [](config_inputs& in, std::string&, std::string&) {
             in.env["AWS_ACCESS_KEY_ID"] = "AKID_ENV";
             in.env["AWS_SECRET_ACCESS_KEY"] = "s3cr3t_ENV";
         },
         "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)"},
        {"AWS_PROFILE", "AKID_AWS_PROFILE",
         [](config_inputs& in, std::string& c, std::string&) {
             in.env["AWS_PROFILE"] = "envprof";
             c += "[envprof]\n" + keys("AKID_AWS_PROFILE");
         },
         "credentials file /home/u/.aws/credentials [envprof]"},
        {"AWS_DEFAULT_PROFILE", "AKID_LEGACY",
         [](config_inputs& in, std::string& c, std::string&) {
             in.env["AWS_DEFAULT_PROFILE"] = "legacy";
             c += "[legacy]\n" + keys("AKID_LEGACY");
         },
         "credentials file /home/u/.aws/credentials [legacy]"},
        {"credentials file [default]", "AKID_CREDS",
         [](config_inputs&, std::string& c, std::string&) { c += "[default]\n" + keys("AKID_CREDS"); },
         "credentials file /home/u/.aws/credentials [default]"},
        {"config file [default]", "AKID_CONFIG",
         [](config_inputs&, std::string&, std::string& f) { f += "[default]\n" + keys("AKID_CONFIG"); },
         "config file /home/u/.aws/config [default]"},
    };
    const std::size_t n = std::size(sources);
    for (std::size_t hi = 0; hi < n; ++hi) {
        // Alone, each source is used.
        {
            std::string c, f;
            config_inputs in = inputs(std::nullopt, std::nullopt);
            sources[hi].apply(in, c, f);
            in.credentials_text = c;
            in.config_text = f;
            INFO("winner: " << sources[hi].name);
            const auto out = resolve_ok(in);
            CHECK(out.creds.access_key_id == sources[hi].akid);
            CHECK(out.credentials_source == sources[hi].where);
        }
        for (std::size_t lo = hi + 1; lo < n; ++lo) {
            std::string c, f;
            config_inputs in = inputs(std::nullopt, std::nullopt);
            sources[lo].apply(in, c, f);
            sources[hi].apply(in, c, f);
            in.credentials_text = c;
            in.config_text = f;
            INFO("winner: " << sources[hi].name);
            INFO("loser: " << sources[lo].name);
            const auto out = resolve_ok(in);
            CHECK(out.creds.access_key_id == sources[hi].akid);
            CHECK(out.credentials_source == sources[hi].where);
        }
    }
}

TEST_CASE("resolve_config: region precedence, every pair of sources") {
    struct source {
        const char* name;
        void (*apply)(config_inputs&);
        const char* region;
        const char* where;
    };
    const source sources[] = {
        {"--region", [](config_inputs& in) { in.cli_region = "r-cli"; }, "r-cli", "--region"},
        {"AWS_REGION", [](config_inputs& in) { in.env["AWS_REGION"] = "r-env"; }, "r-env", "AWS_REGION"},
        {"AWS_DEFAULT_REGION", [](config_inputs& in) { in.env["AWS_DEFAULT_REGION"] = "r-legacy"; },
         "r-legacy", "AWS_DEFAULT_REGION"},
        {"credentials file", [](config_inputs& in) { *in.credentials_text += "region = r-creds\n"; },
         "r-creds", "credentials file /home/u/.aws/credentials [default]"},
        {"config file", [](config_inputs& in) { *in.config_text += "region = r-config\n"; }, "r-config",
         "config file /home/u/.aws/config [default]"},
    };
    const std::size_t n = std::size(sources);
    for (std::size_t hi = 0; hi < n; ++hi) {
        for (std::size_t lo = hi; lo < n; ++lo) {
            config_inputs in = inputs("[default]\n" + keys("AKID"), "[default]\n");
            sources[lo].apply(in);
            if (lo != hi) sources[hi].apply(in);
            INFO("winner: " << sources[hi].name);
            INFO("loser: " << sources[lo].name);
            const auto out = resolve_ok(in);
            CHECK(out.region == sources[hi].region);
            CHECK(out.region_source == sources[hi].where);
        }
    }
}

TEST_CASE("resolve_config: region of a named profile comes from [profile NAME] in the config file") {
    auto in = inputs("[prod]\n" + keys("AKID_PROD"),
                     "[default]\nregion = us-east-1\n[profile prod]\nregion = eu-west-3\n");
    in.cli_profile = "prod";
    const auto out = resolve_ok(in);
    CHECK(out.profile == "prod");
    CHECK(out.region == "eu-west-3");
    CHECK(out.region_source == "config file /home/u/.aws/config [profile prod]");
}

TEST_CASE("resolve_config: --profile disables environment keys; AWS_PROFILE does not") {
    SUBCASE("--profile wins even with complete environment keys") {
        auto in = inputs("[p]\n" + keys("AKID_P"), std::nullopt);
        in.cli_profile = "p";
        in.env = {{"AWS_ACCESS_KEY_ID", "AKID_ENV"},
                  {"AWS_SECRET_ACCESS_KEY", "s3cr3t_ENV"},
                  {"AWS_SESSION_TOKEN", "t0ken_ENV"}};
        const auto out = resolve_ok(in);
        CHECK(out.creds.access_key_id == "AKID_P");
        CHECK(out.creds.session_token.empty());  // the environment's token is not mixed in
    }
    SUBCASE("--profile without keys does not fall back to the environment") {
        auto in = inputs("[p]\nregion = x\n", std::nullopt);
        in.cli_profile = "p";
        in.env = {{"AWS_ACCESS_KEY_ID", "AKID_ENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t_ENV"}};
        const auto d = resolve_error(in, errc::no_credentials);
        CHECK(contains(d, "profile 'p'"));
        CHECK(contains(d, "not used with --profile"));
    }
    SUBCASE("partial environment keys are not an error with --profile") {
        auto in = inputs("[p]\n" + keys("AKID_P"), std::nullopt);
        in.cli_profile = "p";
        in.env = {{"AWS_ACCESS_KEY_ID", "AKID_ENV"}};
        CHECK(resolve_ok(in).creds.access_key_id == "AKID_P");
    }
}

TEST_CASE("resolve_config: AWS_PROFILE wins over AWS_DEFAULT_PROFILE; empty variables count as unset") {
    auto in = inputs("[a]\n" + keys("AKID_A") + "[b]\n" + keys("AKID_B") + "[default]\n" + keys("AKID_D"),
                     std::nullopt);
    in.env = {{"AWS_PROFILE", "a"}, {"AWS_DEFAULT_PROFILE", "b"}};
    CHECK(resolve_ok(in).profile == "a");
    in.env = {{"AWS_PROFILE", ""}, {"AWS_DEFAULT_PROFILE", "b"}};
    CHECK(resolve_ok(in).creds.access_key_id == "AKID_B");
    in.env = {{"AWS_PROFILE", ""}, {"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}};
    const auto out = resolve_ok(in);
    CHECK(out.profile == "default");
    CHECK(out.creds.access_key_id == "AKID_D");
}

TEST_CASE("resolve_config: a named profile that exists nowhere is config_error naming it and both files") {
    SUBCASE("--profile") {
        auto in = inputs("[default]\n" + keys("AKID"), "[default]\nregion = x\n");
        in.cli_profile = "missing";
        const auto d = resolve_error(in, errc::config_error);
        CHECK(contains(d, "profile 'missing' (from --profile) not found"));
        CHECK(contains(d, creds_path));
        CHECK(contains(d, config_path));
        CHECK(contains(d, "[profile missing]"));
    }
    SUBCASE("AWS_PROFILE, even when environment keys are set (as the AWS CLI)") {
        auto in = inputs(std::nullopt, std::nullopt);
        in.env = {
            {"AWS_PROFILE", "ghost"}, {"AWS_ACCESS_KEY_ID", "AKID"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t_X"}};
        const auto d = resolve_error(in, errc::config_error);
        CHECK(contains(d, "profile 'ghost' (from AWS_PROFILE) not found"));
        CHECK(contains(d, "/home/u/.aws/credentials (not found)"));
        CHECK(contains(d, "/home/u/.aws/config (not found)"));
    }
    SUBCASE("a config section without the 'profile' prefix is not a profile, and the message says so") {
        auto in = inputs(std::nullopt, "[prod]\n" + keys("AKID_PROD"));
        in.cli_profile = "prod";
        const auto d = resolve_error(in, errc::config_error);
        CHECK(contains(d, "the config file has a section [prod]"));
        CHECK(contains(d, "[profile prod]"));
    }
    SUBCASE("a credentials section with the 'profile' prefix is not a profile, and the message says so") {
        auto in = inputs("[profile prod]\n" + keys("AKID_PROD"), std::nullopt);
        in.env = {{"AWS_PROFILE", "prod"}};
        const auto d = resolve_error(in, errc::config_error);
        CHECK(contains(d, "the credentials file has [profile prod]"));
    }
}

TEST_CASE("resolve_config: the unnamed default profile may be missing; then there are no credentials") {
    const auto d = resolve_error(inputs(std::nullopt, std::nullopt), errc::no_credentials);
    CHECK(contains(d, "no credentials for profile 'default'"));
    CHECK(contains(d, "AWS_ACCESS_KEY_ID is not set"));
    CHECK(contains(d, creds_path));
    CHECK(contains(d, config_path));

    auto in = inputs("[default]\nregion = x\n", "[default]\noutput = json\n");
    in.env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
    CHECK(contains(resolve_error(in, errc::no_credentials), "container credentials"));
}

TEST_CASE("resolve_config: keys only in the config file") {
    auto in =
        inputs("[other]\n" + keys("AKID_OTHER"), "[profile prod]\nregion = ap-northeast-1\n" +
                                                     keys("AKID_CFG") + "aws_session_token = t0ken_CFG\n");
    in.cli_profile = "prod";
    const auto out = resolve_ok(in);
    CHECK(out.creds.access_key_id == "AKID_CFG");
    CHECK(out.creds.secret_access_key == "s3cr3t_AKID_CFG");
    CHECK(out.creds.session_token == "t0ken_CFG");
    CHECK(out.credentials_source == "config file /home/u/.aws/config [profile prod]");
    CHECK(out.region == "ap-northeast-1");
}

TEST_CASE("resolve_config: temporary credentials with a session token") {
    SUBCASE("credentials file") {
        const auto out = resolve_ok(
            inputs("[default]\n" + keys("ASIA_TMP") + "aws_session_token = t0ken_FILE//+=\n", std::nullopt));
        CHECK(out.creds.access_key_id == "ASIA_TMP");
        CHECK(out.creds.session_token == "t0ken_FILE//+=");
        check_no_secret(out.credentials_source);
    }
    SUBCASE("legacy aws_security_token is read, and wins as in botocore") {
        CHECK(resolve_ok(
                  inputs("[default]\n" + keys("ASIA") + "aws_security_token = t0ken_OLD\n", std::nullopt))
                  .creds.session_token == "t0ken_OLD");
        CHECK(resolve_ok(inputs("[default]\n" + keys("ASIA") +
                                    "aws_session_token = t0ken_NEW\naws_security_token = t0ken_OLD\n",
                                std::nullopt))
                  .creds.session_token == "t0ken_OLD");
    }
    SUBCASE("environment") {
        auto in = inputs(std::nullopt, std::nullopt);
        in.env = {{"AWS_ACCESS_KEY_ID", "ASIA_ENV"},
                  {"AWS_SECRET_ACCESS_KEY", "s3cr3t_ENV"},
                  {"AWS_SESSION_TOKEN", "t0ken_ENV"}};
        const auto out = resolve_ok(in);
        CHECK(out.creds.session_token == "t0ken_ENV");
        CHECK(out.credentials_source ==
              "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)");
        check_no_secret(out.credentials_source);
    }
    SUBCASE("a session token without keys is ignored") {
        auto in = inputs("[default]\n" + keys("AKID_D"), std::nullopt);
        in.env = {{"AWS_SESSION_TOKEN", "t0ken_STRAY"}};
        const auto out = resolve_ok(in);
        CHECK(out.creds.access_key_id == "AKID_D");
        CHECK(out.creds.session_token.empty());
    }
}

TEST_CASE(
    "resolve_config: only one of the two environment keys is config_error naming the missing variable") {
    auto in = inputs("[default]\n" + keys("AKID_D"), std::nullopt);
    in.env = {{"AWS_ACCESS_KEY_ID", "AKID_ENV"}};
    auto d = resolve_error(in, errc::config_error);
    CHECK(contains(d, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not"));

    in.env = {{"AWS_SECRET_ACCESS_KEY", "s3cr3t_ENV_ONLY"}};
    d = resolve_error(in, errc::config_error);
    CHECK(contains(d, "AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not"));
}

TEST_CASE("resolve_config: only one of the two keys in a profile is config_error") {
    auto d = resolve_error(inputs("[default]\naws_access_key_id = AKID\n", "[default]\n" + keys("AKID_CFG")),
                           errc::config_error);
    CHECK(contains(d, "has aws_access_key_id but no aws_secret_access_key"));
    CHECK(contains(d, creds_path));

    d = resolve_error(inputs(std::nullopt, "[profile x]\naws_secret_access_key = s3cr3t_ONLY\n"),
                      errc::no_credentials);
    auto in = inputs(std::nullopt, "[profile x]\naws_secret_access_key = s3cr3t_ONLY\n");
    in.cli_profile = "x";
    d = resolve_error(in, errc::config_error);
    CHECK(contains(d, "has aws_secret_access_key but no aws_access_key_id"));
    CHECK(contains(d, "config file /home/u/.aws/config [profile x]"));
}

TEST_CASE("resolve_config: [profile default] in the config file; it wins over [default]") {
    CHECK(resolve_ok(inputs(std::nullopt, "[profile default]\n" + keys("AKID_PD"))).creds.access_key_id ==
          "AKID_PD");
    const auto out =
        resolve_ok(inputs(std::nullopt, "[default]\n" + keys("AKID_D") + "region = r1\n" +
                                            "[profile default]\n" + keys("AKID_PD") + "region = r2\n"));
    CHECK(out.creds.access_key_id == "AKID_PD");
    CHECK(out.region == "r2");
    CHECK(out.credentials_source == "config file /home/u/.aws/config [profile default]");
    // Spacing and quotes as shlex would read them.
    auto in = inputs(std::nullopt, "[profile   \"my prof\"]\n" + keys("AKID_Q"));
    in.cli_profile = "my prof";
    CHECK(resolve_ok(in).creds.access_key_id == "AKID_Q");
}

TEST_CASE("resolve_config: the credentials file wins key by key over the config file for the same profile") {
    auto in = inputs("[p]\n" + keys("AKID_CREDS") + "region = r-creds\n",
                     "[profile p]\n" + keys("AKID_CFG") + "region = r-cfg\nca_bundle = /etc/ca.pem\n");
    in.cli_profile = "p";
    const auto out = resolve_ok(in);
    CHECK(out.creds.access_key_id == "AKID_CREDS");
    CHECK(out.creds.secret_access_key == "s3cr3t_AKID_CREDS");
    CHECK(out.region == "r-creds");
    CHECK(out.ca_bundle == "/etc/ca.pem");
}

TEST_CASE("resolve_config: unsupported credential types are config_error, not silently ignored") {
    struct c {
        const char* name;
        std::string config;
        const char* mentions;
    };
    const c cases[] = {
        {"assume role",
         "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n", "role_arn"},
        {"assume role with static keys too (the CLI would assume the role)",
         "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n" + keys("AKID_R"),
         "role_arn"},
        {"source_profile alone", "[profile r]\nsource_profile = default\n", "source_profile"},
        {"credential_source", "[profile r]\ncredential_source = Ec2InstanceMetadata\n", "credential_source"},
        {"credential_process", "[profile r]\ncredential_process = /usr/bin/get-creds --json\n",
         "credential_process"},
        {"credential_process beats config-file keys",
         "[profile r]\ncredential_process = x\n" + keys("AKID_R"), "credential_process"},
        {"sso session", "[profile r]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Admin\n",
         "SSO"},
        {"legacy sso",
         "[profile r]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n", "SSO"},
        {"web identity",
         "[profile r]\nweb_identity_token_file = /var/run/token\nrole_arn = arn:aws:iam::1:role/x\n",
         "web identity"},
    };
    for (const auto& k : cases) {
        INFO("case: " << k.name);
        auto in = inputs("[default]\n" + keys("AKID_D"), k.config);
        in.cli_profile = "r";
        const auto d = resolve_error(in, errc::config_error);
        CHECK(contains(d, "profile 'r'"));
        CHECK(contains(d, k.mentions));
        CHECK(contains(d, "not support"));
        CHECK(contains(d, "AWS_ACCESS_KEY_ID"));
        CHECK(contains(d, "export-credentials --profile r"));
        check_no_secret(d);
    }
}

TEST_CASE("resolve_config: where the AWS CLI would use static keys despite other settings, so do we") {
    // Credentials-file keys come before credential_process.
    auto in = inputs("[r]\n" + keys("AKID_R"), "[profile r]\ncredential_process = /bin/creds\n");
    in.cli_profile = "r";
    CHECK(resolve_ok(in).creds.access_key_id == "AKID_R");
    // source_profile without role_arn is ignored by the CLI.
    in = inputs(std::nullopt, "[profile r]\nsource_profile = default\n" + keys("AKID_R2"));
    in.cli_profile = "r";
    CHECK(resolve_ok(in).creds.access_key_id == "AKID_R2");
    // Environment keys win over a role in the default profile.
    in = inputs(std::nullopt, "[default]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = base\n");
    in.env = {{"AWS_ACCESS_KEY_ID", "AKID_ENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t_ENV"}};
    CHECK(resolve_ok(in).creds.access_key_id == "AKID_ENV");
}

TEST_CASE("resolve_config: web identity from the environment is reported as unsupported") {
    auto in = inputs("[default]\n" + keys("AKID_D"), std::nullopt);
    in.env = {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token"},
              {"AWS_ROLE_ARN", "arn:aws:iam::1:role/x"}};
    const auto d = resolve_error(in, errc::config_error);
    CHECK(contains(d, "AWS_WEB_IDENTITY_TOKEN_FILE"));
    CHECK(contains(d, "export-credentials --format env"));
    // Environment keys still win.
    in.env["AWS_ACCESS_KEY_ID"] = "AKID_ENV";
    in.env["AWS_SECRET_ACCESS_KEY"] = "s3cr3t_ENV";
    CHECK(resolve_ok(in).creds.access_key_id == "AKID_ENV");
}

TEST_CASE("resolve_config: ca_bundle and endpoint_url") {
    const std::string cfg = "[default]\n" + keys("AKID") +
                            "ca_bundle = /etc/profile-ca.pem\nendpoint_url = http://profile:9000\n";
    SUBCASE("from the profile") {
        const auto out = resolve_ok(inputs(std::nullopt, cfg));
        CHECK(out.ca_bundle == "/etc/profile-ca.pem");
        CHECK(out.endpoint_url == "http://profile:9000");
    }
    SUBCASE("environment wins") {
        auto in = inputs(std::nullopt, cfg);
        in.env = {{"AWS_CA_BUNDLE", "/env/ca.pem"}, {"AWS_ENDPOINT_URL", "http://env:9000"}};
        auto out = resolve_ok(in);
        CHECK(out.ca_bundle == "/env/ca.pem");
        CHECK(out.endpoint_url == "http://env:9000");
        in.env["AWS_ENDPOINT_URL_S3"] = "http://env-s3:9000";
        CHECK(resolve_ok(in).endpoint_url == "http://env-s3:9000");
    }
    SUBCASE("a [services] section's s3 block wins over the profile's endpoint_url") {
        auto out = resolve_ok(inputs(std::nullopt, cfg + "services = local\n[services local]\ns3 =\n"
                                                         "  endpoint_url = http://svc:9000\n"));
        CHECK(out.endpoint_url == "http://svc:9000");
    }
    SUBCASE("ignore_configured_endpoint_urls") {
        auto in = inputs(std::nullopt, cfg + "ignore_configured_endpoint_urls = true\n");
        CHECK(resolve_ok(in).endpoint_url.empty());
        in.env = {{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"}};
        CHECK(resolve_ok(in).endpoint_url == "http://profile:9000");
        in = inputs(std::nullopt, cfg);
        in.env = {{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"}, {"AWS_ENDPOINT_URL", "http://env:1"}};
        CHECK(resolve_ok(in).endpoint_url.empty());
    }
}

TEST_CASE("resolve_config: files as written on Windows, with comments and nested blocks") {
    const std::string creds =
        "\xEF\xBB\xBF# managed by hand\r\n[default]\r\n; old key below\r\n"
        "aws_access_key_id = AKID_WIN\r\naws_secret_access_key = s3cr3t_WIN\r\n";
    const std::string config = "[default]\r\nregion = eu-central-1\r\ns3 =\r\n  addressing_style = path\r\n";
    const auto out = resolve_ok(inputs(creds, config));
    CHECK(out.creds.access_key_id == "AKID_WIN");
    CHECK(out.creds.secret_access_key == "s3cr3t_WIN");
    CHECK(out.region == "eu-central-1");
}

TEST_CASE("resolve_config: a malformed file is config_error naming the file and line, without its text") {
    auto d = resolve_error(inputs("[default]\naws_access_key_id = AKID\ns3cr3t_PASTED_HERE\n", std::nullopt),
                           errc::config_error);
    CHECK(d ==
          "credentials file /home/u/.aws/credentials: line 3: expected '[section]', 'key = value', a comment "
          "or an indented continuation line");
    // Even when environment keys would be used (the AWS CLI parses both files).
    auto in = inputs(std::nullopt, "[default]\nregion = x\n[broken\n");
    in.env = {{"AWS_ACCESS_KEY_ID", "AKID_ENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t_ENV"}};
    d = resolve_error(in, errc::config_error);
    CHECK(d.starts_with("config file /home/u/.aws/config: line 3: "));
}
