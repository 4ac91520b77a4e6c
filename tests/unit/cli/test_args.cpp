#include <doctest/doctest.h>

#include "cli/args.hpp"

using namespace s3merge::cli;

namespace {
std::vector<option_spec> spec() {
    return {{"endpoint-url", true, false, "URL", "endpoint"},
            {"source", true, true, "URI", "source"},
            {"recursive", false, false, "", "recurse"},
            {"help", false, false, "", "help"}};
}
}  // namespace

TEST_CASE("parse_args: values, inline values, flags, positionals, --") {
    parsed_args a;
    std::string err;
    REQUIRE(parse_args({"s3://b/p", "--endpoint-url", "http://x:1", "--recursive", "--source=s3://a",
                        "--source", "s3://c", "--", "--literal"},
                       spec(), a, err));
    CHECK(err.empty());
    CHECK(a.positional == std::vector<std::string>{"s3://b/p", "--literal"});
    CHECK(a.value("endpoint-url") == "http://x:1");
    CHECK(a.flag("recursive"));
    CHECK_FALSE(a.flag("help"));
    CHECK(a.all("source") == std::vector<std::string>{"s3://a", "s3://c"});
    CHECK(a.value("missing", "dflt") == "dflt");
}

TEST_CASE("parse_args: errors name the option") {
    parsed_args a;
    std::string err;
    CHECK_FALSE(parse_args({"--nope"}, spec(), a, err));
    CHECK(err == "unknown option '--nope'");
    parsed_args b;
    CHECK_FALSE(parse_args({"--endpoint-url"}, spec(), b, err));
    CHECK(err == "option '--endpoint-url' needs a value (URL)");
    parsed_args c;
    CHECK_FALSE(parse_args({"--recursive=yes"}, spec(), c, err));
    CHECK(err == "option '--recursive' takes no value");
    parsed_args d;
    CHECK_FALSE(parse_args({"--endpoint-url", "a", "--endpoint-url", "b"}, spec(), d, err));
    CHECK(err == "option '--endpoint-url' given more than once");
    parsed_args e;
    CHECK_FALSE(parse_args({"-r"}, spec(), e, err));
    CHECK(err.find("'-r'") != std::string::npos);
    parsed_args f;
    REQUIRE(parse_args({"-h"}, spec(), f, err));
    CHECK(f.flag("help"));
}

TEST_CASE("format_help aligns options") {
    auto h = format_help("s3merge x ARG", "Does x.", spec());
    CHECK(h.rfind("usage: s3merge x ARG\n\nDoes x.\n\noptions:\n", 0) == 0);
    CHECK(h.find("  --endpoint-url URL  endpoint\n") != std::string::npos);
    CHECK(h.find("  --recursive         recurse\n") != std::string::npos);
}

TEST_CASE("parse_uint takes a whole number in range") {
    std::uint64_t v = 7;
    CHECK(parse_uint("256", 1, 10000, v));
    CHECK(v == 256);
    CHECK(parse_uint("0", 0, 16, v));
    CHECK(v == 0);
    CHECK(parse_uint("18446744073709551615", 0, ~0ull, v));
    CHECK(v == ~0ull);
    v = 7;
    CHECK_FALSE(parse_uint("", 0, 10, v));
    CHECK_FALSE(parse_uint("12x", 0, 100, v));
    CHECK_FALSE(parse_uint("0", 1, 10, v));
    CHECK_FALSE(parse_uint("11", 1, 10, v));
    CHECK_FALSE(parse_uint("-1", 0, 10, v));
    CHECK(v == 7);  // untouched on failure
}
