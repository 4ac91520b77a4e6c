// drop_bucket against a loopback peer that plays one bucket and answers
// exactly what each case needs: Object Lock refusals per key, BucketNotEmpty
// races, NoSuchBucket, pagination, the in-flight bound, and dry runs that
// must send nothing but GETs.
#include <doctest/doctest.h>

#include <boost/asio/read.hpp>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <vector>

#include "fake_peer.hpp"
#include "s3merge/client/s3_client.hpp"
#include "s3merge/engine_io/bucket_drop.hpp"

using namespace s3merge;
using namespace s3merge::test;
using namespace std::chrono_literals;

namespace {

std::string version(const std::string& key, const std::string& vid, int size) {
    return "<Version><Key>" + key + "</Key><VersionId>" + vid +
           "</VersionId><IsLatest>true</IsLatest><LastModified>2024-01-01T00:00:00.000Z</LastModified>"
           "<ETag>\"0123456789abcdef0123456789abcdef\"</ETag><Size>" +
           std::to_string(size) + "</Size></Version>";
}
std::string marker(const std::string& key, const std::string& vid) {
    return "<DeleteMarker><Key>" + key + "</Key><VersionId>" + vid +
           "</VersionId><IsLatest>true</IsLatest><LastModified>2024-01-01T00:00:00.000Z</LastModified></"
           "DeleteMarker>";
}
std::string versions_page(const std::string& entries, const std::string& next_key = "",
                          const std::string& next_vid = "") {
    std::string truncated = next_key.empty() ? "false" : "true";
    std::string next = next_key.empty()
                           ? ""
                           : "<NextKeyMarker>" + next_key + "</NextKeyMarker><NextVersionIdMarker>" +
                                 next_vid + "</NextVersionIdMarker>";
    return ok("<ListVersionsResult><Name>b</Name><IsTruncated>" + truncated + "</IsTruncated>" + next +
              entries + "</ListVersionsResult>");
}
std::string uploads_page(const std::vector<std::string>& keys) {
    std::string body = "<ListMultipartUploadsResult><IsTruncated>false</IsTruncated>";
    for (const auto& k : keys)
        body += "<Upload><Key>" + k + "</Key><UploadId>up-" + k +
                "</UploadId><Initiated>2024-01-01T00:00:00.000Z</Initiated></Upload>";
    return ok(body + "</ListMultipartUploadsResult>");
}
const std::string quiet_ok = ok("<DeleteResult></DeleteResult>");

const std::string bucket = "cloudtrail-eu-west-1-123456789012";

engine::drop_result run_drop(asio::io_context& io, std::uint16_t port, engine::drop_options o) {
    s3::client_config cfg;
    cfg.endpoint.endpoint_url = "http://127.0.0.1:" + std::to_string(port);
    cfg.creds = {"AKIDEXAMPLE", "secret", ""};
    cfg.retry.max_attempts = 2;
    cfg.retry.base = 1ms;
    s3::client c(io.get_executor(), cfg);
    diagnostics d;
    REQUIRE_FALSE(c.init(d));
    o.bucket = bucket;
    engine::drop_result r;
    bool finished = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            r = co_await engine::drop_bucket(c, o);
            finished = true;
            io.stop();
        },
        asio::detached);
    io.run_for(20s);
    REQUIRE(finished);
    return r;
}

// The bucket of the Object Lock and dry-run cases: 3 versions (35 bytes),
// one delete marker, one unfinished upload; the listing comes in two pages.
std::string small_bucket(const http_req& r) {
    if (r.is("GET", "versions")) {
        if (r.target.find("key-marker=") == std::string::npos)
            return versions_page(
                version("AWSLogs/a.json", "va", 10) + version("AWSLogs/locked.json", "vl", 20),
                "AWSLogs/locked.json", "vl");
        return versions_page(version("AWSLogs/z.json", "vz", 5) + marker("AWSLogs/gone.json", "mg"));
    }
    if (r.is("GET", "uploads")) return uploads_page({"big.bin"});
    if (r.is("DELETE", "uploadId=")) return reply(404, "Not Found", error_doc("NoSuchUpload", "gone"));
    if (r.is("DELETE", "")) return reply(204, "No Content", "");
    return reply(400, "Bad Request", error_doc("InvalidRequest", "unexpected " + r.method));
}

}  // namespace

TEST_CASE("an Object Lock refusal of one key keeps the bucket and names the bucket, the key and the fix") {
    asio::io_context io;
    body_peer peer(io, [](const http_req& r) {
        if (r.is("POST", "delete"))
            return ok(
                "<DeleteResult><Error><Key>AWSLogs/locked.json</Key><VersionId>vl</"
                "VersionId><Code>AccessDenied</Code>"
                "<Message>Access Denied because object protected by object "
                "lock.</Message></Error></DeleteResult>");
        return small_bucket(r);
    });
    engine::drop_options o;
    auto r = run_drop(io, peer.port(), o);
    CHECK(r.ec == errc::access_denied);
    CHECK_FALSE(r.bucket_deleted);
    CHECK(peer.count("DELETE", "uploadId=") == 1);
    CHECK(peer.count("DELETE") == 1);  // no DeleteBucket, only the abort
    REQUIRE(peer.count("POST", "delete") == 1);
    const auto& body = std::find_if(peer.requests.begin(), peer.requests.end(), [](auto& q) {
                           return q.method == "POST";
                       })->body;
    CHECK(body.find("<Quiet>true</Quiet>") != std::string::npos);
    CHECK(body.find("<Key>AWSLogs/locked.json</Key><VersionId>vl</VersionId>") != std::string::npos);
    CHECK(body.find("<Key>AWSLogs/gone.json</Key><VersionId>mg</VersionId>") != std::string::npos);
    CHECK(r.versions == 3);
    CHECK(r.delete_markers == 1);
    CHECK(r.bytes == 35);
    CHECK(r.versions_deleted == 2);
    CHECK(r.delete_markers_deleted == 1);
    CHECK(r.uploads == 1);
    CHECK(r.uploads_aborted == 1);  // NoSuchUpload: already gone
    REQUIRE(r.failures.size() == 1);
    CHECK(r.failures[0].key == "AWSLogs/locked.json");
    CHECK(r.failures[0].s3_code == "AccessDenied");
    CHECK(r.failures[0].bucket == bucket);
    const std::string line = r.diag.to_string();
    CHECK(line == "DropBucket s3://" + bucket +
                      ": 1 object version could not be deleted (AccessDenied: Access Denied because "
                      "object protected by object lock; e.g. key AWSLogs/locked.json) — remove the legal "
                      "hold or wait for the "
                      "retention period to end, then re-run drop-sources");
}

TEST_CASE("a dry run pages through everything, counts it, and sends only GETs") {
    asio::io_context io;
    body_peer peer(io, small_bucket);
    engine::drop_options o;
    o.dry_run = true;
    std::vector<std::string> logged;
    o.log = [&](std::string_view l) { logged.emplace_back(l); };
    auto r = run_drop(io, peer.port(), o);
    CHECK_FALSE(r.ec);
    CHECK(peer.count("GET") == static_cast<int>(peer.requests.size()));
    CHECK(peer.count("GET", "versions") == 2);
    CHECK(peer.count("GET", "key-marker=AWSLogs%2Flocked.json") == 1);
    CHECK(peer.count("GET", "version-id-marker=vl") == 1);
    CHECK(peer.count("GET", "uploads") == 1);
    CHECK(r.versions == 3);
    CHECK(r.delete_markers == 1);
    CHECK(r.bytes == 35);
    CHECK(r.uploads == 1);
    CHECK(r.versions_deleted + r.delete_markers_deleted + r.uploads_aborted == 0);
    CHECK_FALSE(r.bucket_deleted);
    REQUIRE(logged.size() == 1);
    CHECK(logged[0] ==
          "s3merge: drop: s3://" + bucket +
              ": found 3 versions, 1 delete markers, 1 uploads; deleted 0 versions, 0 delete markers, "
              "aborted 0 uploads");
}

TEST_CASE("a dry run with a guard reports what a real run would keep") {
    asio::io_context io;
    body_peer peer(io, small_bucket);
    engine::drop_options o;
    o.dry_run = true;
    o.guard = std::chrono::sys_days(std::chrono::year{2023} / 6 / 1);  // before every entry
    auto r = run_drop(io, peer.port(), o);
    CHECK(r.ec == errc::bucket_not_empty);
    CHECK(r.kept_newer == 5);  // 3 versions, 1 delete marker, 1 upload
    CHECK(peer.count("GET") == static_cast<int>(peer.requests.size()));
    CHECK(r.diag.to_string().find(
              "5 versions, delete markers or uploads were written at or after 2023-06-01T00:00:00Z") !=
          std::string::npos);
}

TEST_CASE("BucketNotEmpty once means one more pass; twice means giving up with a clear reason") {
    for (int refusals : {1, 2}) {
        CAPTURE(refusals);
        asio::io_context io;
        int listed = 0, bucket_deletes = 0;
        body_peer peer(io, [&](const http_req& r) {
            if (r.is("GET", "versions"))  // a new object arrives before each DeleteBucket
                return versions_page(version("late-" + std::to_string(listed++), "v", 1));
            if (r.is("GET", "uploads")) return uploads_page({});
            if (r.is("POST", "delete")) return quiet_ok;
            if (r.is("DELETE", "") && bucket_deletes++ < refusals)
                return reply(409, "Conflict",
                             error_doc("BucketNotEmpty", "The bucket you tried to delete is not empty"));
            return reply(204, "No Content", "");
        });
        engine::drop_options o;
        auto r = run_drop(io, peer.port(), o);
        CHECK(peer.count("DELETE") == 2);  // never a third DeleteBucket
        CHECK(r.versions == 2);
        CHECK(r.versions_deleted == 2);
        if (refusals == 1) {
            CHECK_FALSE(r.ec);
            CHECK(r.bucket_deleted);
        } else {
            CHECK(r.ec == errc::bucket_not_empty);
            CHECK_FALSE(r.bucket_deleted);
            CHECK(r.diag.bucket == bucket);
            CHECK(r.diag.operation == "DeleteBucket");
            CHECK(r.diag.to_string().find("objects kept arriving") != std::string::npos);
        }
    }
}

TEST_CASE("NoSuchBucket at the start is no_such_bucket, with nothing else sent") {
    asio::io_context io;
    body_peer peer(io, [](const http_req&) {
        return reply(404, "Not Found", error_doc("NoSuchBucket", "The specified bucket does not exist"));
    });
    engine::drop_options o;
    auto r = run_drop(io, peer.port(), o);
    CHECK(r.ec == errc::no_such_bucket);
    CHECK(peer.requests.size() == 1);
    CHECK(r.diag.bucket == bucket);
    CHECK(r.diag.operation == "ListObjectVersions");
    CHECK(r.diag.to_string().find("the bucket does not exist") != std::string::npos);
}

TEST_CASE("5,000 versions go in 5 batches of 1,000 with at most max_in_flight in flight") {
    asio::io_context io;
    auto page = [](int p) {
        std::string entries;
        for (int i = p * 1000; i < (p + 1) * 1000; ++i)
            entries += version("k" + std::to_string(100000 + i), "v", 1);
        return p == 4 ? versions_page(entries)
                      : versions_page(entries, "k" + std::to_string(100000 + p * 1000 + 999), "v");
    };
    std::vector<std::size_t> batch_sizes;
    body_peer peer(
        io,
        [&](const http_req& r) {
            if (r.is("GET", "versions")) {
                auto at = r.target.find("key-marker=k");
                return page(at == std::string::npos
                                ? 0
                                : (std::stoi(r.target.substr(at + 12, 6)) - 100000 + 1) / 1000);
            }
            if (r.is("GET", "uploads")) return uploads_page({});
            if (r.is("POST", "delete")) {
                std::size_t n = 0;
                for (auto p = r.body.find("<Object>"); p != std::string::npos;
                     p = r.body.find("<Object>", p + 1))
                    ++n;
                batch_sizes.push_back(n);
                return quiet_ok;
            }
            return reply(204, "No Content", "");
        },
        50ms);
    engine::drop_options o;
    o.max_in_flight = 2;
    auto r = run_drop(io, peer.port(), o);
    CHECK_FALSE(r.ec);
    CHECK(r.bucket_deleted);
    CHECK(r.versions == 5000);
    CHECK(r.versions_deleted == 5000);
    CHECK(batch_sizes == std::vector<std::size_t>(5, 1000));
    CHECK(peer.max_posts == 2);
}

TEST_CASE("a refused DeleteObjects request fails its keys, stops, and reports that request") {
    asio::io_context io;
    body_peer peer(io, [](const http_req& r) {
        if (r.is("POST", "delete"))
            return reply(403, "Forbidden", error_doc("AccessDenied", "Access Denied"));
        return small_bucket(r);
    });
    engine::drop_options o;
    auto r = run_drop(io, peer.port(), o);
    CHECK(r.ec == errc::access_denied);
    CHECK_FALSE(r.bucket_deleted);
    CHECK(peer.count("POST") == 1);  // not retried
    CHECK(peer.count("DELETE") == 0);
    CHECK(peer.count("GET", "uploads") == 0);
    CHECK(r.failures.size() == 4);
    CHECK(r.versions_deleted + r.delete_markers_deleted == 0);
    CHECK(r.diag.operation == "DeleteObjects");
    CHECK(r.diag.http_status == 403);
    CHECK(r.diag.to_string().find("DeleteObjects s3://" + bucket +
                                  " (us-east-1): HTTP 403 AccessDenied: Access Denied; "
                                  "the credentials need s3:ListBucketVersions, s3:DeleteObjectVersion") == 0);
}
