// One trait per S3 operation: its name, parameters, result, the key it is
// about (for diagnostics), and its builder and parser behind one signature
//   build(target, params, error_code&, diagnostics&) -> http_request
//   parse(response, result&, diagnostics&) -> error_code
// s3::client's one call path, call<Op>, drives any of them (build, sign,
// send with retries, parse, region redirect). Pure: no Asio.
#pragma once

#include <string_view>
#include <system_error>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"
#include "s3merge/s3/multipart.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/s3/versions.hpp"

namespace s3merge::s3::op {

// Parameters or result of an operation that has none.
struct none {};

struct list_objects_v2 {
    static constexpr std::string_view name = "ListObjectsV2";
    using params = list_objects_v2_params;
    using result = list_objects_v2_result;
    static std::string_view key(const params& p) { return p.prefix; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_list_objects_v2(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_list_objects_v2(r, out, d);
    }
};
struct list_buckets {
    static constexpr std::string_view name = "ListBuckets";
    using params = std::string;  // the continuation token
    using result = list_buckets_result;
    static std::string_view key(const params&) { return {}; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_list_buckets(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_list_buckets(r, out, d);
    }
};
struct head_bucket {
    static constexpr std::string_view name = "HeadBucket";
    using params = none;
    using result = head_bucket_result;
    static std::string_view key(const params&) { return {}; }
    static http_request build(const target& t, const params&, std::error_code&, diagnostics&) {
        return build_head_bucket(t);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_head_bucket(r, out, d);
    }
};
struct head_object {
    static constexpr std::string_view name = "HeadObject";
    using params = head_object_params;
    using result = head_object_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_head_object(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_head_object(r, out, d);
    }
};
struct get_object {
    static constexpr std::string_view name = "GetObject";
    using params = get_object_params;
    using result = get_object_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_get_object(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_get_object(r, out, d);
    }
};
struct copy_object {
    static constexpr std::string_view name = "CopyObject";
    using params = copy_object_params;
    using result = copy_object_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_copy_object(t, p);
    }
    // Written for the wire straight from `p` where it can be (see
    // write_signed_copy_object); the build above cannot fail.
    static bool write_signed(const target& t, const params& p, sigv4::signer& s, const credentials& c,
                             const sigv4::signing_params& sp, std::string_view ua, std::string& out) {
        return write_signed_copy_object(t, p, s, c, sp, ua, out);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_copy_object(r, out, d);
    }
};
struct delete_objects {
    static constexpr std::string_view name = "DeleteObjects";
    using params = delete_objects_params;
    using result = delete_objects_result;
    static std::string_view key(const params&) { return {}; }
    static http_request build(const target& t, const params& p, std::error_code& ec, diagnostics& d) {
        return build_delete_objects(t, p, ec, d);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_delete_objects(r, out, d);
    }
};
struct delete_object {
    static constexpr std::string_view name = "DeleteObject";
    using params = object_identifier;
    using result = none;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_delete_object(t, p);
    }
    static std::error_code parse(const http_response& r, result&, diagnostics& d) {
        return parse_delete_object(r, d);
    }
};
struct put_object {
    static constexpr std::string_view name = "PutObject";
    using params = put_object_params;
    using result = put_object_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_put_object(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_put_object(r, out, d);
    }
};
struct create_bucket {
    static constexpr std::string_view name = "CreateBucket";
    using params = create_bucket_params;
    using result = none;
    static std::string_view key(const params&) { return {}; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_create_bucket(t, p);
    }
    static std::error_code parse(const http_response& r, result&, diagnostics& d) {
        return parse_create_bucket(r, d);
    }
};
struct delete_bucket {
    static constexpr std::string_view name = "DeleteBucket";
    using params = none;
    using result = none;
    static std::string_view key(const params&) { return {}; }
    static http_request build(const target& t, const params&, std::error_code&, diagnostics&) {
        return build_delete_bucket(t);
    }
    static std::error_code parse(const http_response& r, result&, diagnostics& d) {
        return parse_delete_bucket(r, d);
    }
};
struct create_multipart_upload {
    static constexpr std::string_view name = "CreateMultipartUpload";
    using params = create_multipart_upload_params;
    using result = create_multipart_upload_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_create_multipart_upload(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_create_multipart_upload(r, out, d);
    }
};
struct upload_part_copy {
    static constexpr std::string_view name = "UploadPartCopy";
    using params = upload_part_copy_params;
    using result = upload_part_copy_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code& ec, diagnostics& d) {
        return build_upload_part_copy(t, p, ec, d);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_upload_part_copy(r, out, d);
    }
};
struct complete_multipart_upload {
    static constexpr std::string_view name = "CompleteMultipartUpload";
    using params = complete_multipart_upload_params;
    using result = complete_multipart_upload_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code& ec, diagnostics& d) {
        return build_complete_multipart_upload(t, p, ec, d);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_complete_multipart_upload(r, out, d);
    }
};
struct abort_multipart_upload {
    static constexpr std::string_view name = "AbortMultipartUpload";
    using params = abort_multipart_upload_params;
    using result = none;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code& ec, diagnostics& d) {
        return build_abort_multipart_upload(t, p, ec, d);
    }
    static std::error_code parse(const http_response& r, result&, diagnostics& d) {
        return parse_abort_multipart_upload(r, d);
    }
};
struct list_multipart_uploads {
    static constexpr std::string_view name = "ListMultipartUploads";
    using params = list_multipart_uploads_params;
    using result = list_multipart_uploads_result;
    static std::string_view key(const params& p) { return p.prefix; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_list_multipart_uploads(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_list_multipart_uploads(r, out, d);
    }
};
struct get_object_tagging {
    static constexpr std::string_view name = "GetObjectTagging";
    using params = get_object_tagging_params;
    using result = get_object_tagging_result;
    static std::string_view key(const params& p) { return p.key; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_get_object_tagging(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_get_object_tagging(r, out, d);
    }
};
struct list_object_versions {
    static constexpr std::string_view name = "ListObjectVersions";
    using params = list_object_versions_params;
    using result = list_object_versions_result;
    static std::string_view key(const params& p) { return p.prefix; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_list_object_versions(t, p);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_list_object_versions(r, out, d);
    }
};
struct get_bucket_versioning {
    static constexpr std::string_view name = "GetBucketVersioning";
    using params = none;
    using result = get_bucket_versioning_result;
    static std::string_view key(const params&) { return {}; }
    static http_request build(const target& t, const params&, std::error_code&, diagnostics&) {
        return build_get_bucket_versioning(t);
    }
    static std::error_code parse(const http_response& r, result& out, diagnostics& d) {
        return parse_get_bucket_versioning(r, out, d);
    }
};
struct put_bucket_versioning {
    static constexpr std::string_view name = "PutBucketVersioning";
    using params = put_bucket_versioning_params;
    using result = none;
    static std::string_view key(const params&) { return {}; }
    static http_request build(const target& t, const params& p, std::error_code&, diagnostics&) {
        return build_put_bucket_versioning(t, p);
    }
    static std::error_code parse(const http_response& r, result&, diagnostics& d) {
        return parse_put_bucket_versioning(r, d);
    }
};

}  // namespace s3merge::s3::op
