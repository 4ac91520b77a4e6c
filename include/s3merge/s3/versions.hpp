// Versioned buckets, sans-io: ListObjectVersions, GetBucketVersioning and
// PutBucketVersioning.
//
// Same conventions as ops.hpp: builders return an unsigned http_request with
// raw (unencoded) path and query for a resolved target; parsers take the
// http_response and fill a result or return an error_code with diagnostics
// (check_response + classify_error). A parser that fails leaves its result
// empty: never a partial page.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3merge::s3 {

// ---- ListObjectVersions ---------------------------------------------------

struct list_object_versions_params {
    std::string prefix;
    std::string delimiter;
    std::string key_marker;
    std::string version_id_marker;  // only meaningful with key_marker
    int max_keys = 1000;            // sent when > 0
    bool encoding_type_url = true;  // ask for url-encoded keys, decoded by the parser
};

struct object_version {
    std::string key;
    std::string version_id;  // "null" for a version written while versioning was off
    bool is_latest = false;
    std::uint64_t size = 0;
    std::string etag;           // without surrounding quotes
    std::string last_modified;  // as sent, ISO 8601
    std::string storage_class;  // "STANDARD" when absent
};

struct delete_marker_entry {
    std::string key;
    std::string version_id;
    bool is_latest = false;
    std::string last_modified;
};

struct list_object_versions_result {
    // S3 interleaves <Version> and <DeleteMarker> in key order (newest first
    // within a key); each list keeps document order.
    std::vector<object_version> versions;
    std::vector<delete_marker_entry> delete_markers;
    std::vector<std::string> common_prefixes;
    bool is_truncated = false;
    std::string next_key_marker;         // decoded; pass back as key_marker
    std::string next_version_id_marker;  // opaque; pass back as version_id_marker
};

// GET /?versions with the non-empty parameters.
http_request build_list_object_versions(const target& t, const list_object_versions_params& p);
// Keys, prefixes and NextKeyMarker are url-decoded (form-style, as for
// ListObjectsV2) only when the response says <EncodingType>url</EncodingType>.
// A <Version> or <DeleteMarker> without <Key> or <VersionId>, a <Version>
// without a valid <Size>, an invalid <IsLatest>, and a truncated page without
// a NextKeyMarker are malformed_response.
std::error_code parse_list_object_versions(const http_response& resp, list_object_versions_result& out,
                                           diagnostics& diag);

// ---- GetBucketVersioning / PutBucketVersioning ----------------------------

struct get_bucket_versioning_result {
    std::string status;      // "" (never enabled) | "Enabled" | "Suspended"
    std::string mfa_delete;  // "" | "Enabled" | "Disabled"
};
// GET /?versioning
http_request build_get_bucket_versioning(const target& t);
// An empty <VersioningConfiguration/> means versioning was never enabled.
// Any other Status or MfaDelete value is malformed_response.
std::error_code parse_get_bucket_versioning(const http_response& resp, get_bucket_versioning_result& out,
                                            diagnostics& diag);

struct put_bucket_versioning_params {
    std::string status = "Enabled";  // "Enabled" | "Suspended"
};
// PUT /?versioning with
//   <VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Status>Enabled</Status></VersioningConfiguration>
// built with pugixml, Content-MD5 (S3 requires an integrity header here) and
// Content-Type: application/xml.
http_request build_put_bucket_versioning(const target& t, const put_bucket_versioning_params& p);
std::error_code parse_put_bucket_versioning(const http_response& resp, diagnostics& diag);

}  // namespace s3merge::s3
