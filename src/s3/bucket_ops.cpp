// Bucket-level operations: HeadBucket, CreateBucket, DeleteBucket.
#include "s3/xml_util.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::s3 {

http_request build_list_buckets(const target& t, std::string_view continuation_token) {
    http_request req = detail::request_for(t, {}, "GET");
    if (!continuation_token.empty())
        req.query.push_back({"continuation-token", std::string(continuation_token)});
    return req;
}

std::error_code parse_list_buckets(const http_response& resp, list_buckets_result& out, diagnostics& diag) {
    out = list_buckets_result{};
    pugi::xml_document doc;
    if (auto ec = detail::load_result(resp, "ListBuckets", "ListAllMyBucketsResult", doc, diag)) return ec;
    const pugi::xml_node root = doc.document_element();
    std::string problem;
    detail::for_each_child(detail::child(root, "Buckets"), "Bucket", [&](const pugi::xml_node& b) {
        std::string name = detail::child_text(b, "Name");
        if (name.empty()) problem = "ListBuckets answered a bucket without a Name";
        out.names.push_back(std::move(name));
    });
    if (!problem.empty()) {
        out = list_buckets_result{};
        return detail::malformed(resp, diag, problem);
    }
    out.continuation_token = detail::child_text(root, "ContinuationToken");
    return {};
}

http_request build_head_bucket(const target& t) {
    return detail::request_for(t, {}, "HEAD");
}

std::error_code parse_head_bucket(const http_response& resp, head_bucket_result& out, diagnostics& diag) {
    out = head_bucket_result{};
    // S3 names the bucket's region on success and on 301/400/403 alike; the
    // caller uses it to follow a wrong-region answer.
    if (const std::string* r = resp.find_header("x-amz-bucket-region")) out.region = *r;
    return check_response(resp, diag);
}

http_request build_create_bucket(const target& t, const create_bucket_params& p) {
    http_request req = detail::request_for(t, {}, "PUT");
    if (!p.location_constraint.empty()) {
        pugi::xml_document doc;
        pugi::xml_node root = detail::start_document(doc, "CreateBucketConfiguration");
        root.append_child("LocationConstraint")
            .append_child(pugi::node_pcdata)
            .set_value(p.location_constraint.c_str());
        req.body = detail::serialize(doc);
        req.set_header("Content-Type", "application/xml");
    }
    return req;
}

std::error_code parse_create_bucket(const http_response& resp, diagnostics& diag) {
    return check_response(resp, diag);
}

http_request build_delete_bucket(const target& t) {
    return detail::request_for(t, {}, "DELETE");
}

std::error_code parse_delete_bucket(const http_response& resp, diagnostics& diag) {
    if (auto ec = check_response(resp, diag)) return ec;
    // S3 answers a deleted bucket with 204 No Content. Any other success is
    // not an S3 server (a web page, a proxy's own answer): nothing says the
    // bucket is gone.
    if (resp.status != 204)
        return detail::malformed(
            resp, diag,
            "the endpoint answered HTTP " + std::to_string(resp.status) +
                " to DeleteBucket, not S3's 204 No Content: check --endpoint-url points at an S3 "
                "server; the bucket may still exist");
    return {};
}

}  // namespace s3merge::s3
