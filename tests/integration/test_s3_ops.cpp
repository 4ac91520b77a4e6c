// Every S3 operation of the client against a real S3 server that verifies
// SigV4 (Ceph RGW started by scripts/s3-server), over HTTP and over HTTPS
// through the nginx TLS front, with awkward keys.
//
// Needs the environment printed by `scripts/s3-server env`. Without it the
// tests FAIL (they are not skipped): run them through scripts/run-tests.
#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <set>

#include "server_env.hpp"
#include "s3merge/client/s3_client.hpp"
#include "s3merge/crypto.hpp"

namespace asio = boost::asio;
using namespace s3merge;

namespace {

using test::config_for;
using test::env;
using test::have_server;
using test::run_async;
using test::unique_bucket;

std::vector<std::string> awkward_keys() {
    return {
        "plain.txt",
        "with space/and more spaces.json",
        "日本語/ログ.json.gz",
        "plus+sign+key",
        "percent%key%20not-encoded",
        "literal%2Fslash-encoded",
        "equals=and&ampersand",
        "question?mark",
        "hash#mark",
        "tilde~key",
        "double//slash",
        "trailing/slash/",
        "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/"
        "123456789012_CloudTrail_us-east-1_20240102T0000Z_abc.json.gz",
        std::string(1024 - 4, 'k') + ".bin",  // a 1,024-byte key
    };
}

std::string body_for(const std::string& key) {
    return "content of <" + key + ">\n";
}

void exercise_all_operations(bool tls) {
    auto cfg = config_for(tls);
    const auto keys = awkward_keys();
    REQUIRE(keys.back().size() == 1024);
    const std::string src = unique_bucket(tls ? "itls-src" : "ihttp-src");
    const std::string dst = unique_bucket(tls ? "itls-dst" : "ihttp-dst");

    run_async(cfg, [&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        // Arguments of co_await calls are named lvalues, never temporaries:
        // GCC 12 may destroy such temporaries twice (GCC PR100611).
        const s3::create_bucket_params no_location;
        const s3::list_objects_v2_params list_all;
        // CreateBucket, HeadBucket.
        CHECK_MESSAGE(!co_await c.create_bucket(src, no_location, d), d.to_string());
        CHECK_MESSAGE(!co_await c.create_bucket(dst, no_location, d), d.to_string());
        s3::head_bucket_result hb;
        CHECK_MESSAGE(!co_await c.head_bucket(src, hb, d), d.to_string());

        // PutObject every awkward key.
        std::map<std::string, std::string> etags;
        for (const auto& k : keys) {
            s3::put_object_params p;
            p.key = k;
            p.body = body_for(k);
            p.content_type = "application/json";
            p.metadata.push_back({"origin", "s3merge-test"});
            s3::put_object_result r;
            auto ec = co_await c.put_object(src, p, r, d);
            CHECK_MESSAGE(!ec, d.to_string());
            CHECK(r.etag == crypto::md5_hex(body_for(k)));
            etags[k] = r.etag;
        }

        // ListObjectsV2 with url encoding: every key comes back exactly.
        s3::list_objects_v2_params lp;
        s3::list_objects_v2_result lr;
        CHECK_MESSAGE(!co_await c.list_objects_v2(src, lp, lr, d), d.to_string());
        std::map<std::string, s3::object_entry> listed;
        for (auto& o : lr.objects) listed[o.key] = o;
        CHECK(listed.size() == keys.size());
        for (const auto& k : keys) {
            REQUIRE_MESSAGE(listed.count(k) == 1, "missing from listing: " << k);
            CHECK(listed[k].size == body_for(k).size());
            CHECK(listed[k].etag == etags[k]);
            CHECK(listed[k].storage_class == "STANDARD");
        }
        // Keys come in UTF-8 binary order.
        std::vector<std::string> sorted_keys = keys;
        std::sort(sorted_keys.begin(), sorted_keys.end());
        std::vector<std::string> order;
        for (auto& o : lr.objects) order.push_back(o.key);
        CHECK(order == sorted_keys);

        // Paging with continuation tokens, then start-after.
        std::vector<std::string> paged;
        s3::list_objects_v2_params pp;
        pp.max_keys = 3;
        int pages = 0;
        for (;;) {
            s3::list_objects_v2_result page;
            CHECK_MESSAGE(!co_await c.list_objects_v2(src, pp, page, d), d.to_string());
            ++pages;
            for (auto& o : page.objects) paged.push_back(o.key);
            if (!page.is_truncated || pages > 20) break;
            pp.continuation_token = page.next_continuation_token;
        }
        CHECK(paged == sorted_keys);
        CHECK(pages == int((keys.size() + 2) / 3));
        s3::list_objects_v2_params sa;
        sa.start_after = sorted_keys[5];
        s3::list_objects_v2_result sar;
        CHECK(!co_await c.list_objects_v2(src, sa, sar, d));
        REQUIRE(sar.objects.size() == keys.size() - 6);
        CHECK(sar.objects.front().key == sorted_keys[6]);

        // Delimiter and prefix.
        s3::list_objects_v2_params dp;
        dp.delimiter = "/";
        s3::list_objects_v2_result dr;
        CHECK(!co_await c.list_objects_v2(src, dp, dr, d));
        std::set<std::string> prefixes(dr.common_prefixes.begin(), dr.common_prefixes.end());
        CHECK(prefixes ==
              std::set<std::string>{"AWSLogs/", "double/", "trailing/", "with space/", "日本語/"});
        s3::list_objects_v2_params pre;
        pre.prefix = "日本語/";
        s3::list_objects_v2_result prer;
        CHECK(!co_await c.list_objects_v2(src, pre, prer, d));
        REQUIRE(prer.objects.size() == 1);
        CHECK(prer.objects[0].key == "日本語/ログ.json.gz");

        // HeadObject every key.
        for (const auto& k : keys) {
            s3::head_object_result h;
            s3::head_object_params hp{k, {}};
            CHECK_MESSAGE(!co_await c.head_object(src, hp, h, d), d.to_string());
            CHECK(h.size == body_for(k).size());
            CHECK(h.etag == etags[k]);
            CHECK(h.content_type == "application/json");
            bool has_meta = false;
            for (auto& m : h.metadata) has_meta |= (iequals(m.name, "origin") && m.value == "s3merge-test");
            CHECK_MESSAGE(has_meta, k);
        }

        // CopyObject every key to the same key in the other bucket (S3 keys
        // are at most 1,024 bytes, so no prefix is added); metadata is copied.
        for (const auto& k : keys) {
            s3::copy_object_params p;
            p.source_bucket = src;
            p.source_key = k;
            p.key = k;
            s3::copy_object_result r;
            CHECK_MESSAGE(!co_await c.copy_object(dst, p, r, d), d.to_string());
            CHECK(r.etag == etags[k]);
            s3::head_object_result h;
            s3::head_object_params hp{k, {}};
            CHECK_MESSAGE(!co_await c.head_object(dst, hp, h, d), d.to_string());
            CHECK(h.size == body_for(k).size());
            CHECK(h.content_type == "application/json");
        }
        s3::list_objects_v2_result dl;
        CHECK(!co_await c.list_objects_v2(dst, list_all, dl, d));
        CHECK(dl.objects.size() == keys.size());
        for (auto& o : dl.objects) {
            REQUIRE(etags.count(o.key) == 1);
            CHECK(o.etag == etags[o.key]);
            CHECK(o.size == body_for(o.key).size());
        }

        // Errors carry the S3 code and the key.
        s3::head_object_result missing;
        s3::head_object_params missing_params{"no/such key", {}};
        auto nk = co_await c.head_object(src, missing_params, missing, d);
        CHECK((nk == errc::not_found || nk == errc::no_such_key));
        CHECK(d.http_status == 404);
        CHECK(d.key == "no/such key");
        s3::copy_object_params bad;
        bad.source_bucket = src;
        bad.source_key = "no/such key";
        bad.key = "x";
        s3::copy_object_result br;
        CHECK(co_await c.copy_object(dst, bad, br, d) == errc::no_such_key);
        CHECK(d.s3_code == "NoSuchKey");

        // DeleteBucket on a non-empty bucket: BucketNotEmpty.
        CHECK(co_await c.delete_bucket(src, d) == errc::bucket_not_empty);
        CHECK(d.http_status == 409);

        // DeleteObjects (quiet, then verbose), then empty listings.
        for (const auto* bucket : {&src, &dst}) {
            s3::list_objects_v2_result all;
            CHECK(!co_await c.list_objects_v2(*bucket, list_all, all, d));
            s3::delete_objects_params del;
            del.quiet = bucket == &src;
            for (auto& o : all.objects) del.objects.push_back({o.key, {}, {}});
            s3::delete_objects_result dres;
            CHECK_MESSAGE(!co_await c.delete_objects(*bucket, del, dres, d), d.to_string());
            CHECK(dres.errors.empty());
            if (!del.quiet) CHECK(dres.deleted.size() == keys.size());
            s3::list_objects_v2_result after;
            CHECK(!co_await c.list_objects_v2(*bucket, list_all, after, d));
            CHECK(after.objects.empty());
            CHECK_MESSAGE(!co_await c.delete_bucket(*bucket, d), d.to_string());
        }
        s3::head_bucket_result gone;
        auto hec = co_await c.head_bucket(src, gone, d);
        CHECK((hec == errc::not_found || hec == errc::no_such_bucket));
        s3::list_objects_v2_result nb;
        CHECK(co_await c.list_objects_v2(src, list_all, nb, d) == errc::no_such_bucket);
        CHECK(d.s3_code == "NoSuchBucket");
        CHECK(d.bucket == src);
    });
}

}  // namespace

TEST_CASE("every operation with awkward keys over HTTP") {
    if (!have_server()) return;
    exercise_all_operations(false);
}

TEST_CASE("every operation with awkward keys over HTTPS (nginx TLS front)") {
    if (!have_server()) return;
    REQUIRE_FALSE(env("S3MERGE_TEST_ENDPOINT_HTTPS").empty());
    exercise_all_operations(true);
}

TEST_CASE("a wrong secret is SignatureDoesNotMatch, an unknown key InvalidAccessKeyId") {
    if (!have_server()) return;
    auto cfg = config_for(false);
    cfg.creds.secret_access_key = "wrong-secret-wrong-secret-wrong-secret";
    run_async(cfg, [&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        s3::list_objects_v2_result r;
        const std::string bucket = "anybucket";
        const s3::list_objects_v2_params lp;
        CHECK(co_await c.list_objects_v2(bucket, lp, r, d) == errc::signature_mismatch);
        CHECK(d.http_status == 403);
        CHECK(d.s3_code == "SignatureDoesNotMatch");
        CHECK(c.stats().retries == 0);  // permanent: not retried
    });
    auto cfg2 = config_for(false);
    cfg2.creds.access_key_id = "NOSUCHACCESSKEY";
    run_async(cfg2, [&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        s3::list_objects_v2_result r;
        const std::string bucket = "anybucket";
        const s3::list_objects_v2_params lp;
        CHECK(co_await c.list_objects_v2(bucket, lp, r, d) == errc::invalid_access_key);
        CHECK(d.s3_code == "InvalidAccessKeyId");
    });
}

TEST_CASE("TLS: a certificate for another host name is refused; an untrusted CA is refused") {
    if (!have_server()) return;
    auto cfg = config_for(true);
    cfg.endpoint.endpoint_url = env("S3MERGE_TEST_ENDPOINT_HTTPS_WRONG");
    REQUIRE_FALSE(cfg.endpoint.endpoint_url.empty());
    run_async(cfg, [&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        s3::list_objects_v2_result r;
        const std::string bucket = "anybucket";
        const s3::list_objects_v2_params lp;
        CHECK(co_await c.list_objects_v2(bucket, lp, r, d) == errc::tls_verify_failed);
        CHECK(d.detail.find("certificate verify failed") != std::string::npos);
    });
    auto system_ca = config_for(true);
    system_ca.http.ca_bundle.clear();  // the system store does not know the test CA
    run_async(system_ca, [&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        s3::list_objects_v2_result r;
        const std::string bucket = "anybucket";
        const s3::list_objects_v2_params lp;
        CHECK(co_await c.list_objects_v2(bucket, lp, r, d) == errc::tls_verify_failed);
    });
}

TEST_CASE("keep-alive: many requests over few connections, in parallel") {
    if (!have_server()) return;
    auto cfg = config_for(true);
    cfg.http.max_connections_per_host = 4;
    const std::string b = unique_bucket("ipool");
    run_async(cfg, [&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        const s3::create_bucket_params no_location;
        REQUIRE(!co_await c.create_bucket(b, no_location, d));
        int done = 0, failed = 0;
        auto ex = co_await asio::this_coro::executor;
        for (int i = 0; i < 40; ++i) {
            asio::co_spawn(
                ex,
                [&, i]() -> asio::awaitable<void> {
                    diagnostics dd;
                    s3::put_object_result r;
                    s3::put_object_params p;
                    p.key = "k" + std::to_string(i);
                    p.body = "v";
                    if (co_await c.put_object(b, p, r, dd)) ++failed;
                    ++done;
                },
                asio::detached);
        }
        asio::steady_timer t(ex);
        while (done < 40) {
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(failed == 0);
        CHECK(c.http().stats().connections_opened <= 4);
        s3::list_objects_v2_result lr;
        const s3::list_objects_v2_params list_all;
        CHECK(!co_await c.list_objects_v2(b, list_all, lr, d));
        CHECK(lr.objects.size() == 40);
        s3::delete_objects_params del;
        for (auto& o : lr.objects) del.objects.push_back({o.key, {}, {}});
        s3::delete_objects_result dr;
        CHECK(!co_await c.delete_objects(b, del, dr, d));
        CHECK(!co_await c.delete_bucket(b, d));
    });
}

TEST_CASE("TLS: a large upload and full 1,000-key listing pages arrive whole") {
    // Over HTTPS a request of several TLS records goes out in pieces when the
    // socket is full, and a listing page (~100 KB here) comes in as many
    // records: both must arrive byte for byte, on pooled connections.
    if (!have_server()) return;
    auto cfg = config_for(true);
    cfg.http.max_connections_per_host = 16;
    const std::string b = unique_bucket("itlsbig");
    run_async(cfg, [&](s3::client& c) -> asio::awaitable<void> {
        diagnostics d;
        const s3::create_bucket_params no_location;
        REQUIRE_MESSAGE(!co_await c.create_bucket(b, no_location, d), d.to_string());

        // 4 MiB in one PutObject; its ETag is the MD5 of what the server got.
        std::string big(4u << 20, '\0');
        std::mt19937 rng(7);
        for (auto& ch : big) ch = static_cast<char>(rng());
        s3::put_object_params bp;
        bp.key = "big.bin";
        bp.body = big;
        s3::put_object_result br;
        CHECK_MESSAGE(!co_await c.put_object(b, bp, br, d), d.to_string());
        CHECK(br.etag == crypto::md5_hex(big));

        // 1,200 keys with long names, put 32 at a time, then listed in pages
        // of 1,000 and 200.
        const int n = 1200;
        auto key_of = [](int i) {
            char num[8];
            std::snprintf(num, sizeof num, "%05d", i);
            return "AWSLogs/123456789012/CloudTrail/eu-west-1/2024/01/02/123456789012_CloudTrail_eu-west-1_" +
                   std::string(num) + ".json.gz";
        };
        int done = 0, failed = 0, next = 0;
        auto ex = co_await asio::this_coro::executor;
        auto worker = [&]() -> asio::awaitable<void> {
            while (next < n) {
                int i = next++;
                diagnostics dd;
                s3::put_object_params p;
                p.key = key_of(i);
                p.body = "log " + std::to_string(i);
                s3::put_object_result r;
                if (co_await c.put_object(b, p, r, dd)) ++failed;
                ++done;
            }
        };
        for (int w = 0; w < 32; ++w) asio::co_spawn(ex, worker, asio::detached);
        asio::steady_timer t(ex);
        while (done < n) {
            t.expires_after(std::chrono::milliseconds(20));
            co_await t.async_wait(asio::use_awaitable);
        }
        CHECK(failed == 0);

        std::vector<std::string> listed;
        std::vector<std::size_t> page_sizes;
        s3::list_objects_v2_params lp;
        lp.prefix = "AWSLogs/";
        for (;;) {
            s3::list_objects_v2_result page;
            REQUIRE_MESSAGE(!co_await c.list_objects_v2(b, lp, page, d), d.to_string());
            page_sizes.push_back(page.objects.size());
            for (auto& o : page.objects) listed.push_back(o.key);
            if (!page.is_truncated) break;
            lp.continuation_token = page.next_continuation_token;
        }
        CHECK(page_sizes == std::vector<std::size_t>{1000, 200});
        REQUIRE(listed.size() == static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i) CHECK(listed[static_cast<std::size_t>(i)] == key_of(i));

        // Clean up: two DeleteObjects batches and the big object.
        for (std::size_t from = 0; from < listed.size(); from += 1000) {
            s3::delete_objects_params del;
            for (std::size_t i = from; i < std::min(listed.size(), from + 1000); ++i)
                del.objects.push_back({listed[i], {}, {}});
            s3::delete_objects_result dr;
            CHECK(!co_await c.delete_objects(b, del, dr, d));
            CHECK(dr.errors.empty());
        }
        s3::delete_objects_params last;
        last.objects.push_back({"big.bin", {}, {}});
        s3::delete_objects_result lr;
        CHECK(!co_await c.delete_objects(b, last, lr, d));
        CHECK(!co_await c.delete_bucket(b, d));
    });
}
