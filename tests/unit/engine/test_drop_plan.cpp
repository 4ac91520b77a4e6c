#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<

#include "s3merge/engine/drop_plan.hpp"
#include "s3merge/error.hpp"

using namespace s3merge;
using namespace s3merge::engine;
using std::chrono::day;
using std::chrono::duration_cast;
using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::month;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using std::chrono::sys_days;
using std::chrono::year;

namespace {

sys_time at(int y, unsigned mo, unsigned d, int h, int mi, int s) {
    return sys_days(year{y} / month{mo} / day{d}) + hours(h) + minutes(mi) + seconds(s);
}

s3::object_version version(std::string key, std::string vid, std::uint64_t size,
                           std::string lm = "2024-01-01T00:00:00.000Z") {
    s3::object_version v;
    v.key = std::move(key);
    v.version_id = std::move(vid);
    v.size = size;
    v.last_modified = std::move(lm);
    return v;
}

s3::delete_marker_entry marker(std::string key, std::string vid,
                               std::string lm = "2024-01-01T00:00:00.000Z") {
    s3::delete_marker_entry m;
    m.key = std::move(key);
    m.version_id = std::move(vid);
    m.last_modified = std::move(lm);
    return m;
}

// A page of versions k<first>..k<first+n-1>, each of 10 bytes.
s3::list_object_versions_result page_of(int first, int n) {
    s3::list_object_versions_result p;
    for (int i = first; i < first + n; ++i)
        p.versions.push_back(version("k" + std::to_string(i), "v" + std::to_string(i), 10));
    return p;
}

failure_record failed(std::string op, std::string key, std::string code, std::string message) {
    failure_record f;
    f.operation = std::move(op);
    f.bucket = "cloudtrail-eu-west-1-123456789012";
    f.key = std::move(key);
    f.s3_code = std::move(code);
    f.message = std::move(message);
    return f;
}

}  // namespace

TEST_CASE("the batcher cuts batches of exactly 1000 across page boundaries") {
    drop_batcher b;
    b.add_page(page_of(0, 999));
    CHECK_FALSE(b.take_full());
    b.add_page(page_of(999, 1000));
    auto first = b.take_full();
    REQUIRE(first);
    REQUIRE(first->entries.size() == 1000);
    CHECK(first->entries.front().key == "k0");
    CHECK(first->entries.back().key == "k999");  // the first key of the second page
    CHECK_FALSE(b.take_full());
    b.add_page(page_of(1999, 502));
    auto second = b.take_full();
    REQUIRE(second);
    CHECK(second->entries.size() == 1000);
    CHECK(second->entries.front().key == "k1000");
    CHECK_FALSE(b.take_full());
    auto rest = b.take_any();  // the end of the listing
    REQUIRE(rest);
    CHECK(rest->entries.size() == 501);
    CHECK(rest->entries.back().key == "k2500");
    CHECK_FALSE(b.take_any());
    CHECK(b.tally().versions == 2501);
    CHECK(b.tally().bytes == 25010);
    CHECK(b.tally().delete_markers == 0);
}

TEST_CASE("versions and delete markers alike are batched with their version ids") {
    drop_batcher b(std::nullopt, 3);
    s3::list_object_versions_result p;
    p.versions = {version("a", "va2", 7), version("a", "va1", 5), version("b", "null", 100)};
    p.delete_markers = {marker("a", "ma3"), marker("c", "mc1")};
    b.add_page(p);
    auto full = b.take_full();
    REQUIRE(full);
    auto ids = full->identifiers();
    REQUIRE(ids.size() == 3);
    CHECK(ids[0].key == "a");
    CHECK(ids[0].version_id == "va2");
    CHECK(ids[2].version_id == "null");
    CHECK_FALSE(full->entries[2].delete_marker);
    CHECK(full->entries[2].size == 100);
    auto rest = b.take_any();
    REQUIRE(rest);
    REQUIRE(rest->entries.size() == 2);
    CHECK(rest->entries[0].delete_marker);
    CHECK(rest->entries[0].version_id == "ma3");
    CHECK(rest->entries[1].key == "c");
    CHECK(b.tally().versions == 3);
    CHECK(b.tally().delete_markers == 2);
    CHECK(b.tally().bytes == 112);
}

TEST_CASE("with a guard, entries at or after it and unreadable dates are kept, not batched") {
    drop_batcher b(at(2024, 1, 1, 0, 0, 0));
    s3::list_object_versions_result p;
    p.versions = {version("old", "1", 1, "2023-12-31T23:59:59.999Z"),
                  version("same", "2", 2, "2024-01-01T00:00:00.000Z"),
                  version("new", "3", 4, "2024-06-01T00:00:00Z"), version("odd", "4", 8, "yesterday")};
    p.delete_markers = {marker("old-marker", "5", "2023-01-01T00:00:00Z"),
                        marker("new-marker", "6", "2024-01-01T00:00:01Z")};
    b.add_page(p);
    auto batch = b.take_any();
    REQUIRE(batch);
    REQUIRE(batch->entries.size() == 2);
    CHECK(batch->entries[0].key == "old");
    CHECK(batch->entries[1].key == "old-marker");
    CHECK(b.tally().kept_newer == 3);
    CHECK(b.tally().kept_unreadable == 1);
    CHECK(b.tally().kept_sample_key == "same");
    CHECK(b.tally().versions == 4);  // found, kept ones included
    CHECK(b.tally().delete_markers == 2);
    CHECK(b.tally().bytes == 15);

    drop_batcher no_guard;  // without a guard the date does not matter
    no_guard.add_page(p);
    auto all = no_guard.take_any();
    REQUIRE(all);
    CHECK(all->entries.size() == 6);
    CHECK(no_guard.tally().kept_newer + no_guard.tally().kept_unreadable == 0);
}

TEST_CASE("per-key failures are classified from code and message") {
    CHECK(classify_drop_failure("AccessDenied", "Access Denied because object protected by object lock.") ==
          drop_failure_kind::object_lock);
    CHECK(classify_drop_failure("AccessDenied", "forbidden by object lock") ==
          drop_failure_kind::object_lock);
    CHECK(classify_drop_failure("InvalidRequest", "Object is WORM protected and cannot be overwritten") ==
          drop_failure_kind::object_lock);
    CHECK(classify_drop_failure("InvalidRequest", "the object is under a Legal Hold") ==
          drop_failure_kind::object_lock);
    CHECK(classify_drop_failure("AccessDenied", "Access Denied") == drop_failure_kind::access_denied);
    CHECK(classify_drop_failure("AccessDenied", "") == drop_failure_kind::access_denied);
    CHECK(classify_drop_failure("SlowDown", "Please reduce your request rate.") ==
          drop_failure_kind::transient);
    CHECK(classify_drop_failure("InternalError", "") == drop_failure_kind::transient);
    CHECK(classify_drop_failure("", "connect 127.0.0.1:7480: refused") == drop_failure_kind::transient);
    CHECK(classify_drop_failure("MalformedXML", "") == drop_failure_kind::other);
}

TEST_CASE("one line explains the failures of a bucket with a sample key and the fix") {
    drop_failure_summary s;
    CHECK(s.empty());
    CHECK_FALSE(s.error());
    for (int i = 0; i < 12; ++i)
        s.add(failed("DeleteObjects", "AWSLogs/123456789012/CloudTrail/k" + std::to_string(i) + ".json.gz",
                     "AccessDenied", "Access Denied because object protected by object lock."));
    CHECK(s.count() == 12);
    CHECK(s.main_kind() == drop_failure_kind::object_lock);
    CHECK(s.error() == errc::access_denied);
    CHECK(s.line("cloudtrail-eu-west-1-123456789012") ==
          "cloudtrail-eu-west-1-123456789012: 12 object versions could not be deleted (AccessDenied: Access "
          "Denied because object protected by object lock; e.g. key "
          "AWSLogs/123456789012/CloudTrail/k0.json.gz) — "
          "remove the legal hold or wait for the retention period to end, then re-run drop-sources");

    s.add(failed("AbortMultipartUpload", "big.bin", "AccessDenied", "Access Denied"));
    CHECK(s.count() == 13);
    CHECK(s.explain().find(
              "; and 1 multipart upload could not be aborted (AccessDenied: Access Denied; e.g. key "
              "big.bin) — the credentials need s3:ListBucketVersions, s3:DeleteObjectVersion, "
              "s3:AbortMultipartUpload and s3:DeleteBucket") != std::string::npos);
    CHECK(s.explain().find('\n') == std::string::npos);
}

TEST_CASE("a plain AccessDenied on a version names both causes: permissions and Object Lock") {
    drop_failure_summary s;
    s.add(failed("DeleteObjects", "AWSLogs/held.json", "AccessDenied",
                 "AccessDenied"));  // Ceph RGW, legal hold
    CHECK(s.main_kind() == drop_failure_kind::access_denied);
    CHECK(s.error() == errc::access_denied);
    CHECK(
        s.explain() ==
        "1 object version could not be deleted (AccessDenied: AccessDenied; e.g. key AWSLogs/held.json) — "
        "the "
        "credentials need s3:ListBucketVersions, s3:DeleteObjectVersion, s3:AbortMultipartUpload and "
        "s3:DeleteBucket on the bucket (check the bucket policy too), or the versions are under Object Lock "
        "(some "
        "servers say only AccessDenied): remove the legal hold or wait for the retention period to end; then "
        "re-run drop-sources");
}

TEST_CASE("the main kind decides the error code; messages become one printable line") {
    drop_failure_summary s;
    s.add(failed("DeleteObjects", "a\nb", "SlowDown", "Please reduce\nyour request rate."));
    s.add(failed("DeleteObjects", "c", "SlowDown", "Please reduce your request rate."));
    s.add(failed("AbortMultipartUpload", "d", "AccessDenied", "Access Denied"));
    CHECK(s.main_kind() == drop_failure_kind::transient);
    CHECK(s.error() == errc::throttled);
    CHECK(
        s.explain() ==
        "2 object versions could not be deleted (SlowDown: Please reduce your request rate; e.g. key a b) — "
        "a "
        "transient error (throttling, server or network); re-run drop-sources; and 1 multipart upload could "
        "not "
        "be aborted (AccessDenied: Access Denied; e.g. key d) — the credentials need s3:ListBucketVersions, "
        "s3:DeleteObjectVersion, s3:AbortMultipartUpload and s3:DeleteBucket on the bucket (check the bucket "
        "policy too), then re-run drop-sources");
}

TEST_CASE("judge_bucket: a bucket goes only when every listed object was found identical") {
    report rep;
    counters all_same;
    all_same.listed = 3;
    all_same.skipped = 3;
    auto v = judge_bucket("src", all_same, rep, "dst", "copy first");
    CHECK(v.drop);
    CHECK(v.why_kept.empty());
    counters empty;  // nothing in it: nothing to lose
    CHECK(judge_bucket("src", empty, rep, "dst", "copy first").drop);

    // One failure keeps it, named with its key and the fix.
    rep.failures.push_back(failed("Verify", "a/1.json.gz", "Missing", "not at s3://dst/a/1.json.gz"));
    rep.failures.back().bucket = "src";
    rep.failures.push_back(failed("Verify", "other.json", "Missing", "not there"));
    rep.failures.back().bucket = "elsewhere";
    counters one_missing = all_same;
    one_missing.skipped = 2;
    one_missing.failed = 1;
    v = judge_bucket("src", one_missing, rep, "dst", "copy first");
    CHECK(!v.drop);
    CHECK(
        v.why_kept ==
        "kept s3://src: 1 objects are not identical at s3://dst\n    Missing: a/1.json.gz\n  nothing in this "
        "bucket was deleted — copy first");

    // Counted but neither identical nor failed (no failure recorded): kept too.
    counters unsettled = all_same;
    unsettled.skipped = 2;
    v = judge_bucket("src", unsettled, report{}, "dst", "copy first");
    CHECK(!v.drop);
    CHECK(v.why_kept.starts_with("kept s3://src: 1 objects are not identical"));

    // At most ten keys are named.
    report many;
    for (int i = 0; i < 12; ++i) {
        many.failures.push_back(failed("Verify", "k" + std::to_string(i), "ETagDiffers", "differs"));
        many.failures.back().bucket = "src";
    }
    counters twelve;
    twelve.listed = 12;
    twelve.failed = 12;
    v = judge_bucket("src", twelve, many, "dst", "fix");
    CHECK(!v.drop);
    CHECK(v.why_kept.find("ETagDiffers: k9\n    ...") != std::string::npos);
    CHECK(v.why_kept.find("k10") == std::string::npos);
}
