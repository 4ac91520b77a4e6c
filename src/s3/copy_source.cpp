#include "s3/copy_source.hpp"

#include "s3merge/sigv4.hpp"

namespace s3merge::s3::detail {

std::string copy_source_header(std::string_view bucket, std::string_view key, std::string_view version_id) {
    std::string source;
    source.reserve(2 + bucket.size() + key.size() + (version_id.empty() ? 0 : 11 + version_id.size()) + 16);
    source += '/';
    sigv4::append_uri_encoded(source, bucket);
    source += '/';
    sigv4::append_uri_encoded(source, key, /*encode_slash=*/false);
    if (!version_id.empty()) {
        source += "?versionId=";
        sigv4::append_uri_encoded(source, version_id);
    }
    return source;
}

}  // namespace s3merge::s3::detail
