// The requests and answers of the temporary-credential sources
// (aws/credential_sources.hpp), against the documented shapes.
#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>
#include <vector>

#include "s3merge/aws/credential_sources.hpp"

using namespace s3merge;
using namespace s3merge::aws;

namespace {

s3::target sts_target() {
    s3::target t;
    t.scheme = "https";
    t.host = "sts.eu-west-1.amazonaws.com";
    t.port = 443;
    t.host_header = t.host;
    t.region = "eu-west-1";
    return t;
}

http_response ok(std::string body) {
    http_response r;
    r.status = 200;
    r.body = std::move(body);
    return r;
}

bool no_secret(const diagnostics& d) {
    auto all = d.to_string() + d.detail + d.message;
    for (const char* s : {"wJalr", "SESSIONTOKEN", "AQoDYXdz"})
        if (all.find(s) != std::string::npos) return false;
    return true;
}

}  // namespace

TEST_CASE("AssumeRole: a form POST with every role setting, MFA code last") {
    role_step r;
    r.role_arn = "arn:aws:iam::123456789012:role/demo";
    r.external_id = "ext id/1";
    r.duration_seconds = 1800;
    r.mfa_serial = "arn:aws:iam::123456789012:mfa/me";
    auto req = build_assume_role(sts_target(), r, "nightly", "123456");
    CHECK(req.method == "POST");
    CHECK(req.path == "/");
    CHECK(req.host == "sts.eu-west-1.amazonaws.com");
    CHECK(req.body ==
          "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo"
          "&RoleSessionName=nightly&ExternalId=ext%20id%2F1&DurationSeconds=1800"
          "&SerialNumber=arn%3Aaws%3Aiam%3A%3A123456789012%3Amfa%2Fme&TokenCode=123456");
    const std::string* ct = req.find_header("content-type");
    REQUIRE(ct);
    CHECK(ct->starts_with("application/x-www-form-urlencoded"));

    role_step plain;
    plain.role_arn = "arn:aws:iam::1:role/x";
    CHECK(build_assume_role(sts_target(), plain, "s", "").body ==
          "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx&RoleSessionName=s");
    auto web = build_assume_role_with_web_identity(sts_target(), plain, "pod", "eyJ.token");
    CHECK(web.body ==
          "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2Fx"
          "&RoleSessionName=pod&WebIdentityToken=eyJ.token");
}

TEST_CASE("STS answers: credentials and their expiry, errors classified, nothing half read") {
    const std::string good =
        "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
        "<AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/demo/s</Arn><AssumedRoleId>A:s</AssumedRoleId>"
        "</AssumedRoleUser><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
        "<SecretAccessKey>wJalrSECRET</SecretAccessKey><SessionToken>AQoDYXdzSESSIONTOKEN</SessionToken>"
        "<Expiration>2026-12-03T18:00:00Z</Expiration></Credentials></AssumeRoleResult>"
        "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></AssumeRoleResponse>";
    temporary_credentials t;
    diagnostics d;
    REQUIRE(!parse_sts_credentials(ok(good), "AssumeRole", t, d));
    CHECK(t.creds.access_key_id == "ASIAEXAMPLE");
    CHECK(t.creds.secret_access_key == "wJalrSECRET");
    CHECK(t.creds.session_token == "AQoDYXdzSESSIONTOKEN");
    REQUIRE(t.expiration);
    CHECK(format_iso8601(*t.expiration) == "2026-12-03T18:00:00Z");

    http_response denied;
    denied.status = 403;
    denied.body =
        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized "
        "to "
        "perform: sts:AssumeRole</Message></Error><RequestId>r-2</RequestId></ErrorResponse>";
    d = diagnostics{};
    CHECK(parse_sts_credentials(denied, "AssumeRole", t, d) == errc::access_denied);
    CHECK(d.s3_code == "AccessDenied");
    CHECK(d.request_id == "r-2");
    CHECK(t.creds.access_key_id.empty());

    http_response expired = denied;
    expired.status = 400;
    expired.body =
        "<ErrorResponse><Error><Code>ExpiredTokenException</Code><Message>Token expired</Message>"
        "</Error></ErrorResponse>";
    d = diagnostics{};
    CHECK(parse_sts_credentials(expired, "AssumeRoleWithWebIdentity", t, d));

    std::string no_token = good;
    no_token.replace(no_token.find("<SessionToken>"),
                     std::string("<SessionToken>AQoDYXdzSESSIONTOKEN</SessionToken>").size(), "");
    d = diagnostics{};
    CHECK(parse_sts_credentials(ok(no_token), "AssumeRole", t, d) == errc::malformed_response);
    CHECK(t.creds.access_key_id.empty());
    CHECK(no_secret(d));
    d = diagnostics{};
    CHECK(parse_sts_credentials(ok("<Other/>"), "AssumeRole", t, d) == errc::malformed_response);
}

TEST_CASE("JSON answers of the container endpoint, instance metadata, credential_process and SSO") {
    temporary_credentials t;
    diagnostics d;
    REQUIRE(!parse_container_credentials(
        R"({"RoleArn":"arn:aws:iam::1:role/task","AccessKeyId":"ASIA1","SecretAccessKey":"wJalrX","Token":"AQoDYXdzT","Expiration":"2026-12-03T18:00:00Z"})",
        t, d));
    CHECK(t.creds.access_key_id == "ASIA1");
    CHECK(t.creds.session_token == "AQoDYXdzT");
    REQUIRE(t.expiration);

    REQUIRE(!parse_imds_credentials(
        R"({"Code":"Success","LastUpdated":"2026-12-03T17:00:00Z","Type":"AWS-HMAC","AccessKeyId":"ASIA2","SecretAccessKey":"wJalrY","Token":"AQoDYXdzU","Expiration":"2026-12-03T23:00:00Z"})",
        t, d));
    CHECK(t.creds.access_key_id == "ASIA2");
    d = diagnostics{};
    CHECK(parse_imds_credentials(R"({"Code":"AssumeRoleUnauthorizedAccess","Message":"x"})", t, d) ==
          errc::malformed_response);
    CHECK(d.detail.find("AssumeRoleUnauthorizedAccess") != std::string::npos);

    // credential_process: Version 1; the token and the expiry are optional.
    REQUIRE(!parse_process_credentials(R"({"Version":1,"AccessKeyId":"AKIA3","SecretAccessKey":"wJalrZ"})", t,
                                       d));
    CHECK(t.creds.session_token.empty());
    CHECK(!t.expiration);
    REQUIRE(!parse_process_credentials(
        R"({"Version":1,"AccessKeyId":"ASIA4","SecretAccessKey":"wJalrW","SessionToken":"AQoDYXdzV","Expiration":"2026-12-03T18:30:00+00:00"})",
        t, d));
    REQUIRE(t.expiration);
    CHECK(format_iso8601(*t.expiration) == "2026-12-03T18:30:00Z");
    for (const char* bad :
         {R"({"Version":2,"AccessKeyId":"A","SecretAccessKey":"wJalr"})",
          R"({"AccessKeyId":"A","SecretAccessKey":"wJalr"})", R"({"Version":1,"AccessKeyId":"A"})",
          R"({"Version":1,"AccessKeyId":"A","SecretAccessKey":"wJalr","Expiration":"tomorrow"})",
          "AccessKeyId=A", ""}) {
        INFO("output: " << bad);
        d = diagnostics{};
        CHECK(parse_process_credentials(bad, t, d) == errc::malformed_response);
        CHECK(t.creds.access_key_id.empty());
        CHECK(no_secret(d));
    }

    REQUIRE(!parse_sso_role_credentials(
        R"({"roleCredentials":{"accessKeyId":"ASIA5","secretAccessKey":"wJalrS","sessionToken":"AQoDYXdzS","expiration":1796320800000}})",
        t, d));
    CHECK(t.creds.access_key_id == "ASIA5");
    REQUIRE(t.expiration);
    CHECK(format_iso8601(*t.expiration) == "2026-12-03T18:00:00Z");

    sso_token tok;
    REQUIRE(!parse_sso_token(
        R"({"startUrl":"https://d-92671207e4.awsapps.com/start","region":"us-east-1","accessToken":"eyJ","expiresAt":"2026-12-03T20:00:00Z"})",
        tok, d));
    CHECK(tok.access_token == "eyJ");
    CHECK(tok.start_url == "https://d-92671207e4.awsapps.com/start");
    CHECK(format_iso8601(tok.expires_at) == "2026-12-03T20:00:00Z");
    CHECK(parse_sso_token(R"({"expiresAt":"2026-12-03T20:00:00Z"})", tok, d) == errc::malformed_response);
}

TEST_CASE("SSO token cache file names: SHA-1 of the session name or the start URL") {
    // Values from Python's hashlib.sha1.
    CHECK(sso_cache_file_name("https://d-92671207e4.awsapps.com/start") ==
          "13f9d35043871d073ab260e020f0ffde092cb14b.json");
    CHECK(sso_cache_file_name("my-sso") == "0ad374308c5a4e22f723adf10145eafad7c4031c.json");
}

TEST_CASE("credential_process commands are split as Python's shlex.split does") {
    struct c {
        const char* command;
        std::vector<std::string> words;
    };
    // Expected words from Python 3's shlex.split.
    const c cases[] = {
        {"/usr/bin/creds --profile prod", {"/usr/bin/creds", "--profile", "prod"}},
        {"\"/opt/my tools/creds\" --json", {"/opt/my tools/creds", "--json"}},
        {"a 'b c' d\\ e", {"a", "b c", "d e"}},
        {"x \"q\\\"uote\" \\\\y", {"x", "q\"uote", "\\y"}},
        {"python3 -c \"import json; print(1)\"", {"python3", "-c", "import json; print(1)"}},
    };
    for (const auto& k : cases) {
        INFO("command: " << k.command);
        std::vector<std::string> words;
        REQUIRE(split_command(k.command, words));
        CHECK(words == k.words);
    }
    std::vector<std::string> words;
    CHECK(!split_command("creds 'unterminated", words));
    CHECK(!split_command("creds \"unterminated", words));
    CHECK(!split_command("   ", words));
}

TEST_CASE("refresh: ten minutes before expiry, halfway for short sessions") {
    using namespace std::chrono;
    const s3merge::sys_time t0 = sys_days(year(2026) / 12 / 3);
    CHECK(refresh_due(t0, t0 + hours(1)) == t0 + minutes(50));
    CHECK(refresh_due(t0, t0 + minutes(15)) == t0 + seconds(450));
    CHECK(refresh_due(t0, t0 + seconds(40)) == t0 + seconds(20));
    CHECK(refresh_due(t0, t0 + minutes(20)) == t0 + minutes(10));
    CHECK(default_session_name(t0) ==
          "s3merge-" + std::to_string(duration_cast<seconds>(t0.time_since_epoch()).count()));
}
