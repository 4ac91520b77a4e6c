// Multipart copy, sans-io: the part planner, CreateMultipartUpload,
// UploadPartCopy, CompleteMultipartUpload, AbortMultipartUpload,
// ListMultipartUploads, and GetObjectTagging with the x-amz-tagging encoder
// (a multipart copy does not carry the source's tags: the caller reads them
// and sends them on CreateMultipartUpload).
//
// Same conventions as ops.hpp: builders return an unsigned http_request with
// raw (unencoded) path and query for a resolved target; parsers take the
// http_response and fill a result or return an error_code with diagnostics
// (check_response + classify_error). A parser that fails leaves its result
// empty: never a partial page.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3merge::s3 {

// ---- limits and the part planner ------------------------------------------

inline constexpr std::uint64_t one_mib = 1024 * 1024;
inline constexpr std::uint64_t min_part_size = 5 * one_mib;         // every part but the last
inline constexpr std::uint64_t max_part_size = 5 * 1024 * one_mib;  // 5 GiB
inline constexpr int max_part_count = 10000;                        // part numbers 1..10000
// The largest object a plan can cover: 10,000 parts of 5 GiB.
inline constexpr std::uint64_t max_multipart_object_size = max_part_size * max_part_count;

// One part of a plan: bytes [first, last] of the source, both inclusive, as
// x-amz-copy-source-range wants them.
struct part_range {
    int part_number = 0;  // 1-based
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    std::uint64_t size() const { return last - first + 1; }
    friend bool operator==(const part_range&, const part_range&) = default;
};

// The part size plan_parts uses: `requested` clamped to [min_part_size,
// max_part_size]; if that would take more than max_part_count parts, the
// smallest size that fits in max_part_count parts, rounded up to a whole MiB.
// 0 when there is no plan (see plan_parts).
std::uint64_t effective_part_size(std::uint64_t object_size, std::uint64_t requested);

// Splits an object into parts 1..n of effective_part_size bytes each; the
// last part holds the remainder and may be smaller (even below 5 MiB, which
// S3 allows for the last part). Parts are contiguous and cover the object.
// Empty when the object must not go multipart:
//  - object_size == 0: a 0-byte object is never copied with multipart (S3
//    cannot express an empty byte range); copy it with CopyObject;
//  - object_size > max_multipart_object_size: no plan fits S3's limits.
std::vector<part_range> plan_parts(std::uint64_t object_size, std::uint64_t part_size);

// The part size that reproduces a multipart source's layout, so that the
// copy's ETag equals the source's ("<md5 of part md5s>-N") and identity
// stays provable from listings: from the source's ETag part count, and the
// first part's size and part count as HeadObject ?partNumber=1 reports them
// (Content-Length, x-amz-mp-parts-count). 0 (use the configured size) when
// the source is not multipart, the server did not say, the counts disagree,
// or the layout is not uniform parts plus a shorter last one.
std::uint64_t source_layout_part_size(std::uint64_t object_size, std::string_view etag,
                                      std::uint64_t first_part_size, std::uint64_t parts_count);

// ---- CreateMultipartUpload ------------------------------------------------

struct create_multipart_upload_params {
    std::string key;
    // A multipart copy starts from nothing: what the object should carry is
    // sent here (S3 copies none of it from the source).
    std::string content_type;
    std::string content_encoding;
    std::string content_disposition;
    std::string content_language;
    std::string cache_control;
    std::vector<http_header> metadata;  // x-amz-meta-<name>
    std::string storage_class;
    std::string tagging;         // x-amz-tagging value, e.g. encode_tagging(tags)
    std::string sse;             // "" | "AES256" | "aws:kms"
    std::string sse_kms_key_id;  // optional, with aws:kms
};
struct create_multipart_upload_result {
    std::string upload_id;  // never empty on success
    std::string bucket;
    std::string key;
};
// POST /key?uploads (query "uploads" with an empty value), no body.
http_request build_create_multipart_upload(const target& t, const create_multipart_upload_params& p);
// Reads <InitiateMultipartUploadResult>; a missing or empty <UploadId> is
// malformed_response, a 200 <Error> document an error.
std::error_code parse_create_multipart_upload(const http_response& resp, create_multipart_upload_result& out,
                                              diagnostics& diag);

// ---- UploadPartCopy -------------------------------------------------------

struct byte_range {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
};
struct upload_part_copy_params {
    std::string key;        // destination key (bucket comes from the target)
    std::string upload_id;  // from CreateMultipartUpload
    int part_number = 0;    // 1..max_part_count
    std::string source_bucket;
    std::string source_key;
    std::string source_version_id;           // optional
    std::optional<byte_range> source_range;  // absent: the whole source (at most 5 GiB)
    // Optional source ETag (quoted or not): x-amz-copy-source-if-match, so a
    // source overwritten between parts fails with 412 instead of producing
    // an object stitched from two versions.
    std::string source_if_match;
};
struct upload_part_copy_result {
    std::string etag;  // without quotes; never empty on success
    std::string last_modified;
    std::string copy_source_version_id;  // x-amz-copy-source-version-id, if any
};
// PUT /key?partNumber=N&uploadId=ID with x-amz-copy-source encoded exactly as
// CopyObject's ("/bucket/key" percent-encoded, '/' kept, "?versionId=" when
// set) and x-amz-copy-source-range: bytes=first-last.
// Refuses (invalid_argument, diag.key and diag.detail set) an empty key or
// upload id, a part number outside 1..10000 and a range with first > last:
// an empty uploadId could make a lenient server run a plain CopyObject over
// the destination instead.
http_request build_upload_part_copy(const target& t, const upload_part_copy_params& p, std::error_code& ec,
                                    diagnostics& diag);
// A 200 whose body is an <Error> document is an error, as for CopyObject.
std::error_code parse_upload_part_copy(const http_response& resp, upload_part_copy_result& out,
                                       diagnostics& diag);

// ---- CompleteMultipartUpload ---------------------------------------------

struct completed_part {
    int part_number = 0;
    std::string etag;  // as UploadPartCopy returned it, quoted or not
};
struct complete_multipart_upload_params {
    std::string key;
    std::string upload_id;
    std::vector<completed_part> parts;  // any order; 1..max_part_count of them
};
struct complete_multipart_upload_result {
    std::string etag;  // without quotes; may be empty (Ceph RGW sends <ETag/>)
    std::string location;
    std::string bucket;
    std::string key;
    std::string version_id;  // x-amz-version-id, if any
};
// POST /key?uploadId=ID with the body
//   <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
//     <Part><PartNumber>1</PartNumber><ETag>"…"</ETag></Part>…
//   </CompleteMultipartUpload>
// built with pugixml: parts sorted by part number (S3 answers InvalidPartOrder
// otherwise; parts finish in any order), each ETag in double quotes.
// Refuses (invalid_argument) an empty key or upload id, no parts or more than
// 10,000, a part number outside 1..10000 or repeated, and an ETag that is
// empty or cannot be carried by XML.
http_request build_complete_multipart_upload(const target& t, const complete_multipart_upload_params& p,
                                             std::error_code& ec, diagnostics& diag);
// S3 answers 200 at once and the outcome at the end of the body, which may
// be an <Error> document: that is an error.
std::error_code parse_complete_multipart_upload(const http_response& resp,
                                                complete_multipart_upload_result& out, diagnostics& diag);

// ---- AbortMultipartUpload -------------------------------------------------

struct abort_multipart_upload_params {
    std::string key;
    std::string upload_id;
};
// DELETE /key?uploadId=ID. Refuses (invalid_argument) an empty key or upload
// id: without the uploadId the request is a DeleteObject of the destination.
http_request build_abort_multipart_upload(const target& t, const abort_multipart_upload_params& p,
                                          std::error_code& ec, diagnostics& diag);
// 204 (any 2xx) is success. An upload that is already gone answers 404
// NoSuchUpload, which classifies as not_found.
std::error_code parse_abort_multipart_upload(const http_response& resp, diagnostics& diag);

// ---- ListMultipartUploads -------------------------------------------------

struct list_multipart_uploads_params {
    std::string prefix;
    std::string delimiter;
    std::string key_marker;
    std::string upload_id_marker;  // only meaningful with key_marker
    int max_uploads = 1000;        // sent when > 0
    bool encoding_type_url = true;
};
struct multipart_upload_entry {
    std::string key;
    std::string upload_id;
    std::string initiated;      // as sent, ISO 8601
    std::string storage_class;  // "STANDARD" when absent
};
struct list_multipart_uploads_result {
    std::vector<multipart_upload_entry> uploads;  // in document order
    std::vector<std::string> common_prefixes;
    bool is_truncated = false;
    std::string next_key_marker;        // decoded; pass back as key_marker
    std::string next_upload_id_marker;  // opaque
};
// GET /?uploads with the non-empty parameters.
http_request build_list_multipart_uploads(const target& t, const list_multipart_uploads_params& p);
// Keys, prefixes and NextKeyMarker are url-decoded (form-style, as for
// ListObjectsV2) only when the response says <EncodingType>url</EncodingType>.
// Truncated without a NextKeyMarker is malformed_response.
std::error_code parse_list_multipart_uploads(const http_response& resp, list_multipart_uploads_result& out,
                                             diagnostics& diag);

// ---- GetObjectTagging and the x-amz-tagging encoding ----------------------

struct object_tag {
    std::string key;
    std::string value;
    friend bool operator==(const object_tag&, const object_tag&) = default;
};
struct get_object_tagging_params {
    std::string key;
    std::string version_id;  // optional
};
struct get_object_tagging_result {
    std::vector<object_tag> tags;  // in document order
    std::string version_id;        // x-amz-version-id, if any
};
// GET /key?tagging (query "tagging" with an empty value), plus versionId.
http_request build_get_object_tagging(const target& t, const get_object_tagging_params& p);
// Reads <Tagging><TagSet><Tag><Key/><Value/></Tag>…</TagSet></Tagging>.
// A <Tag> without <Key> is malformed_response; a missing <Value> is "".
std::error_code parse_get_object_tagging(const http_response& resp, get_object_tagging_result& out,
                                         diagnostics& diag);

// "k1=v1&k2=v2" for the x-amz-tagging header (PutObject, CopyObject with
// REPLACE, CreateMultipartUpload): names and values RFC 3986-encoded (every
// byte outside A-Za-z0-9-._~ as %XX, so '&', '=', '+', '/', ' ' and UTF-8
// survive), in the given order. An empty value gives "k=". No tags give "".
std::string encode_tagging(const std::vector<object_tag>& tags);

}  // namespace s3merge::s3
