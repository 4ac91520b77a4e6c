#include "s3/copy_source.hpp"

#include "s3merge/sigv4.hpp"

namespace s3merge::s3::detail {

std::string copy_source_header(std::string_view bucket, std::string_view key, std::string_view version_id) {
    std::string source =
        "/" + sigv4::uri_encode(bucket) + "/" + sigv4::uri_encode(key, /*encode_slash=*/false);
    if (!version_id.empty()) source += "?versionId=" + sigv4::uri_encode(version_id);
    return source;
}

}  // namespace s3merge::s3::detail
