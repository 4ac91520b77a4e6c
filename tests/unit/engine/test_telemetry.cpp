// Telemetry: per-operation stats, the bounded timeline, the token bucket,
// the report's telemetry round trip, Prometheus text, and object filters.
#include <doctest/doctest.h>

#include <map>
#include <random>
#include <sstream>

#include "s3merge/engine/metrics.hpp"
#include "s3merge/engine/object_filter.hpp"
#include "s3merge/engine/report.hpp"
#include "s3merge/engine/telemetry.hpp"

using namespace s3merge;
using namespace s3merge::engine;

TEST_CASE("op_stats: calls, requests, throttles and errors by code, bounded") {
    op_stats s;
    s.name = "CopyObject";
    s.record(1000, 1, 0, false, "");
    s.record(3000, 4, 3, false, "", "SlowDown");  // three SlowDowns, then success
    s.record(9000, 10, 10, true, "SlowDown", "503");
    s.record(500, 1, 0, true, "NoSuchKey");
    s.record(600, 1, 0, true, "SlowDown");
    CHECK(s.calls == 5);
    CHECK(s.requests == 17);
    CHECK(s.throttles == 13);
    CHECK(s.errors == 3);
    REQUIRE(s.codes.used == 2);
    CHECK(s.codes.slots[0].code == "SlowDown");
    CHECK(s.codes.slots[0].count == 2);
    CHECK(s.codes.slots[1].code == "NoSuchKey");
    CHECK(s.throttle_codes.list() == std::vector<code_count>{{"SlowDown", 3}, {"503", 10}});
    CHECK(s.latency.count() == 5);
    CHECK(s.latency.sum() == 14100);
    // More distinct codes than slots: the rest counted as "other", none lost.
    for (int i = 0; i < 12; ++i) s.record(1, 1, 0, true, "Code" + std::to_string(i));
    CHECK(s.codes.used == op_stats::max_codes);
    CHECK(s.codes.total() == s.errors);
    CHECK(s.codes.other == 6);
    CHECK(s.codes.list().back() == code_count{"other", 6});
}

TEST_CASE("timeline: one point per interval from ticks, the final point kept") {
    timeline tl(3600, 1000);
    for (std::uint64_t t = 250; t <= 10'000; t += 250) {
        timeline_point p;
        p.t_ms = t;
        p.copies = t / 10;  // 100 copies per second
        tl.offer(p);
    }
    timeline_point last;
    last.t_ms = 10'130, last.copies = 1013;
    tl.finish(last);
    REQUIRE(tl.points().size() == 11);
    for (std::size_t i = 0; i < 10; ++i) {
        CHECK(tl.points()[i].t_ms == (i + 1) * 1000);
        CHECK(tl.points()[i].copies == (i + 1) * 100);
    }
    CHECK(tl.points().back() == last);
}

TEST_CASE("timeline: at max_points it halves its resolution instead of growing") {
    timeline tl(16, 1000);
    std::uint64_t total = 0;
    for (std::uint64_t t = 250; t <= 600'000; t += 250) {  // ten minutes of ticks
        timeline_point p;
        p.t_ms = t;
        total = t / 4;
        p.copies = total;
        tl.offer(p);
        REQUIRE(tl.points().size() < 16);
    }
    CHECK(tl.interval_ms() >= 32'000);  // 600 s into fewer than 16 points
    // Still in time order, cumulative counts non-decreasing, spread over the run.
    const auto& pts = tl.points();
    for (std::size_t i = 1; i < pts.size(); ++i) {
        CHECK(pts[i].t_ms > pts[i - 1].t_ms);
        CHECK(pts[i].copies >= pts[i - 1].copies);
    }
    CHECK(pts.front().t_ms <= 64'000);
    CHECK(pts.back().t_ms >= 600'000 - tl.interval_ms());
}

TEST_CASE("token bucket: the rate holds over any window, callers queue fairly") {
    token_bucket b(100, 10);  // 100/s, burst 10
    const std::uint64_t s = 1'000'000'000;
    // 1000 callers at once: the last waits (1000 - 10) / 100 s.
    std::vector<std::uint64_t> go;
    for (int i = 0; i < 1000; ++i) go.push_back(b.reserve(5 * s, 1).count() + 5 * s);
    CHECK(go.front() == 5 * s);
    CHECK(go.back() == doctest::Approx(5 * s + 9.9 * s).epsilon(1e-6));
    for (std::size_t i = 1; i < go.size(); ++i) CHECK(go[i] >= go[i - 1]);
    // In any one-second window at most rate + burst start.
    for (std::size_t i = 0; i < go.size(); ++i) {
        std::size_t n = 0;
        for (std::size_t j = i; j < go.size() && go[j] < go[i] + s; ++j) ++n;
        CHECK(n <= 110);
    }
    // Bytes: a 50 MB part at 10 MB/s (burst 1 MB) waits 4.9 s, the next one 5 s more.
    token_bucket bytes(10e6, 1e6);
    CHECK(bytes.reserve(0, 50e6).count() == doctest::Approx(4.9e9));
    CHECK(bytes.reserve(0, 50e6).count() == doctest::Approx(9.9e9));
    // Idle time refills only up to the burst.
    token_bucket idle(10, 2);
    CHECK(idle.reserve(0, 1).count() == 0);
    CHECK(idle.reserve(100 * s, 3).count() == doctest::Approx(0.1e9));
}

TEST_CASE("report: telemetry survives encode and decode") {
    report r;
    r.job_id = "abc";
    r.mode = "copy";
    r.destination = {"dest", "p/"};
    r.started_at = "2026-12-04T05:00:00Z";
    r.finished_at = "2026-12-04T05:00:10Z";
    r.duration_ms = 10'123;
    r.totals = {100, 90, 8, 0, 2, 9000};
    r.sources.push_back({{"src", "a/"}, r.totals});
    r.details.resize(1);
    r.details[0].bytes_listed = 12345;
    r.retries = 7, r.throttles = 5, r.network_failures = 1;
    op_stats s;
    s.name = "CopyObject";
    std::mt19937 rng(7);
    for (int i = 0; i < 1000; ++i) s.record(100 + rng() % 100000, 1, 0, false, "");
    s.record(5000, 10, 10, true, "SlowDown", "SlowDown");
    r.operations.push_back(make_operation_record(s));
    r.hosts.push_back({"127.0.0.1:7480", 1010, 9, 10, 64, 0});
    r.timeline_interval_ms = 1000;
    r.timeline.push_back({1000, 40, 4000, 100, 45, 2, 0, 64, 64});
    r.timeline.push_back({2000, 90, 9000, 100, 99, 5, 2, 0, 32});
    r.limit_changes = 1, r.limit_lowest = 32;
    r.max_requests_per_second = 500;
    r.failures.push_back({"CopyObject", "src", "a/k\"1", "SlowDown", "Reduce your request rate", 10});

    report back;
    diagnostics d;
    REQUIRE_FALSE(decode_report(encode_report(r), back, d));
    CHECK(back.job_id == "abc");
    CHECK(back.destination == r.destination);
    CHECK(back.duration_ms == 10'123);
    CHECK(back.totals == r.totals);
    REQUIRE(back.sources.size() == 1);
    CHECK(back.sources[0] == r.sources[0]);
    CHECK(back.details[0].bytes_listed == 12345);
    CHECK(back.retries == 7);
    CHECK(back.throttles == 5);
    REQUIRE(back.operations.size() == 1);
    const auto& o = back.operations[0];
    CHECK(o.name == "CopyObject");
    CHECK(o.calls == 1001);
    CHECK(o.requests == 1010);
    CHECK(o.throttles == 10);
    CHECK(o.errors == 1);
    CHECK(o.p50 == s.latency.percentile(50));
    CHECK(o.p999 == s.latency.percentile(99.9));
    CHECK(o.max == s.latency.max());
    CHECK(o.sum == s.latency.sum());
    CHECK(o.codes == std::vector<code_count>{{"SlowDown", 1}});
    CHECK(o.throttle_codes == std::vector<code_count>{{"SlowDown", 10}});
    std::uint64_t in_hist = 0;
    for (const auto& [upper, n] : o.histogram) in_hist += n;
    CHECK(in_hist == 1001);
    CHECK(o.histogram == r.operations[0].histogram);
    CHECK(back.hosts == r.hosts);
    CHECK(back.timeline == r.timeline);
    CHECK(back.timeline_interval_ms == 1000);
    CHECK(back.limit_changes == 1);
    CHECK(back.limit_lowest == 32);
    CHECK(back.max_requests_per_second == 500);
    REQUIRE(back.failures.size() == 1);
    CHECK(back.failures[0].key == "a/k\"1");
    CHECK(back.failures[0].attempts == 10);
}

TEST_CASE("report: decoding refuses what is not a report, naming the field") {
    report r;
    diagnostics d;
    CHECK(decode_report("not json", r, d) == errc::invalid_argument);
    CHECK(d.detail.find("not a JSON object") != std::string::npos);
    d.clear();
    CHECK(decode_report(R"({"version": 9})", r, d) == errc::invalid_argument);
    CHECK(d.detail.find("version 9") != std::string::npos);
    d.clear();
    CHECK(decode_report(R"({"version": 1, "job_id": "x", "mode": "copy", "destination": "s3://d/"})", r, d) ==
          errc::invalid_argument);
    CHECK(d.detail.find("totals") != std::string::npos);
}

namespace {

// Prometheus text: family -> type, and every sample line as name{labels} -> value.
struct parsed_metrics {
    std::map<std::string, std::string> types;
    std::map<std::string, double> samples;
};

parsed_metrics parse(const std::string& text) {
    parsed_metrics m;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("# TYPE ", 0) == 0) {
            auto rest = line.substr(7);
            auto sp = rest.find(' ');
            m.types[rest.substr(0, sp)] = rest.substr(sp + 1);
            continue;
        }
        if (line.empty() || line[0] == '#') continue;
        auto sp = line.rfind(' ');
        REQUIRE(sp != std::string::npos);
        m.samples[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
    }
    return m;
}

}  // namespace

TEST_CASE("metrics: Prometheus text with cumulative histogram buckets") {
    op_stats ops[2];
    ops[0].name = "CopyObject";
    for (std::uint64_t us : {500u, 900u, 4000u, 20000u, 20000u, 2'000'000u})
        ops[0].record(us, 1, 0, false, "");
    ops[0].record(70'000'000, 3, 2, true, "Slow\"Down", "SlowDown");
    ops[1].name = "ListObjectsV2";
    metrics_snapshot m;
    m.job_id = "0123456789abcdef0123";
    m.mode = "copy";
    m.totals = {10, 6, 3, 1, 1, 600};
    m.sources.push_back({{"b", "p/"}, m.totals});
    m.operations = ops;
    m.hosts.push_back({"h:1", 9, 2, 2, 4, 0});
    m.in_flight = 3, m.limit = 16;
    auto p = parse(encode_metrics(m));
    const std::string base = "s3merge_job=\"0123456789abcdef\",mode=\"copy\"";
    CHECK(p.types["s3merge_objects_copied_total"] == "counter");
    CHECK(p.types["s3merge_request_duration_seconds"] == "histogram");
    CHECK(p.types["s3merge_concurrency_limit"] == "gauge");
    CHECK(p.samples["s3merge_objects_copied_total{" + base + "}"] == 6);
    CHECK(p.samples["s3merge_bytes_copied_total{" + base + "}"] == 600);
    CHECK(p.samples["s3merge_source_objects_copied_total{" + base + ",source=\"s3://b/p/\"}"] == 6);
    CHECK(p.samples["s3merge_requests_in_flight{" + base + "}"] == 3);
    const std::string op = base + ",operation=\"CopyObject\"";
    CHECK(p.samples["s3merge_requests_total{" + op + "}"] == 9);
    CHECK(p.samples["s3merge_request_throttles_total{" + op + "}"] == 2);
    CHECK(p.samples["s3merge_request_throttle_codes_total{" + op + ",code=\"SlowDown\"}"] == 2);
    CHECK(p.samples["s3merge_request_errors_total{" + op + ",code=\"Slow\\\"Down\"}"] == 1);
    auto bucket = [&](const std::string& le) {
        return p.samples.at("s3merge_request_duration_seconds_bucket{" + op + ",le=\"" + le + "\"}");
    };
    CHECK(bucket("0.001") == 2);
    CHECK(bucket("0.005") == 3);
    CHECK(bucket("0.025") == 5);
    CHECK(bucket("2.5") == 6);
    CHECK(bucket("60") == 6);
    CHECK(bucket("+Inf") == 7);
    double prev = 0;
    for (double le : duration_buckets()) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.15g", le);
        CHECK(bucket(buf) >= prev);
        prev = bucket(buf);
    }
    CHECK(p.samples["s3merge_request_duration_seconds_count{" + op + "}"] == 7);
    CHECK(p.samples["s3merge_request_duration_seconds_sum{" + op + "}"] == doctest::Approx(72.0454));
    CHECK(p.samples["s3merge_host_connections_opened_total{" + base + ",host=\"h:1\"}"] == 4);
    CHECK(p.samples["s3merge_run_end_time_seconds{" + base + "}"] == 0);
    CHECK(p.samples["s3merge_run_succeeded{" + base + "}"] == 0);
}

TEST_CASE("filters: AWS CLI include/exclude order, globs, and time bounds") {
    CHECK(glob_match("*", "a/b/c"));
    CHECK(glob_match("*.json.gz", "2024/01/02/x.json.gz"));  // * crosses '/'
    CHECK_FALSE(glob_match("*.json.gz", "x.json"));
    CHECK(glob_match("2024/0?/*", "2024/03/x"));
    CHECK_FALSE(glob_match("2024/0?/*", "2024/10/x"));
    CHECK(glob_match("[a-c]*", "b1"));
    CHECK_FALSE(glob_match("[!a-c]*", "b1"));
    CHECK(glob_match("[x", "[x"));  // no closing ']': a literal '['
    CHECK(glob_match("a*b*c", "aXXbYYc"));
    CHECK_FALSE(glob_match("a*b*c", "aXXbYY"));
    CHECK(glob_match("", ""));
    CHECK_FALSE(glob_match("", "a"));

    object_filter f;
    CHECK(f.empty());
    CHECK(f.admits("anything", ""));
    // The AWS CLI's example: --exclude "*" --include "*.txt": only .txt.
    f.rules = {{false, "*"}, {true, "*.txt"}};
    CHECK(f.admits("a/b.txt", ""));
    CHECK_FALSE(f.admits("a/b.jpg", ""));
    // Reversed, the exclude wins for everything (the last match decides).
    f.rules = {{true, "*.txt"}, {false, "*"}};
    CHECK_FALSE(f.admits("a/b.txt", ""));
    // --exclude "*.tmp" alone: everything else stays.
    f.rules = {{false, "*.tmp"}};
    CHECK(f.admits("x.log", ""));
    CHECK_FALSE(f.admits("dir/x.tmp", ""));

    object_filter t;
    sys_time after, before;
    REQUIRE(parse_time_bound("2024-05-01", after));
    REQUIRE(parse_time_bound("2024-05-02T12:00:00Z", before));
    t.modified_after = after;
    t.modified_before = before;
    CHECK(t.admits("k", "2024-05-01T00:00:00.000Z"));  // at the bound: in
    CHECK(t.admits("k", "2024-05-02T11:59:59.999Z"));
    CHECK_FALSE(t.admits("k", "2024-05-02T12:00:00.000Z"));  // before is exclusive
    CHECK_FALSE(t.admits("k", "2024-04-30T23:59:59.000Z"));
    CHECK_FALSE(t.admits("k", "garbage"));  // unreadable time: left out
    CHECK_FALSE(parse_time_bound("2024-13-01", after));
    CHECK(t.identity() != f.identity());
    object_filter g = t;
    CHECK(g.identity() == t.identity());
    g.rules.push_back({false, "*"});
    CHECK(g.identity() != t.identity());
}

TEST_CASE("key ranges: which prefixes can hold keys of a day range") {
    key_range r{"L/us-east-1/2024/03/05/", "L/us-east-1/2024/03/11/", "", 0};
    CHECK(r.meets_prefix("L/us-east-1/"));
    CHECK(r.meets_prefix("L/us-east-1/2024/"));
    CHECK(r.meets_prefix("L/us-east-1/2024/03/"));
    CHECK_FALSE(r.meets_prefix("L/us-east-1/2023/"));
    CHECK_FALSE(r.meets_prefix("L/us-east-1/2024/02/"));
    CHECK_FALSE(r.meets_prefix("L/us-east-1/2024/04/"));
    CHECK_FALSE(r.meets_prefix("L/us-east-1/2024/03/04/"));
    CHECK(r.meets_prefix("L/us-east-1/2024/03/05/"));
    CHECK(r.meets_prefix("L/us-east-1/2024/03/10/"));
    CHECK_FALSE(r.meets_prefix("L/us-east-1/2024/03/11/"));
    CHECK(r.holds("L/us-east-1/2024/03/10/x.json.gz"));
    CHECK_FALSE(r.holds("L/us-east-1/2024/03/11/x.json.gz"));
    CHECK_FALSE(r.holds("L/us-east-1/2024/03/04/x.json.gz"));
    key_range open{"L/2024/03/05/", "", "", 0};
    CHECK(open.meets_prefix("L/2025/"));
    CHECK(open.holds("L/2030/01/01/x"));
    // Days below a region level (a prefix ending at CloudTrail/): compared
    // after the region.
    key_range days{"2024/03/05/", "2024/03/11/", "AWSLogs/1/CloudTrail/", 1};
    CHECK(days.meets_prefix(""));
    CHECK(days.meets_prefix("AWSLogs/"));
    CHECK(days.meets_prefix("AWSLogs/1/CloudTrail/"));
    CHECK(days.meets_prefix("AWSLogs/1/CloudTrail/eu-west-1/"));
    CHECK(days.meets_prefix("AWSLogs/1/CloudTrail/eu-west-1/2024/"));
    CHECK_FALSE(days.meets_prefix("AWSLogs/1/CloudTrail/eu-west-1/2023/"));
    CHECK_FALSE(days.meets_prefix("AWSLogs/1/CloudTrail/eu-west-1/2024/03/04/"));
    CHECK(days.meets_prefix("AWSLogs/1/CloudTrail/us-east-1/2024/03/07/"));
    CHECK_FALSE(days.meets_prefix("AWSLogs/2/"));
    CHECK(days.holds("AWSLogs/1/CloudTrail/eu-west-1/2024/03/10/x.json.gz"));
    CHECK_FALSE(days.holds("AWSLogs/1/CloudTrail/eu-west-1/2024/03/11/x.json.gz"));
    CHECK_FALSE(days.holds("AWSLogs/1/CloudTrail/stray.json"));  // no day: not held
}
