// drop_bucket against a real S3 server (Ceph RGW started by
// scripts/s3-server): a versioned bucket with noncurrent versions, delete
// markers and an unfinished multipart upload (dry run, guard, drop), and an
// unversioned bucket that takes more than one DeleteObjects batch.
//
// Needs the environment printed by `scripts/s3-server env`. Without it the
// tests FAIL (they are not skipped): run them through scripts/run-tests.
#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <ostream>  // doctest prints std::error_code with operator<<
#include <random>

#include "server_env.hpp"
#include "s3merge/client/s3_client.hpp"
#include "s3merge/engine_io/bucket_drop.hpp"
#include "s3merge/crypto.hpp"

namespace asio = boost::asio;
using namespace s3merge;

namespace {

using test::env;
using test::have_server;
using test::unique_bucket;

s3::client_config config() {
    return test::config_for(false);
}

template <class F>
void run_async(F f) {
    test::run_async(config(), f);
}

struct listing {
    std::size_t versions = 0, delete_markers = 0, uploads = 0;
};

asio::awaitable<listing> list_all(s3::client& c, const std::string& bucket) {
    listing out;
    diagnostics d;
    s3::list_object_versions_params vp;
    s3::list_object_versions_result vr;
    CHECK_MESSAGE(!co_await c.list_object_versions(bucket, vp, vr, d), d.to_string());
    CHECK_FALSE(vr.is_truncated);
    out.versions = vr.versions.size();
    out.delete_markers = vr.delete_markers.size();
    s3::list_multipart_uploads_params up;
    s3::list_multipart_uploads_result ur;
    CHECK_MESSAGE(!co_await c.list_multipart_uploads(bucket, up, ur, d), d.to_string());
    out.uploads = ur.uploads.size();
    co_return out;
}

// Callers pass named strings: no temporaries in a co_await (GCC PR100611).
asio::awaitable<std::error_code> put(s3::client& c, const std::string& bucket, const std::string& key,
                                     const std::string& body) {
    s3::put_object_params p;
    p.key = key;
    p.body = body;
    s3::put_object_result r;
    diagnostics d;
    auto ec = co_await c.put_object(bucket, p, r, d);
    CHECK_MESSAGE(!ec, d.to_string());
    co_return ec;
}

// Sends a request the typed client has no call for (Object Lock headers and
// bodies), built with the pure builders; returns the HTTP status (0: no answer).
asio::awaitable<unsigned> send(s3::client& c, const std::string& bucket, http_request req) {
    diagnostics d;
    s3::target t;
    REQUIRE_MESSAGE(!c.target_for(bucket, t, d), d.to_string());
    http_response resp;
    auto ec = co_await c.execute(t, std::move(req), resp, d);
    CHECK_MESSAGE(!ec, d.to_string());
    INFO(resp.body);
    co_return resp.status;
}

// PUT /key?legal-hold with the status ("ON" / "OFF").
http_request legal_hold(const s3::target& t, const std::string& key, std::string_view status) {
    http_request req;
    req.method = "PUT";
    req.host = t.host_header;
    req.path = t.object_path(key);
    req.query.push_back({"legal-hold", ""});
    req.body = "<LegalHold xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Status>" + std::string(status) +
               "</Status></LegalHold>";
    req.set_header("Content-MD5", crypto::md5_base64(req.body));
    return req;
}

}  // namespace

TEST_CASE("drop: a version under an Object Lock legal hold keeps the bucket, then goes once released") {
    if (!have_server()) return;
    const std::string bucket = unique_bucket("drop-lock");
    run_async([&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        s3::target t;
        REQUIRE(!c.target_for(bucket, t, d));
        const s3::create_bucket_params no_location;
        http_request create = s3::build_create_bucket(t, no_location);
        create.set_header("x-amz-bucket-object-lock-enabled", "true");
        REQUIRE(co_await send(c, bucket, std::move(create)) == 200);
        const std::string held = "AWSLogs/held.json", free = "AWSLogs/free.json", body = "{}";
        REQUIRE_FALSE(co_await put(c, bucket, held, body));
        REQUIRE_FALSE(co_await put(c, bucket, free, body));
        // Requests are named: no temporaries in a co_await (GCC PR100611).
        http_request hold = legal_hold(t, held, "ON"), release = legal_hold(t, held, "OFF");
        REQUIRE(co_await send(c, bucket, std::move(hold)) == 200);

        engine::drop_options o;
        o.bucket = bucket;
        engine::drop_result r = co_await engine::drop_bucket(c, o);
        CHECK(r.ec == errc::access_denied);
        CHECK_FALSE(r.bucket_deleted);
        CHECK(r.versions == 2);
        CHECK(r.versions_deleted == 1);
        REQUIRE(r.failures.size() == 1);
        CHECK(r.failures[0].key == held);
        CHECK(r.failures[0].s3_code == "AccessDenied");
        const std::string line = r.diag.to_string();
        INFO(line);
        CHECK(line.find("DropBucket s3://" + bucket +
                        ": 1 object version could not be deleted (AccessDenied") == 0);
        // RGW gives no reason (AccessDenied: AccessDenied): the line names
        // both causes, permissions and Object Lock.
        CHECK(line.find("e.g. key " + held + ") — ") != std::string::npos);
        CHECK(line.find("Object Lock") != std::string::npos);
        CHECK(line.find("remove the legal hold") != std::string::npos);
        s3::head_bucket_result hb;
        CHECK(!co_await c.head_bucket(bucket, hb, d));

        REQUIRE(co_await send(c, bucket, std::move(release)) == 200);
        engine::drop_result again = co_await engine::drop_bucket(c, o);
        CHECK_MESSAGE(!again.ec, again.diag.to_string());
        CHECK(again.versions_deleted == 1);
        CHECK(again.bucket_deleted);
    });
}

TEST_CASE("drop: a versioned bucket — dry run counts exactly, a guard keeps all, then everything goes") {
    if (!have_server()) return;
    const std::string bucket = unique_bucket("drop-ver");
    // Whole seconds before anything is written: LastModified has a server
    // clock on the same machine.
    const auto before_writes =
        std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - std::chrono::seconds(2);
    run_async([&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        const s3::create_bucket_params no_location;
        REQUIRE_MESSAGE(!co_await c.create_bucket(bucket, no_location, d), d.to_string());
        const s3::put_bucket_versioning_params enabled;
        REQUIRE_MESSAGE(!co_await c.put_bucket_versioning(bucket, enabled, d), d.to_string());

        // a.json three times, b.json twice, c.json and d/e.json once: 7
        // versions; then b.json, c.json and d/e.json deleted: 3 markers.
        std::uint64_t bytes = 0;
        const std::vector<std::pair<std::string, int>> writes = {
            {"a.json", 3}, {"b.json", 2}, {"c.json", 1}, {"d/e.json", 1}};
        for (const auto& [key, times] : writes)
            for (int i = 0; i < times; ++i) {
                std::string body = key + " version " + std::to_string(i) + "\n";
                bytes += body.size();
                REQUIRE_FALSE(co_await put(c, bucket, key, body));
            }
        s3::delete_objects_params del;
        del.objects = {{"b.json", "", ""}, {"c.json", "", ""}, {"d/e.json", "", ""}};
        s3::delete_objects_result dres;
        REQUIRE_MESSAGE(!co_await c.delete_objects(bucket, del, dres, d), d.to_string());
        REQUIRE(dres.errors.empty());
        s3::create_multipart_upload_params mp;
        mp.key = "unfinished.bin";
        s3::create_multipart_upload_result mres;
        REQUIRE_MESSAGE(!co_await c.create_multipart_upload(bucket, mp, mres, d), d.to_string());

        listing start = co_await list_all(c, bucket);
        REQUIRE(start.versions == 7);
        REQUIRE(start.delete_markers == 3);
        REQUIRE(start.uploads == 1);

        engine::drop_options plan;
        plan.bucket = bucket;
        plan.dry_run = true;
        engine::drop_result p = co_await engine::drop_bucket(c, plan);
        CHECK_MESSAGE(!p.ec, p.diag.to_string());
        CHECK(p.versions == 7);
        CHECK(p.delete_markers == 3);
        CHECK(p.uploads == 1);
        CHECK(p.bytes == bytes);
        CHECK(p.versions_deleted + p.delete_markers_deleted + p.uploads_aborted == 0);
        CHECK_FALSE(p.bucket_deleted);
        listing after_plan = co_await list_all(c, bucket);
        CHECK(after_plan.versions == 7);
        CHECK(after_plan.delete_markers == 3);
        CHECK(after_plan.uploads == 1);

        engine::drop_options guarded;
        guarded.bucket = bucket;
        guarded.guard = before_writes;
        engine::drop_result g = co_await engine::drop_bucket(c, guarded);
        CHECK(g.ec == errc::bucket_not_empty);
        CHECK(g.kept_newer == 11);  // 7 versions, 3 markers, 1 upload
        CHECK(g.kept_unreadable == 0);
        CHECK(g.versions_deleted + g.delete_markers_deleted + g.uploads_aborted == 0);
        CHECK_FALSE(g.bucket_deleted);
        CHECK(g.diag.to_string().find("DropBucket s3://" + bucket +
                                      ": 11 versions, delete markers or uploads") == 0);
        listing after_guard = co_await list_all(c, bucket);
        CHECK(after_guard.versions == 7);
        CHECK(after_guard.delete_markers == 3);
        CHECK(after_guard.uploads == 1);

        engine::drop_options all;
        all.bucket = bucket;
        std::vector<std::string> logged;
        all.log = [&](std::string_view l) { logged.emplace_back(l); };
        engine::drop_result r = co_await engine::drop_bucket(c, all);
        CHECK_MESSAGE(!r.ec, r.diag.to_string());
        CHECK(r.bucket_deleted);
        CHECK(r.versions_deleted == 7);
        CHECK(r.delete_markers_deleted == 3);
        CHECK(r.uploads_aborted == 1);
        CHECK(r.failures.empty());
        CHECK(logged.back() == "s3merge: drop: deleted bucket s3://" + bucket);
        s3::head_bucket_result hb;
        auto ec = co_await c.head_bucket(bucket, hb, d);
        CHECK((ec == errc::not_found || ec == errc::no_such_bucket));

        // Dropping it again: the caller is told it does not exist.
        engine::drop_result again = co_await engine::drop_bucket(c, all);
        CHECK(again.ec == errc::no_such_bucket);
        CHECK_FALSE(again.bucket_deleted);
    });
}

TEST_CASE("drop: an unversioned bucket of 1,200 objects takes two batches and is removed") {
    if (!have_server()) return;
    const std::string bucket = unique_bucket("drop-flat");
    constexpr int objects = 1200;
    {
        asio::io_context io;
        s3::client c(io.get_executor(), config());
        diagnostics d;
        REQUIRE_MESSAGE(!c.init(d), d.detail);
        int put_failures = 0;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                const s3::create_bucket_params no_location;
                REQUIRE_MESSAGE(!co_await c.create_bucket(bucket, no_location, d), d.to_string());
                // 16 writers in parallel.
                for (int w = 0; w < 16; ++w)
                    asio::co_spawn(
                        io,
                        [&, w]() -> asio::awaitable<void> {
                            const std::string body = "x";
                            for (int i = w; i < objects; i += 16) {
                                std::string key = "AWSLogs/" + std::to_string(100000 + i) + ".json";
                                if (co_await put(c, bucket, key, body)) ++put_failures;
                            }
                        },
                        asio::detached);
            },
            asio::detached);
        io.run();
        REQUIRE(put_failures == 0);
    }
    run_async([&](s3::client& c) -> asio::awaitable<void> {
        engine::drop_options o;
        o.bucket = bucket;
        o.max_in_flight = 2;
        engine::drop_result r = co_await engine::drop_bucket(c, o);
        CHECK_MESSAGE(!r.ec, r.diag.to_string());
        CHECK(r.versions == objects);
        CHECK(r.versions_deleted == objects);
        CHECK(r.delete_markers == 0);
        CHECK(r.bytes == objects);
        CHECK(r.bucket_deleted);
        // 2 listing pages, 2 DeleteObjects, 1 uploads listing, 1 DeleteBucket.
        CHECK(c.stats().requests - c.stats().retries == 6);
        diagnostics d;
        s3::head_bucket_result hb;
        auto ec = co_await c.head_bucket(bucket, hb, d);
        CHECK((ec == errc::not_found || ec == errc::no_such_bucket));
    });
}
