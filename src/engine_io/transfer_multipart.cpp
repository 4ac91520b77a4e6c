// Multipart server-side copy of objects above --multipart-threshold.
#include "engine_io/transfer_impl.hpp"

namespace s3merge::engine {

asio::awaitable<std::error_code> transfer::impl::copy_multipart(const leaf_run& lr, const decision& d,
                                                                diagnostics& diag) {
    diag.operation = "MultipartCopy";
    diag.bucket = sources[lr.source].loc.bucket;
    diag.key = d.source.key;
    diag.detail = "multipart copy is not available in this build";
    co_return make_error_code(errc::invalid_request);
}

} // namespace s3merge::engine
