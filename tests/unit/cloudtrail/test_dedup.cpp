// Overlap windows, eventIDs, verdicts and filtered files.
#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

#include "s3merge/cloudtrail/dedup.hpp"
#include "s3merge/gen/cloudtrail.hpp"

using namespace s3merge;
using namespace s3merge::cloudtrail;

namespace {

// A string with simdjson's padding after it.
struct padded {
    std::string s;
    explicit padded(std::string text) : s(std::move(text)) { s.reserve(s.size() + padding_bytes); }
};

std::vector<std::string> ids_of(const std::string& json) {
    padded p(json);
    std::vector<std::string> out;
    diagnostics diag;
    REQUIRE_FALSE(event_ids(p.s, p.s.capacity(), out, diag));
    return out;
}

}  // namespace

TEST_CASE("dedup: days and the overlap window from listings alone") {
    CHECK(day_of("2024/01/05/111_CloudTrail_x.json.gz") == "2024/01/05");
    CHECK(day_of("2024/1/05/x") == "");
    CHECK(day_of("readme.txt") == "");
    CHECK(day_of("2024/01/05") == "");
    CHECK(overlap_days({"2024/01/01/a", "2024/01/02/b", "2024/01/03/c", "2024/01/03/d", "x"},
                       {"2024/01/03/e", "2024/01/02/f", "2024/01/04/g"}) ==
          std::vector<std::string>{"2024/01/02", "2024/01/03"});
    CHECK(overlap_days({"2024/01/01/a"}, {}).empty());
}

TEST_CASE("dedup: eventIDs of a log file, in order; edge cases") {
    CHECK(
        ids_of(
            R"({"Records":[{"eventVersion":"1.08","eventID":"a-1"},{"eventID":"b-2","x":{"eventID":"n"}}]})") ==
        std::vector<std::string>{"a-1", "b-2"});
    CHECK(ids_of(R"({"Records":[]})").empty());
    CHECK(ids_of(R"({"other":1,"Records":[{"eventID":"z"}]})") == std::vector<std::string>{"z"});
    // A generated log: its eventIDs are unique and as many as its records.
    gen::cloudtrail_series s;
    s.records_per_file = 500;
    std::string json;
    REQUIRE(gen::gunzip(gen::cloudtrail_object(s, 3).body, json));
    auto ids = ids_of(json);
    CHECK(ids.size() == 500);
    std::unordered_set<std::string> unique(ids.begin(), ids.end());
    CHECK(unique.size() == 500);
    // Not a log: errors, nothing appended.
    for (const char* bad : {"", "[]", "{\"Records\":{}}", "{\"Records\":[{\"eventName\":\"x\"}]}",
                            "{\"Records\":[1]}", "{\"Records\":[{\"eventID\":\"a\"}"}) {
        padded p(bad);
        std::vector<std::string> out;
        diagnostics diag;
        CAPTURE(bad);
        CHECK(event_ids(p.s, p.s.capacity(), out, diag) == errc::malformed_response);
        CHECK(out.empty());
    }
    std::vector<std::string> out;
    diagnostics diag;
    std::string unpadded = "{\"Records\":[]}";
    unpadded.shrink_to_fit();
    CHECK(event_ids(unpadded, unpadded.size(), out, diag) == errc::malformed_response);
}

TEST_CASE("dedup: a file's verdict against the destination's events of that day") {
    const std::unordered_set<std::string> dest{"a", "b", "c"};
    auto v = classify({"a", "b"}, dest);
    CHECK(v.kind == dup_kind::all);
    CHECK(v.events == 2);
    CHECK(v.duplicates == 2);
    v = classify({"a", "x"}, dest);
    CHECK(v.kind == dup_kind::some);
    CHECK(v.duplicates == 1);
    CHECK(classify({"x", "y"}, dest).kind == dup_kind::none);
    CHECK(classify({}, dest).kind == dup_kind::none);
}

TEST_CASE("dedup: the filtered file keeps the other records byte for byte") {
    const std::string json =
        R"({"Records":[{"eventID":"a","n":1},{"eventID":"b","nested":{"k":[1,2]}},{"eventID":"c","s":"\"q\""}]})";
    padded p(json);
    std::string out;
    std::uint64_t kept = 0;
    diagnostics diag;
    REQUIRE_FALSE(filter_records(p.s, p.s.capacity(), {"a"}, out, kept, diag));
    CHECK(kept == 2);
    CHECK(out == R"({"Records":[{"eventID":"b","nested":{"k":[1,2]}},{"eventID":"c","s":"\"q\""}]})");
    REQUIRE_FALSE(filter_records(p.s, p.s.capacity(), {"a", "b", "c"}, out, kept, diag));
    CHECK(kept == 0);
    CHECK(out == R"({"Records":[]})");
    CHECK(ids_of(out).empty());
    padded bad(R"({"Records":[{"n":1}]})");
    CHECK(filter_records(bad.s, bad.s.capacity(), {}, out, kept, diag) == errc::malformed_response);
    CHECK(out.empty());
    CHECK(filtered_key("AWSLogs/1/CloudTrail/r/2024/01/01/1_CloudTrail_r_20240101T0000Z_ab.json.gz") ==
          "AWSLogs/1/CloudTrail/r/2024/01/01/1_CloudTrail_r_20240101T0000Z_ab_dedup.json.gz");
}

TEST_CASE("dedup: a huge record (2 MiB of requestParameters) is read and filtered like any other") {
    const std::string big(2u << 20, 'x');
    const std::string json = R"({"Records":[{"eventID":"small"},{"requestParameters":{"policy":")" + big +
                             R"("},"eventID":"huge"},{"eventID":"last"}]})";
    padded p(json);
    std::vector<std::string> out;
    diagnostics diag;
    REQUIRE_FALSE(event_ids(p.s, p.s.capacity(), out, diag));
    CHECK(out == std::vector<std::string>{"small", "huge", "last"});
    std::string filtered;
    std::uint64_t kept = 0;
    REQUIRE_FALSE(filter_records(p.s, p.s.capacity(), {"small", "last"}, filtered, kept, diag));
    CHECK(kept == 1);
    CHECK(filtered.size() > big.size());
    CHECK(ids_of(filtered) == std::vector<std::string>{"huge"});
}

TEST_CASE("dedup: the generator's overlap and its ground truth agree with the verdicts") {
    gen::cloudtrail_series s;
    s.account = "111122223333";
    s.files_per_day = 4;
    s.records_per_file = 6;
    gen::overlap_truth truth;
    auto files = gen::all_region_overlap(s, 20, {"2024/01/02", "2024/01/04"}, "central/", truth);
    REQUIRE(files.size() == 2);
    CHECK(files[0].key ==
          "central/AWSLogs/111122223333/CloudTrail/us-east-1/2024/01/02/"
          "111122223333_CloudTrail_us-east-1_20240102T2359Z_allregion.json.gz");
    CHECK(truth.full_files == 4);
    CHECK(truth.partial_files == 4);
    CHECK(truth.duplicate_events == 4 * 6 + 4 * 3);
    // Every regional file of those days judged against its day's all-region file.
    std::uint64_t full = 0, partial = 0, dup = 0;
    for (std::uint64_t i = 0; i < 20; ++i) {
        auto o = gen::cloudtrail_object(s, i);
        const auto day = o.key.substr(std::string("AWSLogs/111122223333/CloudTrail/us-east-1/").size(), 10);
        const gen::generated_object* all = nullptr;
        for (const auto& f : files)
            if (f.key.find("/" + day + "/") != std::string::npos) all = &f;
        if (!all) continue;
        std::string all_json, json;
        REQUIRE(gen::gunzip(all->body, all_json));
        REQUIRE(gen::gunzip(o.body, json));
        auto dest = ids_of(all_json);
        const std::unordered_set<std::string> dest_set(dest.begin(), dest.end());
        const auto v = classify(ids_of(json), dest_set);
        full += v.kind == dup_kind::all;
        partial += v.kind == dup_kind::some;
        dup += v.duplicates;
    }
    CHECK(full == truth.full_files);
    CHECK(partial == truth.partial_files);
    CHECK(dup == truth.duplicate_events);
}
