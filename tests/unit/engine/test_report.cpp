#include <doctest/doctest.h>

#include <simdjson.h>

#include "s3merge/engine/report.hpp"

using namespace s3merge::engine;

namespace {

std::uint64_t u(simdjson::dom::element e, const char* path) {
    std::uint64_t v = 0;
    REQUIRE_MESSAGE(e.at_pointer(path).get_uint64().get(v) == simdjson::SUCCESS, path);
    return v;
}
std::string s(simdjson::dom::element e, const char* path) {
    std::string_view v;
    REQUIRE_MESSAGE(e.at_pointer(path).get_string().get(v) == simdjson::SUCCESS, path);
    return std::string(v);
}

}  // namespace

TEST_CASE("report counts per source and in total, and parses back") {
    report r;
    r.job_id = "abc";
    r.mode = "move";
    r.destination = {"dst", "merged/"};
    r.started_at = "2024-05-01T10:00:00Z";
    r.sources = {{{"a", "logs/"}, {}}, {{"b", ""}, {}}};
    r.count(0, {.listed = 3, .copied = 2, .skipped = 1, .bytes_copied = 300});
    r.count(1, {.listed = 2, .copied = 1, .deleted = 1, .bytes_copied = 5});
    r.count(0, {.deleted = 2});
    r.add_failure(1, {"CopyObject", "b", "k\"ey\n\x01\xC3\xA9", "AccessDenied", "Access Denied", 1});
    r.add_failure(1, {"CopyObject", "b", "bin\xFF", "", "connection reset", 10});
    r.retries = 17;
    r.throttles = 4;
    r.glacier_skipped = 2;
    r.noncurrent_skipped = 9;

    std::string text = encode_report(r);
    CHECK(text.back() == '\n');
    CHECK(text.find("\n  \"totals\": {\n    \"listed\": 5,") != std::string::npos);  // pretty
    simdjson::dom::parser p;
    simdjson::padded_string ps(text);
    simdjson::dom::element doc;
    REQUIRE(p.parse(ps).get(doc) == simdjson::SUCCESS);
    CHECK(u(doc, "/version") == 1);
    CHECK(s(doc, "/job_id") == "abc");
    CHECK(s(doc, "/mode") == "move");
    CHECK(s(doc, "/destination") == "s3://dst/merged/");
    CHECK(s(doc, "/started_at") == "2024-05-01T10:00:00Z");
    simdjson::dom::element missing;
    CHECK(doc.at_pointer("/finished_at").get(missing) != simdjson::SUCCESS);
    CHECK(u(doc, "/totals/listed") == 5);
    CHECK(u(doc, "/totals/copied") == 3);
    CHECK(u(doc, "/totals/skipped") == 1);
    CHECK(u(doc, "/totals/deleted") == 3);
    CHECK(u(doc, "/totals/failed") == 2);
    CHECK(u(doc, "/totals/bytes_copied") == 305);
    CHECK(s(doc, "/sources/0/source") == "s3://a/logs/");
    CHECK(s(doc, "/sources/0/bucket") == "a");
    CHECK(s(doc, "/sources/0/prefix") == "logs/");
    CHECK(u(doc, "/sources/0/listed") == 3);
    CHECK(u(doc, "/sources/0/deleted") == 2);
    CHECK(u(doc, "/sources/0/failed") == 0);
    CHECK(u(doc, "/sources/1/failed") == 2);
    CHECK(u(doc, "/sources/1/bytes_copied") == 5);
    CHECK(u(doc, "/retries") == 17);
    CHECK(u(doc, "/throttles") == 4);
    CHECK(u(doc, "/glacier_skipped") == 2);
    CHECK(u(doc, "/noncurrent_skipped") == 9);
    CHECK(s(doc, "/failures/0/operation") == "CopyObject");
    CHECK(s(doc, "/failures/0/bucket") == "b");
    CHECK(s(doc, "/failures/0/key") == "k\"ey\n\x01\xC3\xA9");  // escapes round-trip
    CHECK(s(doc, "/failures/0/code") == "AccessDenied");
    CHECK(s(doc, "/failures/0/message") == "Access Denied");
    CHECK(u(doc, "/failures/0/attempts") == 1);
    CHECK(doc.at_pointer("/failures/0/key_hex").get(missing) != simdjson::SUCCESS);
    CHECK(s(doc, "/failures/1/key") == "bin\xEF\xBF\xBD");  // U+FFFD for the invalid byte
    CHECK(s(doc, "/failures/1/key_hex") == "62696eff");
    CHECK(u(doc, "/failures/1/attempts") == 10);
    CHECK(u(doc, "/failures_omitted") == 0);
}

TEST_CASE("report keeps at most max_failures in detail") {
    report r;
    r.max_failures = 3;
    r.sources = {{{"a", ""}, {}}};
    for (int i = 0; i < 10; ++i) r.add_failure(0, {"CopyObject", "a", "k" + std::to_string(i), "X", "m", 1});
    r.add_failure(7, {"DeleteObjects", "?", "k", "X", "m", 1});  // unknown source: totals only
    CHECK(r.failures.size() == 3);
    CHECK(r.failures_omitted == 8);
    CHECK(r.totals.failed == 11);
    CHECK(r.sources[0].counters.failed == 10);

    simdjson::dom::parser p;
    simdjson::padded_string ps(encode_report(r));
    simdjson::dom::element doc;
    REQUIRE(p.parse(ps).get(doc) == simdjson::SUCCESS);
    simdjson::dom::array failures;
    REQUIRE(doc["failures"].get_array().get(failures) == simdjson::SUCCESS);
    CHECK(failures.size() == 3);
    CHECK(s(doc, "/failures/2/key") == "k2");
    CHECK(u(doc, "/failures_omitted") == 8);
    CHECK(u(doc, "/totals/failed") == 11);
}

TEST_CASE("empty report is valid JSON") {
    report r;
    simdjson::dom::parser p;
    simdjson::padded_string ps(encode_report(r));
    simdjson::dom::element doc;
    REQUIRE(p.parse(ps).get(doc) == simdjson::SUCCESS);
    CHECK(u(doc, "/totals/listed") == 0);
    CHECK(s(doc, "/destination") == "s3:///");
}

TEST_CASE("make_failure takes what S3 said from diagnostics") {
    s3merge::diagnostics d;
    d.operation = "CopyObject";
    d.bucket = "b";
    d.key = "k";
    d.s3_code = "AccessDenied";
    d.message = "Access Denied";
    d.attempts = 3;
    failure_record f = make_failure(d, s3merge::errc::access_denied);
    CHECK(f.operation == "CopyObject");
    CHECK(f.bucket == "b");
    CHECK(f.key == "k");
    CHECK(f.s3_code == "AccessDenied");
    CHECK(f.message == "Access Denied");
    CHECK(f.attempts == 3);
    d.message.clear();
    d.detail = "connect 10.0.0.1:443: refused";
    CHECK(make_failure(d, s3merge::errc::connect_failed).message == "connect 10.0.0.1:443: refused");
    d.detail.clear();
    CHECK(make_failure(d, s3merge::errc::timeout).message ==
          std::error_code(s3merge::errc::timeout).message());
}

TEST_CASE("report writes per-source details of a dry run next to the counters") {
    report r;
    r.mode = "plan";
    r.destination = {"dst", "AWSLogs/1/CloudTrail/"};
    r.sources = {{{"a", "p/"}, {}}, {{"b", "p/"}, {}}};
    r.details.resize(1);  // details may be shorter than sources
    r.details[0] = {.bytes_listed = 1000,
                    .to_copy = 3,
                    .bytes_to_copy = 600,
                    .missing = 2,
                    .different = 2,
                    .archived = 1,
                    .noncurrent_versions = 7,
                    .delete_markers = 4};
    std::string text = encode_report(r);
    simdjson::dom::parser p;
    simdjson::padded_string ps(text);
    simdjson::dom::element doc;
    REQUIRE(p.parse(ps).get(doc) == simdjson::SUCCESS);
    CHECK(s(doc, "/mode") == "plan");
    CHECK(u(doc, "/sources/0/bytes_listed") == 1000);
    CHECK(u(doc, "/sources/0/to_copy") == 3);
    CHECK(u(doc, "/sources/0/bytes_to_copy") == 600);
    CHECK(u(doc, "/sources/0/missing") == 2);
    CHECK(u(doc, "/sources/0/different") == 2);
    CHECK(u(doc, "/sources/0/archived") == 1);
    CHECK(u(doc, "/sources/0/noncurrent_versions") == 7);
    CHECK(u(doc, "/sources/0/delete_markers") == 4);
    simdjson::dom::element second;
    REQUIRE(doc.at_pointer("/sources/1").get(second) == simdjson::SUCCESS);
    CHECK(second.at_pointer("/to_copy").error() == simdjson::NO_SUCH_FIELD);
}

TEST_CASE("report lists the overlap de-duplication per region, only when it ran") {
    report r;
    simdjson::dom::parser parser;
    {
        simdjson::padded_string ps(encode_report(r));
        simdjson::dom::element doc;
        REQUIRE_FALSE(parser.parse(ps).get(doc));
        CHECK(doc["overlap"].error() == simdjson::NO_SUCH_FIELD);
    }
    r.dedup = "filter";
    r.overlap.push_back({"us-east-1", "old", {"2024/01/02", "2024/01/03"}, 15, 120, 75, 6, 3, 3, 9});
    simdjson::padded_string ps(encode_report(r));
    simdjson::dom::element doc;
    REQUIRE_FALSE(parser.parse(ps).get(doc));
    CHECK(std::string_view(doc["dedup"]) == "filter");
    simdjson::dom::element o = doc["overlap"].at(0);
    CHECK(std::string_view(o["region"]) == "us-east-1");
    CHECK(std::string_view(o["days"].at(1)) == "2024/01/03");
    CHECK(uint64_t(o["duplicate_events"]) == 75);
    CHECK(uint64_t(o["filtered_files"]) == 3);
    CHECK(uint64_t(o["deleted"]) == 9);
}

TEST_CASE("report lists each S3 operation's calls, errors and latency percentiles") {
    report r;
    operation_record op;
    op.name = "CopyObject", op.calls = 14, op.errors = 1;
    op.p50 = 900, op.p90 = 2000, op.p99 = 5000, op.p999 = 5100, op.max = 5100;
    r.operations.push_back(op);
    simdjson::dom::parser parser;
    simdjson::padded_string ps(encode_report(r));
    simdjson::dom::element doc;
    REQUIRE_FALSE(parser.parse(ps).get(doc));
    simdjson::dom::element o = doc["operations"].at(0);
    CHECK(std::string_view(o["name"]) == "CopyObject");
    CHECK(uint64_t(o["calls"]) == 14);
    CHECK(uint64_t(o["errors"]) == 1);
    CHECK(uint64_t(o["latency_us"]["p50"]) == 900);
    CHECK(uint64_t(o["latency_us"]["p99.9"]) == 5100);
}
