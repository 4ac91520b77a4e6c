// Private helper shared by the copy operations: the x-amz-copy-source value.
// Pure; no I/O.
#pragma once

#include <string>
#include <string_view>

namespace s3merge::s3::detail {

// "/" + bucket + "/" + key, percent-encoded, plus "?versionId=<id>" when a
// version is given. The header value is a URL path and the signer encodes
// only the request line, so it is encoded here: the bucket and the version id
// fully, the key with its '/' kept, every other byte outside A-Za-z0-9-._~ as
// %XX (so '+', '%', ' ', '?', '#', '&' and UTF-8 survive, and a literal "%2F"
// becomes "%252F"). botocore does the same with
// percent_encode(bucket/key, safe="-._~/"). Identical to what
// build_copy_object sends; the unit tests compare the two.
std::string copy_source_header(std::string_view bucket, std::string_view key, std::string_view version_id);
// The same, appended to `out`.
void append_copy_source_header(std::string& out, std::string_view bucket, std::string_view key,
                               std::string_view version_id);

}  // namespace s3merge::s3::detail
