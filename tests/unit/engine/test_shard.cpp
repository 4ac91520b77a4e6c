// Sharded runs: every key in exactly one shard, prefixes of other shards
// never listed, and shard reports merged.
#include <doctest/doctest.h>

#include <random>
#include <set>

#include "s3merge/engine/report.hpp"
#include "s3merge/engine/shard.hpp"

using namespace s3merge;
using namespace s3merge::engine;

TEST_CASE("shards: each key in exactly one shard, decided by its day prefix") {
    const unsigned n = 4, depth = 3;
    std::vector<std::size_t> per(n);
    std::mt19937 rng(3);
    for (int day = 1; day <= 28; ++day) {
        char prefix[16];
        std::snprintf(prefix, sizeof prefix, "2024/02/%02d/", day);
        const unsigned s = shard_of(std::string(prefix) + "f0.json.gz", depth, n);
        for (int f = 0; f < 50; ++f) {
            std::string key = std::string(prefix) + "f" + std::to_string(f) + ".json.gz";
            unsigned owner = shard_of(key, depth, n);
            CHECK(owner == s);  // the whole day in one shard
            ++per[owner];
            unsigned owners = 0;
            for (unsigned i = 0; i < n; ++i) owners += shard_may_own(prefix, depth, {i, n}) ? 1 : 0;
            CHECK(owners == 1);
            CHECK(shard_may_own(prefix, depth, {owner, n}));
        }
    }
    for (auto c : per) CHECK(c > 0);  // 28 days spread over 4 shards
    // Above the deciding level: every shard lists it.
    for (unsigned i = 0; i < n; ++i) {
        CHECK(shard_may_own("2024/", depth, {i, n}));
        CHECK(shard_may_own("2024/02/", depth, {i, n}));
        CHECK(shard_may_own("", depth, {i, n}));
    }
    // A flat key space (no '/'): each key by itself, spread evenly.
    std::vector<std::size_t> flat(n);
    for (int k = 0; k < 8000; ++k) ++flat[shard_of("object-" + std::to_string(k), depth, n)];
    for (auto c : flat) CHECK(c == doctest::Approx(2000).epsilon(0.1));
    CHECK(shard_of("anything", depth, 1) == 0);
    CHECK(shard_may_own("x/y/z/", depth, {0, 1}));
}

TEST_CASE("shards: --shard I/N and auto/N") {
    shard_spec s;
    std::string err;
    CHECK(parse_shard("2/4", "", "", s, err));
    CHECK(s == shard_spec{2, 4});
    CHECK(parse_shard("auto/8", "5", "", s, err));
    CHECK(s == shard_spec{5, 8});
    CHECK(parse_shard("auto/8", "", "7", s, err));  // AWS Batch
    CHECK(s == shard_spec{7, 8});
    CHECK_FALSE(parse_shard("4/4", "", "", s, err));
    CHECK(err.find("from 0 to 3") != std::string::npos);
    CHECK_FALSE(parse_shard("auto/4", "", "", s, err));
    CHECK(err.find("JOB_COMPLETION_INDEX") != std::string::npos);
    CHECK_FALSE(parse_shard("auto/4", "9", "", s, err));
    CHECK_FALSE(parse_shard("1", "", "", s, err));
    CHECK_FALSE(parse_shard("-1/4", "", "", s, err));
    CHECK_FALSE(parse_shard("1/0", "", "", s, err));
}

namespace {

report shard_report(unsigned i, unsigned n, std::uint64_t copied, std::uint64_t latency_upper) {
    report r;
    r.mode = "copy";
    r.destination = {"d", ""};
    r.shard_index = i, r.shard_count = n;
    r.started_at = "2026-12-04T05:00:0" + std::to_string(i) + "Z";
    r.finished_at = "2026-12-04T05:01:0" + std::to_string(i) + "Z";
    r.duration_ms = 2000 + 500 * i;
    r.totals = {copied, copied, 0, 0, 0, copied * 10};
    r.sources.push_back({{"a", ""}, r.totals});
    operation_record o;
    o.name = "CopyObject";
    o.calls = o.requests = copied;
    o.max = latency_upper;
    o.sum = copied * latency_upper;
    o.histogram = {{latency_upper, copied}};
    o.throttle_codes = {{"SlowDown", i}};
    r.operations.push_back(o);
    r.hosts.push_back({"h:1", copied, 0, i, 8, 0});
    r.timeline = {{1000, copied / 2, 0, copied, copied / 2, 0, 0, 8, 8},
                  {r.duration_ms, copied, 0, copied, copied, 0, 0, 0, 8}};
    return r;
}

}  // namespace

TEST_CASE("report merge: totals added, histograms merged, missing shards named") {
    std::vector<report> all = {shard_report(0, 3, 100, 1000), shard_report(1, 3, 300, 5000),
                               shard_report(2, 3, 100, 9000)};
    std::string problem;
    auto m = merge_reports(all, problem);
    CHECK(problem.empty());
    CHECK(m.totals.copied == 500);
    CHECK(m.totals.bytes_copied == 5000);
    REQUIRE(m.sources.size() == 1);
    CHECK(m.sources[0].counters.copied == 500);
    REQUIRE(m.operations.size() == 1);
    const auto& o = m.operations[0];
    CHECK(o.calls == 500);
    CHECK(o.p50 == 5000);  // the 250th of 500 calls: in the 5 ms bucket
    CHECK(o.p90 == 9000);  // the 450th
    CHECK(o.max == 9000);
    CHECK(o.throttle_codes == std::vector<code_count>{{"SlowDown", 3}});
    REQUIRE(m.hosts.size() == 1);
    CHECK(m.hosts[0].requests == 500);
    CHECK(m.hosts[0].connections_opened == 24);
    CHECK(m.started_at == "2026-12-04T05:00:00Z");
    CHECK(m.finished_at == "2026-12-04T05:01:02Z");
    CHECK(m.duration_ms == 3000);
    REQUIRE_FALSE(m.timeline.empty());
    CHECK(m.timeline.back().copies == 500);   // every shard done by the end
    CHECK(m.timeline.front().copies == 250);  // each at half after a second
    CHECK(m.shard_count == 1);

    std::vector<report> part = {all[0], all[2], all[2]};
    m = merge_reports(part, problem);
    CHECK(problem.find("shard 1 of 3 missing") != std::string::npos);
    CHECK(problem.find("shard 2 given twice") != std::string::npos);
    CHECK(m.totals.copied == 200);  // the duplicate counted once
    std::vector<report> other = {all[0], all[1], all[2]};
    other[1].destination = {"elsewhere", ""};
    merge_reports(other, problem);
    CHECK(problem.find("another job") != std::string::npos);
}
