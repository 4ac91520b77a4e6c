#include <doctest/doctest.h>

#include <map>
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
        const auto out = resolve_ok(in);  // the last source: instance metadata
        CHECK(out.creds.access_key_id.empty());
        CHECK(out.plan.base == credential_source::instance_metadata);
        CHECK(contains(out.plan.tried, "profile 'p'"));
        CHECK(contains(out.plan.tried, "not used with --profile"));
        in.env["AWS_EC2_METADATA_DISABLED"] = "true";
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

TEST_CASE(
    "resolve_config: with nothing else, EC2 instance metadata is the last source; off, no credentials") {
    auto out = resolve_ok(inputs(std::nullopt, std::nullopt));
    CHECK(out.plan.base == credential_source::instance_metadata);
    CHECK(out.plan.imds_endpoint == "http://169.254.169.254");
    CHECK(out.plan.refreshable());
    // What was tried before, for the message when metadata does not answer.
    CHECK(contains(out.plan.tried, "no AWS_ACCESS_KEY_ID"));
    CHECK(contains(out.plan.tried, creds_path));

    auto in = inputs(std::nullopt, "[default]\nec2_metadata_service_endpoint = http://127.0.0.1:9/\n");
    CHECK(resolve_ok(in).plan.imds_endpoint == "http://127.0.0.1:9");
    in.env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://[fd00:ec2::254]";
    CHECK(resolve_ok(in).plan.imds_endpoint == "http://[fd00:ec2::254]");

    in = inputs(std::nullopt, std::nullopt);
    in.env["AWS_EC2_METADATA_DISABLED"] = "true";
    const auto d = resolve_error(in, errc::no_credentials);
    CHECK(contains(d, "no credentials for profile 'default'"));
    CHECK(contains(d, "AWS_ACCESS_KEY_ID is not set"));
    CHECK(contains(d, creds_path));
    CHECK(contains(d, config_path));
    CHECK(contains(d, "AWS_EC2_METADATA_DISABLED"));
}

TEST_CASE("resolve_config: container credentials, ECS and EKS Pod Identity, only to the allowed hosts") {
    auto in = inputs("[default]\nregion = x\n", "[default]\noutput = json\n");
    in.env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
    auto out = resolve_ok(in);
    CHECK(out.plan.base == credential_source::container);
    CHECK(out.plan.container_url == "http://169.254.170.2/v2/credentials/abc");
    CHECK(out.plan.container_token.empty());

    in = inputs(std::nullopt, std::nullopt);
    in.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://169.254.170.23/v1/credentials";
    in.env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = "/var/run/secrets/pods.eks.amazonaws.com/token";
    in.env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "t0ken_ignored_when_a_file_is_given";
    out = resolve_ok(in);
    CHECK(out.plan.container_url == "http://169.254.170.23/v1/credentials");
    CHECK(out.plan.container_token_file == "/var/run/secrets/pods.eks.amazonaws.com/token");
    CHECK(out.plan.container_token.empty());

    for (const char* ok : {"http://127.0.0.1:8080/creds", "http://localhost/c", "http://[::1]:1/c",
                           "https://creds.example.com/c"}) {
        in.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = ok;
        INFO("url: " << ok);
        CHECK(resolve_ok(in).plan.container_url == ok);
    }
    for (const char* bad :
         {"http://169.254.169.254/latest", "http://creds.example.com/c", "ftp://127.0.0.1/c"}) {
        in.env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = bad;
        INFO("url: " << bad);
        CHECK(contains(resolve_error(in, errc::config_error), "AWS_CONTAINER_CREDENTIALS_FULL_URI"));
    }
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

    auto unnamed = inputs(std::nullopt, "[profile x]\naws_secret_access_key = s3cr3t_ONLY\n");
    unnamed.env["AWS_EC2_METADATA_DISABLED"] = "true";
    d = resolve_error(unnamed, errc::no_credentials);  // profile x is not in use
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

TEST_CASE("resolve_config: every source of a profile, in the AWS CLI's order") {
    const std::string sso_section =
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n";
    struct c {
        const char* name;
        std::string config;
        credential_source base;
        std::size_t roles;
    };
    const c cases[] = {
        {"assume role from the default profile's keys",
         "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = default\n",
         credential_source::static_keys, 1},
        {"a role wins over the profile's own keys (the CLI assumes the role)",
         "[profile r]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n" + keys("AKID_R"),
         credential_source::static_keys, 1},
        {"source_profile without role_arn is ignored", "[profile r]\nsource_profile = default\n",
         credential_source::instance_metadata, 0},
        {"credential_source without role_arn is ignored", "[profile r]\ncredential_source = Environment\n",
         credential_source::instance_metadata, 0},
        {"credential_process", "[profile r]\ncredential_process = /usr/bin/get-creds --json\n",
         credential_source::process, 0},
        {"credential_process beats config-file keys",
         "[profile r]\ncredential_process = x\n" + keys("AKID_R"), credential_source::process, 0},
        {"sso session",
         sso_section + "[profile r]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = Admin\n",
         credential_source::sso, 0},
        {"legacy sso",
         "[profile r]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = "
         "us-east-1\nsso_account_id = "
         "1\nsso_role_name = Admin\n",
         credential_source::sso, 0},
        {"sso beats keys",
         sso_section + "[profile r]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = A\n" +
             keys("AKID_R"),
         credential_source::sso, 0},
        {"web identity (a role_arn next to a token file is not assume role)",
         "[profile r]\nweb_identity_token_file = /var/run/token\nrole_arn = arn:aws:iam::1:role/x\n",
         credential_source::web_identity, 0},
    };
    for (const auto& k : cases) {
        INFO("case: " << k.name);
        auto in = inputs("[default]\n" + keys("AKID_D"), k.config);
        in.cli_profile = "r";
        const auto out = resolve_ok(in);
        CHECK(out.plan.base == k.base);
        CHECK(out.plan.roles.size() == k.roles);
        check_no_secret(out.plan.base_where);
        check_no_secret(out.credentials_source);
    }
}

TEST_CASE("resolve_config: a role chain is planned source first, with every role setting") {
    auto in =
        inputs("[base]\n" + keys("AKID_BASE"),
               "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/top\nsource_profile = b\n"
               "external_id = ext-1\nrole_session_name = nightly\nduration_seconds = 7200\n"
               "mfa_serial = arn:aws:iam::222222222222:mfa/me\nregion = eu-central-1\n"
               "[profile b]\nrole_arn = arn:aws:iam::222222222222:role/middle\nsource_profile = base\n");
    in.cli_profile = "a";
    const auto out = resolve_ok(in);
    CHECK(out.plan.base == credential_source::static_keys);
    CHECK(out.creds.access_key_id == "AKID_BASE");
    REQUIRE(out.plan.roles.size() == 2);
    CHECK(out.plan.roles[0].role_arn == "arn:aws:iam::222222222222:role/middle");
    CHECK(out.plan.roles[0].profile == "b");
    CHECK(out.plan.roles[1].role_arn == "arn:aws:iam::111111111111:role/top");
    CHECK(out.plan.roles[1].external_id == "ext-1");
    CHECK(out.plan.roles[1].session_name == "nightly");
    CHECK(out.plan.roles[1].duration_seconds == 7200);
    CHECK(out.plan.roles[1].mfa_serial == "arn:aws:iam::222222222222:mfa/me");
    CHECK(out.plan.sts_region == "eu-central-1");
    CHECK(contains(out.credentials_source, "role arn:aws:iam::111111111111:role/top (profile a)"));
    CHECK(out.plan.refreshable());

    // A profile may name itself as source_profile for its own keys.
    in = inputs(std::nullopt,
                "[profile s]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = s\n" + keys("AKID_S"));
    in.cli_profile = "s";
    auto self = resolve_ok(in);
    CHECK(self.creds.access_key_id == "AKID_S");
    CHECK(self.plan.roles.size() == 1);

    // STS endpoint: AWS_ENDPOINT_URL_STS, else [services] sts, else AWS_ENDPOINT_URL.
    in.env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:7480";
    CHECK(resolve_ok(in).plan.sts_endpoint_url == "http://127.0.0.1:7480");
    in.env["AWS_ENDPOINT_URL_STS"] = "https://sts.example.com";
    CHECK(resolve_ok(in).plan.sts_endpoint_url == "https://sts.example.com");
}

TEST_CASE("resolve_config: AWS_STS_REGIONAL_ENDPOINTS, as botocore picks the STS endpoint") {
    struct row {
        std::optional<std::string> env_mode;     // AWS_STS_REGIONAL_ENDPOINTS
        std::optional<std::string> config_mode;  // sts_regional_endpoints in the profile
        std::string region;
        std::optional<std::string> endpoint_url;  // AWS_ENDPOINT_URL_STS
        std::string want_url;                     // empty: the regional endpoint of want_region
        std::string want_region;
    };
    const row rows[] = {
        // regional (the default): every region its own endpoint
        {std::nullopt, std::nullopt, "eu-west-1", std::nullopt, "", "eu-west-1"},
        {std::string("regional"), std::nullopt, "us-west-2", std::nullopt, "", "us-west-2"},
        {std::nullopt, std::nullopt, "", std::nullopt, "", "us-east-1"},
        // legacy: the sixteen regions of old go to the global endpoint, signed for us-east-1
        {std::string("legacy"), std::nullopt, "eu-west-1", std::nullopt, "https://sts.amazonaws.com",
         "us-east-1"},
        {std::string("legacy"), std::nullopt, "us-east-1", std::nullopt, "https://sts.amazonaws.com",
         "us-east-1"},
        {std::string("legacy"), std::nullopt, "ap-southeast-2", std::nullopt, "https://sts.amazonaws.com",
         "us-east-1"},
        // ...regions opened later stay regional even in legacy mode
        {std::string("legacy"), std::nullopt, "af-south-1", std::nullopt, "", "af-south-1"},
        {std::string("legacy"), std::nullopt, "eu-south-2", std::nullopt, "", "eu-south-2"},
        // the profile's setting, and the environment over it
        {std::nullopt, std::string("legacy"), "eu-central-1", std::nullopt, "https://sts.amazonaws.com",
         "us-east-1"},
        {std::string("regional"), std::string("legacy"), "eu-central-1", std::nullopt, "", "eu-central-1"},
        // an endpoint set explicitly wins over both
        {std::string("legacy"), std::nullopt, "eu-west-1", std::string("http://127.0.0.1:7480"),
         "http://127.0.0.1:7480", "eu-west-1"},
    };
    for (const row& r : rows) {
        std::string cfg = "[default]\n" + keys("AKID_STS");
        if (r.config_mode) cfg += "sts_regional_endpoints = " + *r.config_mode + "\n";
        auto in = inputs(std::nullopt, cfg);
        if (r.env_mode) in.env["AWS_STS_REGIONAL_ENDPOINTS"] = *r.env_mode;
        if (r.endpoint_url) in.env["AWS_ENDPOINT_URL_STS"] = *r.endpoint_url;
        if (!r.region.empty()) in.env["AWS_REGION"] = r.region;
        CAPTURE(r.region);
        CAPTURE(r.env_mode.value_or("-"));
        CAPTURE(r.config_mode.value_or("-"));
        const auto out = resolve_ok(in);
        CHECK(out.plan.sts_endpoint_url == r.want_url);
        CHECK(out.plan.sts_region == r.want_region);
    }
    auto bad = inputs(std::nullopt, "[default]\n" + keys("AKID_STS"));
    bad.env["AWS_STS_REGIONAL_ENDPOINTS"] = "global";
    resolved_config out;
    diagnostics diag;
    CHECK(resolve_config(bad, out, diag) == make_error_code(errc::config_error));
    CHECK(contains(diag.detail, "AWS_STS_REGIONAL_ENDPOINTS is 'global'"));
    CHECK(contains(diag.detail, "'regional' or 'legacy'"));
}

TEST_CASE("resolve_config: role chains that cannot work are refused, naming the profiles") {
    struct c {
        const char* name;
        std::string config;
        errc code;
        const char* mentions;
    };
    const c cases[] = {
        {"a loop",
         "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n"
         "[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n",
         errc::config_error, "a -> b -> a"},
        {"itself without keys", "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = a\n",
         errc::config_error, "loop"},
        {"both sources",
         "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\ncredential_source = "
         "Environment\n" +
             std::string("[profile b]\n") + keys("AKID_B"),
         errc::config_error, "both source_profile and credential_source"},
        {"no source", "[profile a]\nrole_arn = arn:aws:iam::1:role/a\n", errc::config_error,
         "neither source_profile nor credential_source"},
        {"a missing source profile", "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = nope\n",
         errc::config_error, "'nope'"},
        {"a source profile without credentials",
         "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nregion = x\n",
         errc::no_credentials, "'b'"},
        {"an unknown credential_source",
         "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Laptop\n", errc::config_error,
         "Environment, Ec2InstanceMetadata, EcsContainer"},
        {"credential_source Environment without keys",
         "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Environment\n",
         errc::no_credentials, "AWS_ACCESS_KEY_ID"},
        {"credential_source EcsContainer outside a container",
         "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = EcsContainer\n",
         errc::no_credentials, "AWS_CONTAINER_CREDENTIALS"},
        {"a duration no STS takes",
         "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = "
         "Ec2InstanceMetadata\nduration_seconds = 50000\n",
         errc::config_error, "up to 43200"},
        {"sso without its session section",
         "[profile a]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = A\n", errc::config_error,
         "[sso-session gone]"},
        {"sso without a role",
         "[profile a]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n",
         errc::config_error, "sso_account_id, sso_role_name"},
        {"web identity without a role", "[profile a]\nweb_identity_token_file = /t\n", errc::config_error,
         "role_arn"},
    };
    for (const auto& k : cases) {
        INFO("case: " << k.name);
        auto in = inputs(std::nullopt, k.config);
        in.cli_profile = "a";
        const auto d = resolve_error(in, k.code);
        INFO("detail: " << d);
        CHECK(contains(d, k.mentions));
    }
}

TEST_CASE("resolve_config: credential sources of a role") {
    auto in = inputs(std::nullopt,
                     "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Environment\n");
    in.cli_profile = "a";
    in.env = {{"AWS_ACCESS_KEY_ID", "AKID_ENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cr3t_ENV"}};
    auto out =
        resolve_ok(in);  // --profile keeps environment keys out of the chain, not out of the role's source
    CHECK(out.creds.access_key_id == "AKID_ENV");
    CHECK(out.plan.roles.size() == 1);
    in = inputs(std::nullopt,
                "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = Ec2InstanceMetadata\n");
    in.cli_profile = "a";
    out = resolve_ok(in);
    CHECK(out.plan.base == credential_source::instance_metadata);
    CHECK(out.plan.roles.size() == 1);
    in = inputs(std::nullopt,
                "[profile a]\nrole_arn = arn:aws:iam::1:role/a\ncredential_source = EcsContainer\n");
    in.cli_profile = "a";
    in.env = {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/x"}};
    out = resolve_ok(in);
    CHECK(out.plan.base == credential_source::container);
    CHECK(out.plan.roles.size() == 1);
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

TEST_CASE("resolve_config: web identity from the environment (EKS service accounts), not with --profile") {
    auto in = inputs("[default]\n" + keys("AKID_D"), std::nullopt);
    in.env = {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/token"},
              {"AWS_ROLE_ARN", "arn:aws:iam::1:role/x"},
              {"AWS_ROLE_SESSION_NAME", "pod-1"}};
    auto out = resolve_ok(in);  // before the profile's keys, as in the AWS CLI
    CHECK(out.plan.base == credential_source::web_identity);
    CHECK(out.plan.token_file == "/var/run/secrets/token");
    CHECK(out.plan.web_role.role_arn == "arn:aws:iam::1:role/x");
    CHECK(out.plan.web_role.session_name == "pod-1");
    // With --profile the environment's web identity is not used.
    in.cli_profile = "default";
    CHECK(resolve_ok(in).creds.access_key_id == "AKID_D");
    in.cli_profile.clear();
    in.env.erase("AWS_ROLE_ARN");
    CHECK(contains(resolve_error(in, errc::config_error), "AWS_ROLE_ARN"));
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

TEST_CASE("short_credentials_source: a few words for the status line, never more than the source says") {
    // Each source as resolve_config describes it, shortened.
    struct row {
        std::string config, want;
        std::map<std::string, std::string> env;
    };
    const row rows[] = {
        {"[default]\nrole_arn = arn:aws:iam::111111111111:role/path/migrator\nsource_profile = b\n"
         "[profile b]\n" +
             keys("AKID_B"),
         "role migrator",
         {}},
        {"[default]\ncredential_process = /bin/creds\n", "credential_process", {}},
        {"[default]\nregion = eu-west-1\n", "EC2 instance metadata", {}},
        {"[default]\nregion = eu-west-1\n",
         "container credentials",
         {{"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x"}}},
        {"[default]\nregion = eu-west-1\n",
         "web identity",
         {{"AWS_WEB_IDENTITY_TOKEN_FILE", "/tmp/t"}, {"AWS_ROLE_ARN", "arn:aws:iam::1:role/w"}}},
        {"[default]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\n"
         "sso_account_id = 111111111111\nsso_role_name = Admin\n",
         "IAM Identity Center",
         {}},
    };
    for (const row& r : rows) {
        auto in = inputs(std::nullopt, r.config);
        for (const auto& [k, v] : r.env) in.env[k] = v;
        const auto out = resolve_ok(in);
        CAPTURE(out.credentials_source);
        CHECK(short_credentials_source(out.credentials_source) == r.want);
    }
    CHECK(short_credentials_source("role arn:aws:iam::1:role/x (profile a) via keys") == "role x");
    CHECK(short_credentials_source("") == "");
}
