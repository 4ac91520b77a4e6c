#include "s3/copy_source.hpp"

#include "s3merge/uri.hpp"

namespace s3merge::s3::detail {

std::string copy_source_header(std::string_view bucket, std::string_view key, std::string_view version_id) {
    std::string source;
    source.reserve(2 + bucket.size() + key.size() + (version_id.empty() ? 0 : 11 + version_id.size()) + 16);
    append_copy_source_header(source, bucket, key, version_id);
    return source;
}

void append_copy_source_header(std::string& source, std::string_view bucket, std::string_view key,
                               std::string_view version_id) {
    source += '/';
    uri::append_encoded(source, bucket);
    source += '/';
    uri::append_encoded(source, key, /*encode_slash=*/false);
    if (!version_id.empty()) {
        source += "?versionId=";
        uri::append_encoded(source, version_id);
    }
}

}  // namespace s3merge::s3::detail
