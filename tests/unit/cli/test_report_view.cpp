// Report views, job files and JSON log lines (pure).
#include <doctest/doctest.h>

#include "cli/job_file.hpp"
#include "cli/log.hpp"
#include "cli/report_view.hpp"

using namespace s3merge;
using namespace s3merge::cli;

namespace {

engine::report sample_report(std::uint64_t copies_per_s) {
    engine::report r;
    r.job_id = "j";
    r.mode = "copy";
    r.destination = {"d", ""};
    r.duration_ms = 3000;
    r.totals.copied = 3 * copies_per_s;
    r.totals.bytes_copied = 3 * copies_per_s * 1024;
    r.timeline_interval_ms = 1000;
    for (std::uint64_t i = 1; i <= 3; ++i)
        r.timeline.push_back(
            {i * 1000, i * copies_per_s, i * copies_per_s * 1024, 0, i * copies_per_s, i, 0, 8, 16});
    engine::operation_record o;
    o.name = "CopyObject";
    o.calls = 3 * copies_per_s;
    o.p50 = 2000 * copies_per_s / 100;
    o.p99 = 9000;
    o.histogram = {{1000, 1}, {3000, 2}, {9000, 1}};
    o.throttle_codes = {{"SlowDown", 7}};
    r.operations.push_back(o);
    r.sources.push_back({{"s<1>", "p/"}, r.totals});
    return r;
}

}  // namespace

TEST_CASE("timeline rates: per-second deltas of the cumulative samples") {
    auto r = sample_report(100);
    r.timeline[2].t_ms = 3500;  // a longer last interval
    auto s = timeline_rates(r);
    REQUIRE(s.t_s.size() == 3);
    CHECK(s.t_s[0] == 1.0);
    CHECK(s.copies[0] == 100);
    CHECK(s.copies[1] == 100);
    CHECK(s.copies[2] == doctest::Approx(100.0 / 1.5));
    CHECK(s.bytes[1] == 102400);
    CHECK(s.throttles[1] == 1);
    CHECK(s.limit[2] == 16);
}

TEST_CASE("report text and compare: the numbers and their ratios") {
    auto a = sample_report(100), b = sample_report(200);
    auto text = render_report_text(a);
    CHECK(text.find("CopyObject") != std::string::npos);
    auto slow = text.find("SlowDown");
    REQUIRE(slow != std::string::npos);
    CHECK(text.substr(slow, text.find('\n', slow) - slow).find(" 7") != std::string::npos);
    CHECK(text.find("300") != std::string::npos);
    auto cmp = render_report_compare({"a.json", a}, {"b.json", b});
    CHECK(cmp.find("A: a.json") != std::string::npos);
    // copied 300 vs 600: B/A 2.00x; p50 2.00 ms vs 4.00 ms: 2.00x.
    auto copied = cmp.find("copied");
    REQUIRE(copied != std::string::npos);
    auto line = cmp.substr(copied, cmp.find('\n', copied) - copied);
    CHECK(line.find("300") != std::string::npos);
    CHECK(line.find("600") != std::string::npos);
    CHECK(line.find("2.00x") != std::string::npos);
}

TEST_CASE("report html: self-contained, escaped, charts carry the report's numbers") {
    auto a = sample_report(100), b = sample_report(250);
    auto html = render_report_html({{"run <a>", a}, {"b.json", b}});
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("http") == std::string::npos);  // nothing fetched, no link out
    CHECK(html.find("run &lt;a&gt;") != std::string::npos);
    CHECK(html.find("s3://s&lt;1&gt;/p/") != std::string::npos);
    CHECK(html.find("data-series=\"copies/s\" data-x=\"1 2 3\" data-values=\"100 100 100\"") !=
          std::string::npos);
    CHECK(html.find("data-series=\"copies/s\" data-x=\"1 2 3\" data-values=\"250 250 250\"") !=
          std::string::npos);
    CHECK(html.find("id=\"latency-CopyObject\"") != std::string::npos);
    // The CDF: 1 of 4 calls by 1 ms, 3 by 3 ms, all by 9 ms.
    CHECK(html.find("data-x=\"1 3 9\" data-values=\"25 75 100\"") != std::string::npos);
}

TEST_CASE("job files: parsed, merged under the command line, and written back") {
    std::vector<option_spec> spec = {
        {"source", true, true, "URI", ""},     {"dest", true, false, "URI", ""},
        {"concurrency", true, false, "N", ""}, {"no-progress", false, false, "", ""},
        {"include", true, true, "G", ""},      {"exclude", true, true, "G", ""},
        {"job", true, false, "F", ""},         {"print-job", false, false, "", ""}};
    const char* json = R"({"s3merge_job": 1, "command": "copy",
        "options": {"source": ["s3://a/", "s3://b/"], "dest": "s3://d/", "concurrency": 64,
                    "no-progress": true, "filters": [["exclude", "*"], ["include", "*.gz"]]}})";
    parsed_args job;
    std::string err;
    REQUIRE(parse_job_file(json, "copy", spec, job, err));
    CHECK(job.all("source") == std::vector<std::string>{"s3://a/", "s3://b/"});
    CHECK(job.value("concurrency") == "64");
    CHECK(job.flag("no-progress"));
    CHECK(job.filters ==
          std::vector<std::pair<std::string, std::string>>{{"exclude", "*"}, {"include", "*.gz"}});

    parsed_args cmd;
    cmd.values["concurrency"] = {"8"};
    merge_job_args(cmd, job);
    CHECK(cmd.value("concurrency") == "8");  // the command line wins
    CHECK(cmd.all("source").size() == 2);
    CHECK(cmd.filters.size() == 2);

    // Filters on the command line replace all of the job's.
    parsed_args cmd2;
    cmd2.filters = {{"include", "*.json"}};
    cmd2.values["include"] = {"*.json"};
    merge_job_args(cmd2, job);
    CHECK(cmd2.filters.size() == 1);
    CHECK(cmd2.all("exclude").empty());

    // Written back, read again: the same options.
    auto text = encode_job_file("copy", cmd, spec);
    parsed_args again;
    REQUIRE(parse_job_file(text, "copy", spec, again, err));
    CHECK(again.values == cmd.values);
    CHECK(again.filters == cmd.filters);
    CHECK(again.flags == cmd.flags);

    CHECK_FALSE(parse_job_file(json, "move", spec, job, err));
    CHECK(err.find("'s3merge copy'") != std::string::npos);
    CHECK_FALSE(parse_job_file(R"({"s3merge_job":1,"command":"copy","options":{"bogus":1}})", "copy", spec,
                               job, err));
    CHECK(err.find("bogus") != std::string::npos);
    CHECK_FALSE(parse_job_file(R"({"s3merge_job":1,"command":"copy","options":{"dest":["a","b"]}})", "copy",
                               spec, job, err));
    CHECK_FALSE(parse_job_file(R"({"command":"copy"})", "copy", spec, job, err));
    CHECK_FALSE(parse_job_file(R"({"s3merge_job":1,"command":"copy","options":{"job":"x"}})", "copy", spec,
                               job, err));
}

TEST_CASE("JSON log lines: fields from the diagnostics, escaped, no empty ones") {
    diagnostics d;
    d.operation = "CopyObject";
    d.bucket = "b";
    d.key = "k\"\n";
    d.region = "eu-west-1";
    d.s3_code = "SlowDown";
    d.http_status = 503;
    d.attempts = 10;
    engine::log_record r{engine::log_level::error, "failure", "s3merge: failed: ...", &d};
    auto line = encode_log_json("2026-12-04T05:00:00.000Z", r);
    CHECK(
        line ==
        R"({"time":"2026-12-04T05:00:00.000Z","level":"error","event":"failure","message":"s3merge: failed: ...",)"
        R"("operation":"CopyObject","bucket":"b","key":"k\"\n","region":"eu-west-1","code":"SlowDown",)"
        R"("http_status":503,"attempt":10})");
    engine::log_record plain{engine::log_level::info, "progress", "listed 5", nullptr};
    CHECK(encode_log_json("t", plain) ==
          R"({"time":"t","level":"info","event":"progress","message":"listed 5"})");
}
