#include <doctest/doctest.h>

#include "cli/table.hpp"

using namespace s3merge::cli;

TEST_CASE("text_table pads columns and right-aligns numbers") {
    text_table t;
    t.header = {"REGION", "OBJECTS", "STATE"};
    t.right_align = {false, true, false};
    t.rows = {{"us-east-1", "12", "found"}, {"ap-southeast-2", "1,500"}, {"eu-west-1", "0", "no bucket"}};
    CHECK(t.render() ==
          "REGION          OBJECTS  STATE\n"
          "us-east-1            12  found\n"
          "ap-southeast-2    1,500\n"
          "eu-west-1             0  no bucket\n");
}

TEST_CASE("text_table without a header renders only rows") {
    text_table t;
    t.rows = {{"a", "bb"}, {"ccc", "d"}};
    CHECK(t.render() == "a    bb\nccc  d\n");
}

TEST_CASE("number formatting") {
    CHECK(human_bytes(0) == "0 B");
    CHECK(human_bytes(1023) == "1023 B");
    CHECK(human_bytes(1536) == "1.5 KiB");
    CHECK(human_bytes(5ull << 30) == "5.0 GiB");
    CHECK(human_bytes(3ull << 40) == "3.0 TiB");
    CHECK(group_digits(0) == "0");
    CHECK(group_digits(999) == "999");
    CHECK(group_digits(1000) == "1,000");
    CHECK(group_digits(1234567) == "1,234,567");
    CHECK(format_usd(0.005) == "$0.0050");
    CHECK(format_usd(12.345) == "$12.35");
}
