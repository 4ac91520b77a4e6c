// A server-side copy confirmed at the destination, shared by the engine and
// `s3merge cp`: a source is never trusted to have arrived until this says so.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "s3merge/client/s3_client.hpp"

namespace s3merge::engine {

// HEAD on bucket/key; a size other than `expected` is errc::s3_error with
// diag.s3_code "VerificationFailed" and a message "<what> has N bytes, the
// source M".
boost::asio::awaitable<std::error_code> confirm_size(s3::client& c, std::string bucket, std::string key,
                                                     std::uint64_t expected, std::string_view what,
                                                     diagnostics& diag);

// Whether a copy's ETag confirms it: the source's is a single-part (MD5)
// ETag and equal. Otherwise (a multipart source, SSE-KMS) the destination's
// size must be checked (confirm_size).
bool copy_confirmed_by_etag(std::string_view src_etag, std::string_view copy_etag);

// CopyObject of p into dst_bucket, confirmed: by the copy's ETag when the
// source's (src_etag) is a single-part MD5 ETag and equal, otherwise (a
// multipart source, SSE-KMS) by the destination's size (confirm_size).
boost::asio::awaitable<std::error_code> verified_copy(s3::client& c, std::string dst_bucket,
                                                      s3::copy_object_params p, std::uint64_t src_size,
                                                      std::string src_etag, s3::copy_object_result& res,
                                                      diagnostics& diag);

}  // namespace s3merge::engine
