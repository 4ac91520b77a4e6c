// Typed calls for multipart copy, tagging and versions.
#include "client/call.hpp"

namespace s3merge::s3 {

asio::awaitable<std::error_code> client::create_multipart_upload(std::string bucket,
                                                                 create_multipart_upload_params p,
                                                                 create_multipart_upload_result& out,
                                                                 diagnostics& diag) {
    co_return co_await call<op::create_multipart_upload>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::upload_part_copy(std::string bucket, upload_part_copy_params p,
                                                          upload_part_copy_result& out, diagnostics& diag) {
    co_return co_await call<op::upload_part_copy>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::complete_multipart_upload(std::string bucket,
                                                                   complete_multipart_upload_params p,
                                                                   complete_multipart_upload_result& out,
                                                                   diagnostics& diag) {
    co_return co_await call<op::complete_multipart_upload>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::abort_multipart_upload(std::string bucket,
                                                                abort_multipart_upload_params p,
                                                                diagnostics& diag) {
    op::none none;
    co_return co_await call<op::abort_multipart_upload>(bucket, p, none, diag);
}

asio::awaitable<std::error_code> client::list_multipart_uploads(std::string bucket,
                                                                list_multipart_uploads_params p,
                                                                list_multipart_uploads_result& out,
                                                                diagnostics& diag) {
    co_return co_await call<op::list_multipart_uploads>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::get_object_tagging(std::string bucket, get_object_tagging_params p,
                                                            get_object_tagging_result& out,
                                                            diagnostics& diag) {
    co_return co_await call<op::get_object_tagging>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::list_object_versions(std::string bucket,
                                                              list_object_versions_params p,
                                                              list_object_versions_result& out,
                                                              diagnostics& diag) {
    co_return co_await call<op::list_object_versions>(bucket, p, out, diag);
}

asio::awaitable<std::error_code> client::get_bucket_versioning(std::string bucket,
                                                               get_bucket_versioning_result& out,
                                                               diagnostics& diag) {
    op::none none;
    co_return co_await call<op::get_bucket_versioning>(bucket, none, out, diag);
}

asio::awaitable<std::error_code> client::put_bucket_versioning(std::string bucket,
                                                               put_bucket_versioning_params p,
                                                               diagnostics& diag) {
    op::none none;
    co_return co_await call<op::put_bucket_versioning>(bucket, p, none, diag);
}

}  // namespace s3merge::s3
