// The transfer engine's safety rules against a loopback peer that plays a
// source and a destination bucket and answers exactly what each case needs,
// where the real server (RGW) cannot: a copy refused because the source
// changed (412), a conditional delete refused per key, full-object
// checksums on both sides. The same rules are tried against RGW in
// tests/integration/test_safety.py.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <ostream>
#include <set>

#include "../engine/list_sim.hpp"
#include "fake_peer.hpp"
#include "s3merge/client/s3_client.hpp"
#include "s3merge/engine_io/transfer.hpp"
#include "s3merge/uri.hpp"

using namespace s3merge;
using namespace s3merge::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* src_etag = "0123456789abcdef0123456789abcdef";

std::string list_page(const std::string& contents) {
    return ok("<ListBucketResult><IsTruncated>false</IsTruncated>" + contents + "</ListBucketResult>");
}
// A HeadObject answer: Content-Length is the object's size, no body.
std::string head_answer(const std::string& etag, const std::string& extra = "") {
    return "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"" + etag + "\"\r\n" + extra + "\r\n";
}
std::string entry(const std::string& key, int size, const std::string& etag) {
    return "<Contents><Key>" + key + "</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>\"" +
           etag + "\"</ETag><Size>" + std::to_string(size) +
           "</Size><StorageClass>STANDARD</StorageClass></Contents>";
}

// One source object "k" (10 bytes, src_etag); the destination holds what
// `dest_listing` says; CopyObject, HeadObject and DeleteObjects answer
// through the hooks.
struct scenario {
    std::string source_listing = entry("k", 10, src_etag);
    std::string dest_listing;  // <Contents> entries of the destination
    std::function<std::string(const http_req&)> copy = [](const http_req&) {
        return ok(std::string("<CopyObjectResult><ETag>\"") + src_etag + "\"</ETag></CopyObjectResult>");
    };
    std::function<std::string(const http_req&)> head = [](const http_req&) { return head_answer(src_etag); };
    std::function<std::string(const http_req&)> del = [](const http_req&) {
        return ok("<DeleteResult></DeleteResult>");
    };
};

std::string answer(const scenario& sc, const http_req& r) {
    const bool src = r.target.starts_with("/src");
    if (r.method == "HEAD" && (r.target == "/src" || r.target == "/dst")) return reply(200, "OK", "");
    if (r.method == "GET" && r.target.find("versioning") != std::string::npos)
        return ok("<VersioningConfiguration></VersioningConfiguration>");
    if (r.method == "GET" && r.target.find("list-type=2") != std::string::npos)
        return list_page(src ? sc.source_listing : sc.dest_listing);
    if (r.method == "GET" && r.target.find("uploads") != std::string::npos)
        return ok(
            "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated></ListMultipartUploadsResult>");
    if (r.method == "GET" && r.target.find("tagging") != std::string::npos)
        return ok("<Tagging><TagSet></TagSet></Tagging>");
    if (r.method == "POST" && r.target.find("?uploads") != std::string::npos)
        return ok(
            "<InitiateMultipartUploadResult><Bucket>dst</Bucket><Key>k</Key><UploadId>u1</UploadId>"
            "</InitiateMultipartUploadResult>");
    if (r.method == "POST" && r.target.find("uploadId=") != std::string::npos)
        return ok("<CompleteMultipartUploadResult><ETag>\"abc-3\"</ETag></CompleteMultipartUploadResult>");
    if (r.method == "PUT" && r.head.find("x-amz-copy-source:") != std::string::npos) return sc.copy(r);
    if (r.method == "HEAD") return sc.head(r);
    if (r.method == "POST" && r.target.find("delete") != std::string::npos) return sc.del(r);
    return reply(400, "Bad Request", error_doc("InvalidRequest", "unexpected " + r.method + " " + r.target));
}

struct outcome {
    engine::transfer_result res;
    std::vector<http_req> requests;
    int count(std::string_view method, std::string_view part) const {
        return static_cast<int>(std::count_if(requests.begin(), requests.end(), [&](const http_req& r) {
            return r.method == method &&
                   (r.target.find(part) != std::string::npos || r.head.find(part) != std::string::npos);
        }));
    }
};

// Runs one transfer against the peer at `port` (2 attempts per request, no
// waiting between them) until it ends, at most `limit`; `running` (if
// given) points at the transfer while it runs.
engine::transfer_result run_transfer(asio::io_context& io, std::uint16_t port,
                                     const engine::transfer_options& o, std::chrono::seconds limit,
                                     engine::transfer** running = nullptr) {
    s3::client_config cfg;
    cfg.endpoint.endpoint_url = "http://127.0.0.1:" + std::to_string(port);
    cfg.creds = {"AKIDEXAMPLE", "secret", ""};
    cfg.retry.max_attempts = 2;
    cfg.retry.base = 1ms;
    s3::client c(io.get_executor(), cfg);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    engine::transfer_result res;
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            engine::transfer t(c, o);
            if (running) *running = &t;
            res = co_await t.run();
            if (running) *running = nullptr;
            finished = true;
            io.stop();
        },
        asio::detached);
    io.run_for(limit);
    REQUIRE(finished);
    return res;
}

outcome run(const scenario& sc, bool conditional_deletes, bool verify = false,
            std::function<void(engine::transfer_options&)> adjust = {}) {
    asio::io_context io;
    body_peer peer(io, [&](const http_req& r) { return answer(sc, r); });
    engine::transfer_options o;
    o.move = !verify;
    o.verify = verify;
    o.sources = {{"src", ""}};
    o.destination = {"dst", ""};
    o.conditional_deletes = conditional_deletes;
    o.concurrency = 4;
    if (adjust) adjust(o);
    outcome out;
    out.res = run_transfer(io, peer.port(), o, 20s);
    out.requests = peer.requests;
    return out;
}

}  // namespace

TEST_CASE("transfer: a copy refused because the source changed since listed deletes nothing") {
    scenario sc;
    sc.copy = [](const http_req&) {
        return reply(412, "Precondition Failed",
                     error_doc("PreconditionFailed", "At least one of the pre-conditions"));
    };
    auto out = run(sc, false);
    REQUIRE_FALSE(out.res.fatal);
    const auto& t = out.res.rep.totals;
    CHECK(t.listed == 1);
    CHECK(t.copied == 0);
    CHECK(t.failed == 1);
    CHECK(t.deleted == 0);
    REQUIRE(out.res.rep.failures.size() == 1);
    CHECK(out.res.rep.failures[0].s3_code == "SourceChanged");
    CHECK(out.res.rep.failures[0].message.find("changed after it was listed") != std::string::npos);
    CHECK(out.count("PUT", std::string("x-amz-copy-source-if-match: \"") + src_etag + "\"") == 1);
    CHECK(out.count("POST", "delete") == 0);
}

TEST_CASE("transfer: keys a DeleteObjects answers with SlowDown are sent again, then deleted") {
    scenario sc;
    int deletes = 0;
    sc.del = [&deletes](const http_req&) {
        // S3 reports throttling per key inside a 200 (a hot partition).
        if (deletes++ == 0)
            return ok(
                "<DeleteResult><Error><Key>k</Key><Code>SlowDown</Code><Message>Reduce your request rate."
                "</Message></Error></DeleteResult>");
        return ok("<DeleteResult></DeleteResult>");
    };
    auto out = run(sc, true);
    const auto& t = out.res.rep.totals;
    CHECK(t.failed == 0);
    CHECK(t.deleted == 1);
    CHECK(t.copied == 1);
    CHECK(out.count("POST", "delete") == 2);
    CHECK(out.res.rep.throttles == 1);  // counted, and fed to the adaptive limit
}

TEST_CASE("transfer: a per-key SlowDown that never ends fails the key after the retry budget, kept") {
    scenario sc;
    sc.del = [](const http_req&) {
        return ok(
            "<DeleteResult><Error><Key>k</Key><Code>SlowDown</Code><Message>slow</Message></Error>"
            "</DeleteResult>");
    };
    auto out = run(sc, true);
    const auto& t = out.res.rep.totals;
    CHECK(t.deleted == 0);
    CHECK(t.failed == 1);
    CHECK(out.count("POST", "delete") == 2);  // max_attempts 2
    REQUIRE(out.res.rep.failures.size() == 1);
    CHECK(out.res.rep.failures[0].s3_code == "SlowDown");
}

TEST_CASE("transfer: a conditional delete refused for a key keeps it and counts it once") {
    scenario sc;
    sc.del = [](const http_req&) {
        return ok(
            "<DeleteResult><Error><Key>k</Key><Code>PreconditionFailed</Code><Message>m</Message></Error>"
            "</DeleteResult>");
    };
    auto out = run(sc, true);
    const auto& t = out.res.rep.totals;
    CHECK(t.copied == 0);  // the copy happened, but the move of this object failed
    CHECK(t.failed == 1);
    CHECK(t.deleted == 0);
    REQUIRE(out.res.rep.failures.size() == 1);
    CHECK(out.res.rep.failures[0].s3_code == "SourceChanged");
    // The delete carried the copied ETag; no HeadObject was needed.
    auto del = std::find_if(out.requests.begin(), out.requests.end(),
                            [](const http_req& r) { return r.method == "POST"; });
    REQUIRE(del != out.requests.end());
    CHECK(del->body.find(std::string("<ETag>\"") + src_etag + "\"</ETag>") != std::string::npos);
    CHECK(out.count("HEAD", "/src/k") == 0);
}

TEST_CASE("transfer: without conditional deletes, a key whose ETag changed before its delete is kept") {
    scenario sc;
    sc.head = [](const http_req&) { return head_answer("ffffffffffffffffffffffffffffffff"); };
    auto out = run(sc, false);
    CHECK(out.res.rep.totals.deleted == 0);
    CHECK(out.res.rep.totals.failed == 1);
    CHECK(out.count("HEAD", "/src/k") == 1);
    CHECK(out.count("POST", "delete") == 0);  // nothing left to delete
}

TEST_CASE("transfer: equal full-object checksums prove identity where the ETags cannot") {
    scenario sc;
    sc.dest_listing = entry("k", 10, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-2");  // same size, multipart
    sc.head = [](const http_req& r) {
        CHECK(r.head.find("x-amz-checksum-mode: ENABLED") != std::string::npos);
        return head_answer(r.target.starts_with("/src") ? src_etag : "aaaa-2",
                           "x-amz-checksum-crc64nvme: AAAAAAAAAAA=\r\nx-amz-checksum-type: FULL_OBJECT\r\n");
    };
    auto out = run(sc, true);
    CHECK(out.count("PUT", "x-amz-copy-source") == 0);  // no copy needed
    CHECK(out.res.rep.totals.skipped == 1);
    CHECK(out.res.rep.totals.deleted == 1);
    CHECK(out.res.rep.totals.failed == 0);
}

TEST_CASE("transfer: checksums that differ, or none, mean a copy; a verification reports them") {
    scenario sc;
    sc.dest_listing = entry("k", 10, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-2");
    sc.head = [](const http_req& r) {
        return head_answer("e", std::string("x-amz-checksum-crc32c: ") +
                                    (r.target.starts_with("/src") ? "AAAAAA==" : "BBBBBB==") + "\r\n");
    };
    auto out = run(sc, true);
    CHECK(out.count("PUT", "x-amz-copy-source") == 1);
    CHECK(out.res.rep.totals.copied == 1);
    CHECK(out.res.rep.totals.deleted == 1);
    CHECK(out.res.rep.details[0].unverifiable == 1);

    auto checked = run(sc, false, /*verify=*/true);
    CHECK(checked.count("PUT", "x-amz-copy-source") == 0);
    REQUIRE(checked.res.rep.failures.size() == 1);
    CHECK(checked.res.rep.failures[0].s3_code == "ChecksumDiffers");

    sc.head = [](const http_req&) { return head_answer("e"); };
    checked = run(sc, false, true);
    REQUIRE(checked.res.rep.failures.size() == 1);
    CHECK(checked.res.rep.failures[0].s3_code == "Unverifiable");
    CHECK(checked.count("POST", "delete") == 0);
}

TEST_CASE("transfer: a multipart source is copied with its own part layout, so the copy has its ETag") {
    constexpr std::uint64_t mib = 1ull << 20;
    scenario sc;
    sc.source_listing = entry("k", 20 * mib, "abc-3");
    sc.head = [](const http_req& r) {
        if (r.target.find("partNumber=1") != std::string::npos)
            return std::string(
                "HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\nETag: \"abc-3\"\r\n"
                "x-amz-mp-parts-count: 3\r\n\r\n");
        return std::string("HTTP/1.1 200 OK\r\nContent-Length: 20971520\r\nETag: \"abc-3\"\r\n\r\n");
    };
    std::vector<std::string> ranges;
    sc.copy = [&](const http_req& r) {
        auto at = r.head.find("x-amz-copy-source-range: bytes=");
        if (at != std::string::npos)
            ranges.push_back(r.head.substr(at + 31, r.head.find("\r\n", at) - at - 31));
        return ok("<CopyPartResult><ETag>\"p\"</ETag></CopyPartResult>");
    };
    auto out = run(sc, false, false, [](engine::transfer_options& o) {
        o.move = false;
        o.multipart_threshold = 5 * mib;
        o.part_size = 5 * mib;  // the configured size would make 4 parts
    });
    CHECK(out.res.rep.totals.copied == 1);
    CHECK(out.res.rep.totals.failed == 0);
    std::sort(ranges.begin(), ranges.end());
    // Three parts, three part copies, whatever the budget allowed at once.
    CHECK(ranges == std::vector<std::string>{"0-8388607", "16777216-20971519", "8388608-16777215"});
    // The parts are pinned to the listed version too.
    CHECK(out.count("PUT", "x-amz-copy-source-if-match: \"abc-3\"") == 3);
}

TEST_CASE("transfer: part copies count against the global budget, and one slot still finishes") {
    constexpr std::uint64_t mib = 1ull << 20;
    scenario sc;
    sc.source_listing = entry("k", 20 * mib, src_etag);
    sc.head = [](const http_req&) {
        return std::string("HTTP/1.1 200 OK\r\nContent-Length: 20971520\r\nETag: \"") + src_etag +
               "\"\r\n\r\n";
    };
    int parts = 0;
    sc.copy = [&](const http_req&) {
        ++parts;
        return ok("<CopyPartResult><ETag>\"p\"</ETag></CopyPartResult>");
    };
    auto out = run(sc, false, false, [](engine::transfer_options& o) {
        o.move = false;
        o.concurrency = 1;  // the object's own slot only: parts go one at a time
        o.min_concurrency = 1;
        o.multipart_threshold = 5 * mib;
        o.part_size = 5 * mib;
    });
    CHECK(out.res.rep.totals.copied == 1);
    CHECK(parts == 4);
}

// ---- discovery listed ahead ---------------------------------------------

namespace {

// A query parameter of a request target ("" when absent).
std::string param_of(const std::string& target, const std::string& name) {
    auto q = target.find('?');
    if (q == std::string::npos) return {};
    std::string_view rest(target);
    rest.remove_prefix(q + 1);
    while (!rest.empty()) {
        auto amp = rest.find('&');
        auto part = rest.substr(0, amp);
        auto eq = part.find('=');
        if (part.substr(0, eq) == name)
            return eq == std::string_view::npos ? "" : uri::decode(part.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return {};
}

// ListObjectsV2 over a key set with S3's semantics (tests/unit/engine/list_sim.hpp).
std::string list_answer(const enginetest::key_set& keys, const http_req& r) {
    enginetest::list_request rq;
    rq.prefix = param_of(r.target, "prefix");
    rq.delimiter = param_of(r.target, "delimiter");
    rq.start_after = param_of(r.target, "start-after");
    rq.continuation_token = param_of(r.target, "continuation-token");
    if (auto mk = param_of(r.target, "max-keys"); !mk.empty()) rq.max_keys = std::stoul(mk);
    auto page = enginetest::list_objects(keys, rq);
    std::string body = "<ListBucketResult><IsTruncated>" + std::string(page.is_truncated ? "true" : "false") +
                       "</IsTruncated>";
    if (page.is_truncated)
        body += "<NextContinuationToken>" + page.next_continuation_token + "</NextContinuationToken>";
    for (const auto& k : page.keys) body += entry(k, 10, src_etag);
    for (const auto& p : page.common_prefixes)
        body += "<CommonPrefixes><Prefix>" + p + "</Prefix></CommonPrefixes>";
    return ok(body + "</ListBucketResult>");
}

bool is_listing(const http_req& r, std::string_view bucket, std::string_view prefix, bool with_delimiter) {
    return r.method == "GET" && r.target.starts_with("/" + std::string(bucket) + "?") &&
           r.target.find("list-type=2") != std::string::npos && param_of(r.target, "prefix") == prefix &&
           (param_of(r.target, "delimiter") == "/") == with_delimiter;
}

struct tree_outcome {
    engine::transfer_result res;
    std::vector<http_req> requests;
    std::vector<int> lists_answered_before;
    // Listings with '/' answered before the first listing of bucket/prefix came.
    int answered_before(std::string_view bucket, std::string_view prefix) const {
        for (std::size_t i = 0; i < requests.size(); ++i)
            if (is_listing(requests[i], bucket, prefix, true)) return lists_answered_before[i];
        return -1;
    }
    int listings(std::string_view bucket, std::string_view prefix, bool with_delimiter = true) const {
        return static_cast<int>(std::count_if(requests.begin(), requests.end(), [&](const http_req& r) {
            return is_listing(r, bucket, prefix, with_delimiter);
        }));
    }
};

// A dry run (or copy) of bucket "src" (CloudTrail-shaped keys) into "dst"
// (holding `dest_keys`), listings with a delimiter held back 150 ms;
// `fail_first` listings (bucket/prefix with '/') answer 500 first.
tree_outcome run_tree(const enginetest::key_set& keys, const enginetest::key_set& dest_keys,
                      std::map<std::string, int> fail_first = {},
                      std::function<void(engine::transfer_options&)> adjust = {}) {
    asio::io_context io;
    body_peer peer(io, [&](const http_req& r) {
        const bool src = r.target.starts_with("/src");
        if (r.method == "HEAD") return reply(200, "OK", "");
        if (r.target.find("versioning") != std::string::npos)
            return ok("<VersioningConfiguration></VersioningConfiguration>");
        if (r.target.find("list-type=2") != std::string::npos) {
            if (param_of(r.target, "delimiter") == "/") {
                auto f = fail_first.find((src ? "src/" : "dst/") + param_of(r.target, "prefix"));
                if (f != fail_first.end() && f->second > 0) {
                    --f->second;
                    return reply(500, "Internal Server Error", error_doc("InternalError", "try again"));
                }
            }
            return list_answer(src ? keys : dest_keys, r);
        }
        return reply(400, "Bad Request",
                     error_doc("InvalidRequest", "unexpected " + r.method + " " + r.target));
    });
    peer.list_delay = 150ms;
    engine::transfer_options o;
    o.dry_run = true;
    o.sources = {{"src", ""}};
    o.destination = {"dst", ""};
    if (adjust) adjust(o);
    tree_outcome out;
    out.res = run_transfer(io, peer.port(), o, 30s);
    out.requests = peer.requests;
    out.lists_answered_before = peer.lists_answered_before;
    return out;
}

enginetest::key_set trail_keys() {
    enginetest::key_set keys;
    for (std::string r : {"eu-west-1", "us-east-1", "us-west-2"})
        for (std::string day : {"2024/01/01", "2024/02/03"})
            for (int n = 0; n < 3; ++n)
                keys.insert("AWSLogs/1/CloudTrail/" + r + "/" + day + "/k" + std::to_string(n) + ".json.gz");
    return keys;
}

const std::vector<std::string> trail_path = {"", "AWSLogs/", "AWSLogs/1/", "AWSLogs/1/CloudTrail/"};

}  // namespace

TEST_CASE("transfer: the levels down to the first key are listed together, once each") {
    const auto keys = trail_keys();
    for (bool dest_empty : {true, false}) {
        CAPTURE(dest_empty);
        enginetest::key_set dest;
        if (!dest_empty) dest.insert("AWSLogs/1/CloudTrail/us-east-1/2025/01/01/new.json.gz");
        auto out = run_tree(keys, dest);
        REQUIRE_FALSE(out.res.fatal);
        CHECK(out.res.rep.totals.listed == keys.size());
        CHECK(out.res.rep.totals.failed == 0);
        // The source's first key was asked for (one key, no delimiter).
        CHECK(out.listings("src", "", false) == 1);
        // Each level is listed once (asked for ahead, then taken by the
        // plan, not listed again), the destination's too when it has keys.
        int first = -1;
        for (const auto& p : trail_path) {
            CAPTURE(p);
            CHECK(out.listings("src", p) == 1);
            CHECK(out.listings("dst", p) == (dest_empty ? 0 : 1));
            // ... and together: none of them answered before the last was asked.
            for (std::size_t i = 0; i < out.requests.size(); ++i) {
                if (!is_listing(out.requests[i], "src", p, true)) continue;
                if (first < 0) first = out.lists_answered_before[i];
                CHECK(out.lists_answered_before[i] == first);
            }
        }
        // Below the free levels the tree is listed as before: every region once.
        for (std::string r : {"eu-west-1", "us-east-1", "us-west-2"})
            CHECK(out.listings("src", "AWSLogs/1/CloudTrail/" + r + "/") == 1);
    }
}

TEST_CASE("transfer: levels asked for ahead stop at --fanout-depth and at a key range's bounds") {
    const auto keys = trail_keys();
    // Two levels deep: "" and "AWSLogs/" ahead, the rest as the plan goes.
    auto out = run_tree(keys, {}, {}, [](engine::transfer_options& o) { o.fanout_depth = 2; });
    REQUIRE_FALSE(out.res.fatal);
    CHECK(out.res.rep.totals.listed == keys.size());
    for (const auto& p : trail_path) CHECK(out.listings("src", p) == 1);
    CHECK(out.answered_before("src", "") == out.answered_before("src", "AWSLogs/"));
    CHECK(out.answered_before("src", "AWSLogs/1/") > out.answered_before("src", "AWSLogs/"));
    // A key range (CloudTrail dates) that starts after the first key: no
    // listing ahead goes into a day outside it (nor does the plan).
    out = run_tree(keys, {}, {}, [](engine::transfer_options& o) {
        engine::key_range r;
        r.base = "AWSLogs/1/CloudTrail/";
        r.skip = 1;
        r.from = "2024/02/";
        o.source_ranges = {r};
        o.fanout_depth = 8;
    });
    REQUIRE_FALSE(out.res.fatal);
    CHECK(out.res.rep.totals.listed == 9);  // the second day of each region
    for (const auto& r : out.requests) {
        CAPTURE(r.target);
        CHECK(param_of(r.target, "prefix").find("2024/01/") == std::string::npos);
    }
    // The first key's region and year were listed ahead, inside the range.
    CHECK(out.listings("src", "AWSLogs/1/CloudTrail/eu-west-1/2024/") == 1);
}

TEST_CASE("transfer: a level listed ahead that failed is listed again by the plan") {
    const auto keys = trail_keys();
    // Both attempts of the listing ahead fail; the plan's own listing works.
    auto out = run_tree(keys, {}, {{"src/AWSLogs/1/", 2}});
    REQUIRE_FALSE(out.res.fatal);
    CHECK(out.res.rep.totals.listed == keys.size());
    CHECK(out.res.rep.totals.failed == 0);
    CHECK(out.listings("src", "AWSLogs/1/") == 3);
    CHECK(out.listings("src", "AWSLogs/") == 1);
}

// ---- copies waiting for a copy slot --------------------------------------

namespace {

struct queue_outcome {
    engine::transfer_result res;
    std::vector<http_req> requests;
    int max_puts = 0;  // copies the peer held at once
};

// A move of `n` keys (listed 1,000 a page) into an empty "dst" through
// `concurrency` slots, each copy answered after `put_delay`; `on_copy` sees
// the running transfer and the number of copies asked for so far. Keys are
// flat, or spread over `prefixes` prefixes "p<j>/" (a leaf each).
queue_outcome run_queue(int n, std::size_t concurrency, std::chrono::milliseconds put_delay,
                        std::function<void(engine::transfer&, int)> on_copy = {}, int prefixes = 0) {
    enginetest::key_set keys, none;
    for (int i = 0; i < n; ++i) {
        char name[24];
        if (prefixes > 0)
            std::snprintf(name, sizeof name, "p%d/k%05d", i % prefixes, i);
        else
            std::snprintf(name, sizeof name, "k%05d", i);
        keys.insert(name);
    }
    asio::io_context io;
    engine::transfer* running = nullptr;
    int copies = 0;
    // Everything but the listings as `answer` gives it (a copy confirmed
    // with the source's ETag).
    scenario sc;
    sc.copy = [&, confirmed = sc.copy](const http_req& r) {
        ++copies;
        if (on_copy && running) on_copy(*running, copies);
        return confirmed(r);
    };
    body_peer peer(io, [&](const http_req& r) {
        if (r.target.find("list-type=2") != std::string::npos)
            return list_answer(r.target.starts_with("/src") ? keys : none, r);
        return answer(sc, r);
    });
    peer.put_delay = put_delay;
    engine::transfer_options o;
    o.move = true;
    o.conditional_deletes = true;
    o.sources = {{"src", ""}};
    o.destination = {"dst", ""};
    o.concurrency = concurrency;
    o.min_concurrency = concurrency;
    queue_outcome out;
    out.res = run_transfer(io, peer.port(), o, 60s, &running);
    out.requests = peer.requests;
    out.max_puts = peer.max_puts;
    return out;
}

bool is_copy(const http_req& r) {
    return r.method == "PUT" && r.head.find("x-amz-copy-source:") != std::string::npos;
}

// The keys a DeleteObjects request names.
std::vector<std::string> deleted_keys(const http_req& r) {
    std::vector<std::string> keys;
    for (std::size_t at = r.body.find("<Key>"); at != std::string::npos; at = r.body.find("<Key>", at)) {
        at += 5;
        keys.push_back(r.body.substr(at, r.body.find("</Key>", at) - at));
    }
    return keys;
}

}  // namespace

TEST_CASE(
    "transfer: copies that wait for a slot each run once, within the budget, and deletes still get slots") {
    auto out = run_queue(2500, 8, 1ms);
    CHECK(out.res.rep.totals.copied == 2500);
    CHECK(out.res.rep.totals.deleted == 2500);
    CHECK(out.res.rep.totals.failed == 0);
    std::map<std::string, int> per_key;
    int last_copy = -1, first_delete = -1;
    for (std::size_t i = 0; i < out.requests.size(); ++i) {
        const auto& r = out.requests[i];
        if (is_copy(r)) {
            ++per_key[r.target];
            last_copy = static_cast<int>(i);
        } else if (r.method == "POST" && r.target.find("delete") != std::string::npos && first_delete < 0) {
            first_delete = static_cast<int>(i);
        }
    }
    CHECK(per_key.size() == 2500);
    CHECK(std::all_of(per_key.begin(), per_key.end(), [](const auto& kv) { return kv.second == 1; }));
    // The budget holds, and is used.
    CHECK(out.max_puts <= 8);
    CHECK(out.max_puts >= 4);
    // A full delete batch (1,000 keys) waiting for a slot gets the next one
    // a copy gives back, not the one after the last copy.
    REQUIRE(first_delete >= 0);
    CHECK(first_delete < last_copy);
}

TEST_CASE("transfer: a stop cuts short the copies waiting for a slot: none sent, none failed, none deleted") {
    auto out = run_queue(2500, 4, 1ms, [](engine::transfer& t, int copies) {
        if (copies == 50) t.request_stop();
    });
    CHECK(out.res.interrupted);
    CHECK(out.res.rep.totals.failed == 0);
    std::set<std::string> copied;
    for (const auto& r : out.requests)
        if (is_copy(r)) copied.insert(r.target.substr(std::string("/dst/").size()));
    // Only the copies in flight at the stop ended after it (at most the 4 slots).
    CHECK(copied.size() >= 50);
    CHECK(copied.size() <= 53);
    CHECK(out.res.rep.totals.copied == copied.size());
    // Nothing is deleted that was not copied.
    std::size_t deletes = 0;
    for (const auto& r : out.requests) {
        if (r.method != "POST" || r.target.find("delete") == std::string::npos) continue;
        for (const auto& k : deleted_keys(r)) {
            ++deletes;
            CHECK_MESSAGE(copied.count(k) == 1, "deleted without a copy: " << k);
        }
    }
    CHECK(deletes == out.res.rep.totals.deleted);
    CHECK(out.res.rep.totals.deleted <= copied.size());
}

TEST_CASE(
    "transfer: copies waiting for slots are taken from each lister in turn, so concurrent leaves "
    "interleave") {
    // Four leaves listed at once through 4 slots: the copies must not come
    // a leaf at a time (that loads one key range, one partition of S3, at a
    // time), but from every leaf with copies waiting, in turn.
    auto out = run_queue(2400, 4, 1ms, {}, 4);
    CHECK(out.res.rep.totals.copied == 2400);
    CHECK(out.res.rep.totals.failed == 0);
    std::vector<char> leaf_of_copy;
    for (const auto& r : out.requests)
        if (is_copy(r)) leaf_of_copy.push_back(r.target[std::string("/dst/p").size()]);
    REQUIRE(leaf_of_copy.size() == 2400);
    // Runs of consecutive copies from one leaf, once all four leaves list.
    std::size_t longest = 0, run = 0, switches = 0;
    for (std::size_t i = 400; i < leaf_of_copy.size(); ++i) {
        run = leaf_of_copy[i] == leaf_of_copy[i - 1] ? run + 1 : 1;
        switches += leaf_of_copy[i] != leaf_of_copy[i - 1];
        longest = std::max(longest, run);
    }
    MESSAGE("longest run " << longest << ", switches " << switches);
    CHECK(longest <= 4);
    CHECK(switches >= 1000);
}
