// The operation traits (s3/operations.hpp): one builder signature, the
// right parser, the key named in diagnostics.
#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with operator<<
#include <set>

#include "s3_test_util.hpp"
#include "s3merge/s3/operations.hpp"

using namespace s3merge;
using namespace s3merge::s3;

namespace {

template <class... Ops>
std::set<std::string_view> names() {
    return {Ops::name...};
}

http_request build_ok(auto op, const auto& params) {
    std::error_code ec;
    diagnostics d;
    auto req = decltype(op)::build(s3test::aws_target("bkt"), params, ec, d);
    CHECK(!ec);
    return req;
}

}  // namespace

TEST_CASE("operation traits: every operation has its own name") {
    auto all =
        names<op::list_objects_v2, op::head_bucket, op::head_object, op::copy_object, op::delete_objects,
              op::delete_object, op::put_object, op::create_bucket, op::delete_bucket,
              op::create_multipart_upload, op::upload_part_copy, op::complete_multipart_upload,
              op::abort_multipart_upload, op::list_multipart_uploads, op::get_object_tagging,
              op::list_object_versions, op::get_bucket_versioning, op::put_bucket_versioning>();
    CHECK(all.size() == 18);
    CHECK(all.count("ListObjectsV2"));
    CHECK(all.count("PutBucketVersioning"));
}

TEST_CASE("operation traits: build, key and parse of a listing") {
    list_objects_v2_params p;
    p.prefix = "AWSLogs/";
    CHECK(op::list_objects_v2::key(p) == "AWSLogs/");
    auto req = build_ok(op::list_objects_v2{}, p);
    CHECK(req.method == "GET");
    bool list_type = false;
    for (const auto& q : req.query) list_type = list_type || (q.name == "list-type" && q.value == "2");
    CHECK(list_type);

    http_response resp;
    resp.status = 200;
    resp.body =
        "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>AWSLogs/a</Key><Size>3</Size>"
        "<ETag>\"e\"</ETag></Contents></ListBucketResult>";
    list_objects_v2_result out;
    diagnostics d;
    REQUIRE(!op::list_objects_v2::parse(resp, out, d));
    REQUIRE(out.objects.size() == 1);
    CHECK(out.objects[0].key == "AWSLogs/a");
    CHECK(out.objects[0].etag == "e");
}

TEST_CASE("operation traits: a builder that can refuse reports through the one signature") {
    delete_objects_params p;
    for (int i = 0; i < 1001; ++i) p.objects.push_back({"k" + std::to_string(i), {}, {}});
    std::error_code ec;
    diagnostics d;
    (void)op::delete_objects::build(s3test::aws_target("bkt"), p, ec, d);
    CHECK(ec == errc::invalid_argument);
    CHECK(!d.detail.empty());
    CHECK(op::delete_objects::key(p).empty());
}

TEST_CASE("operation traits: operations without parameters or result") {
    op::none none;
    auto req = build_ok(op::head_bucket{}, none);
    CHECK(req.method == "HEAD");
    http_response resp;
    resp.status = 404;
    head_bucket_result hb;
    diagnostics d;
    CHECK(op::head_bucket::parse(resp, hb, d) == errc::not_found);

    object_identifier o{"a/b", {}, {}};
    CHECK(op::delete_object::key(o) == "a/b");
    CHECK(build_ok(op::delete_object{}, o).method == "DELETE");
    resp.status = 204;
    CHECK(!op::delete_object::parse(resp, none, d));
}
