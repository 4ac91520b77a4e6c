// A CopyObject request like s3merge's, for the benchmarks' own clients: the
// same headers and about the same size, with a dummy signature (the load
// target checks none). transport-floor sends it as its template, and
// s3-load-target --write-copy-requests writes one per key for
// transport-floor to replay.
#pragma once

#include <cstddef>
#include <cstdio>

namespace s3bench {

// `key` as it goes in the path and in x-amz-copy-source (already encoded).
// Returns snprintf's length: at least `cap` when it did not fit.
inline std::size_t format_copy_request(char* out, std::size_t cap, const char* host, const char* dst_bucket,
                                       const char* src_bucket, const char* key) {
    const int n = std::snprintf(
        out, cap,
        "PUT /%s/%s HTTP/1.1\r\n"
        "x-amz-copy-source: /%s/%s\r\n"
        "x-amz-metadata-directive: COPY\r\n"
        "Host: %s\r\n"
        "X-Amz-Date: 20261124T000000Z\r\n"
        "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=bench/20261124/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-content-sha256;x-amz-copy-source;x-amz-date;x-amz-metadata-directive, "
        "Signature=0000000000000000000000000000000000000000000000000000000000000000\r\n"
        "User-Agent: transport-floor\r\n"
        "Content-Length: 0\r\n\r\n",
        dst_bucket, key, src_bucket, key, host);
    return n < 0 ? 0 : static_cast<std::size_t>(n);
}

}  // namespace s3bench
