#include <doctest/doctest.h>

#include <simdjson.h>

#include <regex>
#include <set>

#include "s3merge/gen/cloudtrail.hpp"

using namespace s3merge;

TEST_CASE("generated CloudTrail keys follow CloudTrail's layout and advance by day") {
    gen::cloudtrail_series s;
    s.account = "111122223333";
    s.region = "eu-west-1";
    s.prefix = "demo/";
    s.files_per_day = 4;
    std::regex layout(R"(demo/AWSLogs/111122223333/CloudTrail/eu-west-1/(\d{4})/(\d\d)/(\d\d)/)"
                      R"(111122223333_CloudTrail_eu-west-1_(\d{8})T(\d{4})Z_[0-9a-f]{16}\.json\.gz)");
    auto k0 = gen::cloudtrail_object(s, 0).key;
    auto k3 = gen::cloudtrail_object(s, 3).key;
    auto k4 = gen::cloudtrail_object(s, 4).key;
    std::smatch m;
    REQUIRE(std::regex_match(k0, m, layout));
    CHECK(m[1] == "2024");
    CHECK(m[2] == "01");
    CHECK(m[3] == "01");
    CHECK(m[4] == "20240101");
    CHECK(m[5] == "0000");
    REQUIRE(std::regex_match(k3, m, layout));
    CHECK(m[5] == "1800");  // 4 files a day, every 360 minutes: the 4th at 18:00
    REQUIRE(std::regex_match(k4, m, layout));
    CHECK(m[3] == "02");
    // Month and year boundaries.
    s.files_per_day = 1;
    const auto feb = gen::cloudtrail_object(s, 31).key;
    REQUIRE(std::regex_match(feb, m, layout));
    CHECK(m[2] == "02");
    CHECK(m[3] == "01");
    const auto next_year = gen::cloudtrail_object(s, 366).key;  // 2024 is a leap year
    REQUIRE(std::regex_match(next_year, m, layout));
    CHECK(m[1] == "2025");
    CHECK(m[2] == "01");
    CHECK(m[3] == "01");
}

TEST_CASE("generated bodies are gzip JSON with unique eventIDs, deterministic") {
    gen::cloudtrail_series s;
    s.records_per_file = 5;
    std::set<std::string> ids, keys;
    simdjson::dom::parser parser;
    for (std::uint64_t i = 0; i < 200; ++i) {
        auto o = gen::cloudtrail_object(s, i);
        CHECK(keys.insert(o.key).second);
        std::string json;
        REQUIRE(gen::gunzip(o.body, json));
        simdjson::dom::element doc;
        REQUIRE(parser.parse(json).get(doc) == simdjson::SUCCESS);
        simdjson::dom::array records;
        REQUIRE(doc["Records"].get(records) == simdjson::SUCCESS);
        CHECK(records.size() == 5);
        for (auto r : records) {
            std::string_view id, region;
            REQUIRE(r["eventID"].get(id) == simdjson::SUCCESS);
            REQUIRE(r["awsRegion"].get(region) == simdjson::SUCCESS);
            CHECK(region == "us-east-1");
            CHECK(id.size() == 36);
            CHECK(ids.insert(std::string(id)).second);
        }
    }
    auto a = gen::cloudtrail_object(s, 7), b = gen::cloudtrail_object(s, 7);
    CHECK(a.key == b.key);
    CHECK(a.body == b.body);
    s.seed = 2;
    CHECK(gen::cloudtrail_object(s, 7).key != a.key);
}

TEST_CASE("gunzip rejects corrupt and truncated input and honours the size cap") {
    auto z = gen::gzip("hello hello hello hello");
    std::string out;
    REQUIRE(gen::gunzip(z, out));
    CHECK(out == "hello hello hello hello");
    for (std::size_t n = 0; n < z.size(); ++n) CHECK_FALSE(gen::gunzip(z.substr(0, n), out));
    CHECK_FALSE(gen::gunzip("not gzip at all", out));
    CHECK_FALSE(gen::gunzip(gen::gzip(std::string(100000, 'a')), out, 1000));
}
