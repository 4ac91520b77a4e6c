#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <ostream>  // doctest prints std::error_code with operator<<
#include <string>

#include "s3merge/aws/config.hpp"

using namespace s3merge;
using namespace s3merge::aws;

namespace {

ini_file parse_ok(std::string_view text) {
    ini_file ini;
    diagnostics diag;
    const auto ec = parse_ini(text, ini, diag);
    INFO("detail: " << diag.detail);
    REQUIRE_FALSE(ec);
    return ini;
}

std::string value(const ini_file& ini, std::string_view section, std::string_view key) {
    const std::string* v = ini.get(section, key);
    REQUIRE_MESSAGE(v != nullptr, "missing [" << section << "] " << key);
    return *v;
}

// Parses `text`, expects config_error, returns diag.detail.
std::string parse_error(std::string_view text) {
    ini_file ini;
    diagnostics diag;
    const auto ec = parse_ini(text, ini, diag);
    REQUIRE(ec == errc::config_error);
    CHECK(ini.sections.empty());
    return diag.detail;
}

}  // namespace

TEST_CASE("parse_ini: sections, keys and values as the AWS CLI writes them") {
    const auto ini = parse_ok(
        "[default]\n"
        "aws_access_key_id = AKIDEXAMPLE\n"
        "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
        "region   =   eu-west-3   \n"
        "\n"
        "[profile prod]\n"
        "region = us-east-2\n"
        "output = json\n");
    CHECK(ini.sections.size() == 2);
    CHECK(value(ini, "default", "aws_access_key_id") == "AKIDEXAMPLE");
    // '=' and '/' '+' inside the value are kept.
    CHECK(value(ini, "default", "aws_secret_access_key") == "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    CHECK(value(ini, "default", "region") == "eu-west-3");
    CHECK(value(ini, "profile prod", "region") == "us-east-2");
    CHECK(value(ini, "profile prod", "output") == "json");
    CHECK(ini.get("profile prod", "aws_access_key_id") == nullptr);
    CHECK(ini.get("nope", "region") == nullptr);
}

TEST_CASE(
    "parse_ini: keys are lower-cased, section names keep their case, get() is case-insensitive on keys") {
    const auto ini = parse_ok("[Prod]\nAWS_Access_Key_ID = AKID\nRegion: us-west-1\n");
    REQUIRE(ini.sections.count("Prod") == 1);
    CHECK(ini.sections.count("prod") == 0);
    CHECK(ini.sections.at("Prod").count("aws_access_key_id") == 1);
    CHECK(value(ini, "Prod", "aws_access_key_id") == "AKID");
    CHECK(value(ini, "Prod", "AWS_ACCESS_KEY_ID") == "AKID");
    // configparser also accepts ':' as the delimiter.
    CHECK(value(ini, "Prod", "region") == "us-west-1");
}

TEST_CASE("parse_ini: a value keeps everything after the first delimiter") {
    const auto ini =
        parse_ok("[s]\nendpoint_url = http://minio.local:9000/path?a=b\nempty =\nq = \"quoted\"\n");
    CHECK(value(ini, "s", "endpoint_url") == "http://minio.local:9000/path?a=b");
    CHECK(value(ini, "s", "empty") == "");
    CHECK(value(ini, "s", "q") == "\"quoted\"");  // quotes are not removed
}

TEST_CASE("parse_ini: comments and blank lines") {
    const auto ini = parse_ok(
        "# leading comment\n"
        "; another\n"
        "\n"
        "[default] # comment after a header\n"
        "  # indented comment\n"
        "region = us-east-1 # not a comment: the AWS CLI keeps it\n"
        "\t\n"
        "; region = eu-west-1\n"
        "#aws_access_key_id = AKIDCOMMENTED\n");
    CHECK(value(ini, "default", "region") == "us-east-1 # not a comment: the AWS CLI keeps it");
    CHECK(ini.get("default", "aws_access_key_id") == nullptr);
    CHECK(ini.sections.at("default").size() == 1);
}

TEST_CASE("parse_ini: CRLF, lone CR and a UTF-8 BOM") {
    const auto crlf = parse_ok(
        "\xEF\xBB\xBF[default]\r\naws_access_key_id = AKID\r\nregion = us-east-1\r\n\r\n"
        "[profile x]\r\nregion=eu-north-1\r\n");
    CHECK(value(crlf, "default", "aws_access_key_id") == "AKID");  // no trailing '\r'
    CHECK(value(crlf, "default", "region") == "us-east-1");
    CHECK(value(crlf, "profile x", "region") == "eu-north-1");

    const auto cr = parse_ok("[default]\rregion = ap-south-1\r");
    CHECK(value(cr, "default", "region") == "ap-south-1");

    // No final newline.
    const auto nonl = parse_ok("[default]\nregion = sa-east-1");
    CHECK(value(nonl, "default", "region") == "sa-east-1");
}

TEST_CASE("parse_ini: nested sub-sections become parent.child keys") {
    const auto ini = parse_ok(
        "[profile dev]\n"
        "region = us-east-1\n"
        "s3 =\n"
        "  addressing_style = path\n"
        "  Max_Concurrent_Requests=20\n"
        "\n"
        "  # a comment inside the block\n"
        "\tsignature_version = s3v4\n"
        "output = text\n");
    CHECK(value(ini, "profile dev", "s3.addressing_style") == "path");
    CHECK(value(ini, "profile dev", "s3.max_concurrent_requests") == "20");
    CHECK(value(ini, "profile dev", "s3.signature_version") == "s3v4");
    CHECK(value(ini, "profile dev", "output") == "text");
    CHECK(value(ini, "profile dev", "region") == "us-east-1");
    CHECK(ini.get("profile dev", "s3") == nullptr);  // the block replaces the empty parent value
    CHECK(ini.sections.at("profile dev").size() == 5);
}

TEST_CASE("parse_ini: nesting is relative to the key's own indentation") {
    // Keys indented alike are siblings, not continuations.
    const auto ini = parse_ok(
        "[default]\n"
        "  region = us-east-1\n"
        "  s3 =\n"
        "    addressing_style = virtual\n"
        "  output = json\n");
    CHECK(value(ini, "default", "region") == "us-east-1");
    CHECK(value(ini, "default", "s3.addressing_style") == "virtual");
    CHECK(value(ini, "default", "output") == "json");
}

TEST_CASE("parse_ini: continuation of a non-empty value extends it") {
    const auto ini = parse_ok("[default]\nnote = first\n  second = part\n  third\nregion = r\n");
    CHECK(value(ini, "default", "note") == "first\nsecond = part\nthird");
    CHECK(ini.get("default", "note.second") == nullptr);
    CHECK(value(ini, "default", "region") == "r");
}

TEST_CASE("parse_ini: an empty key without continuation stays an empty value") {
    const auto ini = parse_ok("[default]\ns3 =\nregion = x\n");
    CHECK(value(ini, "default", "s3") == "");
    CHECK(value(ini, "default", "region") == "x");
}

TEST_CASE("parse_ini: duplicates — later keys win, repeated sections merge") {
    const auto ini = parse_ok(
        "[default]\n"
        "region = us-east-1\n"
        "aws_access_key_id = FIRST\n"
        "region = eu-west-1\n"
        "s3 =\n  addressing_style = path\n  payload_signing_enabled = true\n"
        "[other]\n"
        "a = 1\n"
        "[default]\n"
        "aws_access_key_id = SECOND\n"
        "s3 =\n  addressing_style = virtual\n");
    CHECK(value(ini, "default", "region") == "eu-west-1");
    CHECK(value(ini, "default", "aws_access_key_id") == "SECOND");
    // A redefined block replaces the whole previous block.
    CHECK(value(ini, "default", "s3.addressing_style") == "virtual");
    CHECK(ini.get("default", "s3.payload_signing_enabled") == nullptr);
    CHECK(value(ini, "other", "a") == "1");
}

TEST_CASE("parse_ini: a section name is trimmed; an empty file is fine") {
    const auto ini = parse_ok("[  profile  spaced  ]\nk = v\n[empty]\n");
    CHECK(value(ini, "profile  spaced", "k") == "v");
    REQUIRE(ini.sections.count("empty") == 1);
    CHECK(ini.sections.at("empty").empty());
    CHECK(parse_ok("").sections.empty());
    CHECK(parse_ok("\n\n# only comments\n").sections.empty());
}

TEST_CASE("parse_ini: malformed lines are config_error with the line number, never the line's text") {
    SUBCASE("a bare word") {
        const auto d = parse_error("[default]\nregion = us-east-1\nAKIASECRETLOOKINGVALUE\n");
        CHECK(d.starts_with("line 3: "));
        CHECK(d.find("AKIASECRETLOOKINGVALUE") == std::string::npos);
    }
    SUBCASE("line numbers count CRLF lines once") {
        CHECK(parse_error("[default]\r\n\r\n# c\r\nwJalrXUtnFEMI\r\n").starts_with("line 4: "));
    }
    SUBCASE("key before any section") {
        const auto d = parse_error("region = us-east-1\n[default]\n");
        CHECK(d.starts_with("line 1: "));
        CHECK(d.find("us-east-1") == std::string::npos);
    }
    SUBCASE("unclosed section header") {
        CHECK(parse_error("[default\nregion = x\n").starts_with("line 1: "));
    }
    SUBCASE("empty section name") {
        CHECK(parse_error("[ ]\n").starts_with("line 1: "));
    }
    SUBCASE("text after a section header") {
        CHECK(parse_error("[a]\n[b] junk\n").starts_with("line 2: "));
    }
    SUBCASE("missing key name") {
        const auto d = parse_error("[default]\n = secretvalue\n");
        CHECK(d.starts_with("line 2: "));
        CHECK(d.find("secretvalue") == std::string::npos);
    }
    SUBCASE("nested line without '='") {
        const auto d = parse_error("[default]\ns3 =\n  addressing_style = path\n  sekrit\n");
        CHECK(d.starts_with("line 4: "));
        CHECK(d.find("sekrit") == std::string::npos);
    }
    SUBCASE("nested line without a name") {
        CHECK(parse_error("[d]\ns3 =\n  = path\n").starts_with("line 3: "));
    }
}

TEST_CASE("parse_ini: clears the output, also on error") {
    ini_file ini;
    ini.sections["stale"]["k"] = "v";
    diagnostics diag;
    CHECK_FALSE(parse_ini("[fresh]\na = b\n", ini, diag));
    CHECK(ini.sections.count("stale") == 0);
    CHECK(ini.sections.count("fresh") == 1);
    CHECK(parse_ini("[x]\nbroken\n", ini, diag) == errc::config_error);
    CHECK(ini.sections.empty());
}
