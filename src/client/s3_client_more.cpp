// Typed calls for multipart copy, tagging and versions.
#include "client/call.hpp"

namespace s3merge::s3 {

asio::awaitable<std::error_code> client::create_multipart_upload(std::string bucket,
                                                                 create_multipart_upload_params p,
                                                                 create_multipart_upload_result& out,
                                                                 diagnostics& diag) {
    co_return co_await call(
        "CreateMultipartUpload", bucket, p.key,
        [&](const target& t, std::error_code&) { return build_create_multipart_upload(t, p); },
        [&](const http_response& r, diagnostics& d) { return parse_create_multipart_upload(r, out, d); },
        diag);
}

asio::awaitable<std::error_code> client::upload_part_copy(std::string bucket, upload_part_copy_params p,
                                                          upload_part_copy_result& out, diagnostics& diag) {
    co_return co_await call(
        "UploadPartCopy", bucket, p.key,
        [&](const target& t, std::error_code& ec) { return build_upload_part_copy(t, p, ec, diag); },
        [&](const http_response& r, diagnostics& d) { return parse_upload_part_copy(r, out, d); }, diag);
}

asio::awaitable<std::error_code> client::complete_multipart_upload(std::string bucket,
                                                                   complete_multipart_upload_params p,
                                                                   complete_multipart_upload_result& out,
                                                                   diagnostics& diag) {
    co_return co_await call(
        "CompleteMultipartUpload", bucket, p.key,
        [&](const target& t, std::error_code& ec) { return build_complete_multipart_upload(t, p, ec, diag); },
        [&](const http_response& r, diagnostics& d) { return parse_complete_multipart_upload(r, out, d); },
        diag);
}

asio::awaitable<std::error_code> client::abort_multipart_upload(std::string bucket,
                                                                abort_multipart_upload_params p,
                                                                diagnostics& diag) {
    co_return co_await call(
        "AbortMultipartUpload", bucket, p.key,
        [&](const target& t, std::error_code& ec) { return build_abort_multipart_upload(t, p, ec, diag); },
        [&](const http_response& r, diagnostics& d) { return parse_abort_multipart_upload(r, d); }, diag);
}

asio::awaitable<std::error_code> client::list_multipart_uploads(std::string bucket,
                                                                list_multipart_uploads_params p,
                                                                list_multipart_uploads_result& out,
                                                                diagnostics& diag) {
    co_return co_await call(
        "ListMultipartUploads", bucket, p.prefix,
        [&](const target& t, std::error_code&) { return build_list_multipart_uploads(t, p); },
        [&](const http_response& r, diagnostics& d) { return parse_list_multipart_uploads(r, out, d); },
        diag);
}

asio::awaitable<std::error_code> client::get_object_tagging(std::string bucket, get_object_tagging_params p,
                                                            get_object_tagging_result& out,
                                                            diagnostics& diag) {
    co_return co_await call(
        "GetObjectTagging", bucket, p.key,
        [&](const target& t, std::error_code&) { return build_get_object_tagging(t, p); },
        [&](const http_response& r, diagnostics& d) { return parse_get_object_tagging(r, out, d); }, diag);
}

asio::awaitable<std::error_code> client::list_object_versions(std::string bucket,
                                                              list_object_versions_params p,
                                                              list_object_versions_result& out,
                                                              diagnostics& diag) {
    co_return co_await call(
        "ListObjectVersions", bucket, p.prefix,
        [&](const target& t, std::error_code&) { return build_list_object_versions(t, p); },
        [&](const http_response& r, diagnostics& d) { return parse_list_object_versions(r, out, d); }, diag);
}

asio::awaitable<std::error_code> client::get_bucket_versioning(std::string bucket,
                                                               get_bucket_versioning_result& out,
                                                               diagnostics& diag) {
    co_return co_await call(
        "GetBucketVersioning", bucket, "",
        [&](const target& t, std::error_code&) { return build_get_bucket_versioning(t); },
        [&](const http_response& r, diagnostics& d) { return parse_get_bucket_versioning(r, out, d); }, diag);
}

asio::awaitable<std::error_code> client::put_bucket_versioning(std::string bucket,
                                                               put_bucket_versioning_params p,
                                                               diagnostics& diag) {
    co_return co_await call(
        "PutBucketVersioning", bucket, "",
        [&](const target& t, std::error_code&) { return build_put_bucket_versioning(t, p); },
        [&](const http_response& r, diagnostics& d) { return parse_put_bucket_versioning(r, d); }, diag);
}

}  // namespace s3merge::s3
