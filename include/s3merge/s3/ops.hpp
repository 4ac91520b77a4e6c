// S3 operations, sans-io: a pure request builder and a pure response parser
// per operation, all sharing one error model (check_response).
//
// Builders return an unsigned http_request (host, path, query, headers, body)
// for a resolved target; the caller signs and sends it. Parsers take the
// http_response and fill a result or return an error_code with diagnostics.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "s3merge/credentials.hpp"
#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3merge::sigv4 {
class signer;
struct signing_params;
}  // namespace s3merge::sigv4

namespace s3merge::s3 {

// ---- common -------------------------------------------------------------

// Returns {} for a 2xx response. Otherwise parses the <Error> document (which
// may be absent, e.g. for HEAD, or carry an empty <Message/>), fills diag
// (http_status, s3_code, message, request_id, host_id — falling back to the
// x-amz-request-id / x-amz-id-2 headers) and returns classify_error(...).
// diag.operation/bucket/key are left as the caller set them.
std::error_code check_response(const http_response& resp, diagnostics& diag);

// Maps an HTTP status and an S3 error code to errc. One table, unit-tested.
std::error_code classify_error(unsigned http_status, std::string_view s3_code);

// ---- ListObjectsV2 ------------------------------------------------------

struct list_objects_v2_params {
    std::string prefix;
    std::string delimiter;
    int max_keys = 1000;
    std::string continuation_token;
    std::string start_after;
    bool encoding_type_url = true;  // ask for url-encoded keys, decoded by the parser
};

struct object_entry {
    std::string key;
    std::uint64_t size = 0;
    std::string etag;           // without surrounding quotes
    std::string last_modified;  // as sent, ISO 8601
    std::string storage_class;  // "STANDARD" when absent
    friend bool operator==(const object_entry&, const object_entry&) = default;
};

struct list_objects_v2_result {
    std::vector<object_entry> objects;
    std::vector<std::string> common_prefixes;
    bool is_truncated = false;
    std::string next_continuation_token;
    int key_count = 0;
    friend bool operator==(const list_objects_v2_result&, const list_objects_v2_result&) = default;
};

http_request build_list_objects_v2(const target& t, const list_objects_v2_params& p);
// A page read by scan_list_objects_v2 when it takes it, else by the XML
// document parser (parse_list_objects_v2_document): the same result either way.
std::error_code parse_list_objects_v2(const http_response& resp, list_objects_v2_result& out,
                                      diagnostics& diag);
std::error_code parse_list_objects_v2_document(const http_response& resp, list_objects_v2_result& out,
                                               diagnostics& diag);
// The fast path: reads a well-formed page in the plain shape S3 sends
// (see list_objects.cpp) without building a document. false (out empty):
// it declines, and the document parser reads the page — any other shape,
// and every page it would reject, is its to judge.
bool scan_list_objects_v2(std::string_view body, list_objects_v2_result& out);

// ---- ListBuckets --------------------------------------------------------

struct list_buckets_result {
    std::vector<std::string> names;  // in the answer's order
    std::string continuation_token;  // more to ask for when not empty
};
// GET / on the service endpoint (no bucket); continuation-token when
// continuing a paginated answer.
http_request build_list_buckets(const target& t, std::string_view continuation_token);
// A 200 that is not <ListAllMyBucketsResult>, or a bucket without a name,
// is malformed_response.
std::error_code parse_list_buckets(const http_response& resp, list_buckets_result& out, diagnostics& diag);

// ---- HeadBucket ---------------------------------------------------------

struct head_bucket_result {
    std::string region;  // x-amz-bucket-region, may be empty (RGW)
};
http_request build_head_bucket(const target& t);
// A 301/400/403 answer still carries x-amz-bucket-region: it is returned in
// out.region together with the error.
std::error_code parse_head_bucket(const http_response& resp, head_bucket_result& out, diagnostics& diag);

// ---- HeadObject ---------------------------------------------------------

struct head_object_params {
    std::string key;
    std::string version_id;
    bool checksum_mode = false;  // x-amz-checksum-mode: ENABLED (checksums in the answer)
    int part_number = 0;         // > 0: ?partNumber=N (Content-Length is that part's size)
};
// x-amz-checksum-* of an object (base64 as sent; empty when absent).
struct object_checksums {
    std::string crc32, crc32c, crc64nvme, sha1, sha256;
    std::string type;  // x-amz-checksum-type: FULL_OBJECT | COMPOSITE | ""
};
struct head_object_result {
    std::uint64_t size = 0;
    std::string etag;
    std::string last_modified;
    std::string content_type;
    std::string storage_class;  // "STANDARD" when absent
    std::string version_id;
    std::vector<http_header> metadata;  // x-amz-meta-* with the prefix removed
    object_checksums checksums;         // with checksum_mode, when the server has them
    std::uint64_t parts_count = 0;      // x-amz-mp-parts-count (with part_number), 0 when absent
};
http_request build_head_object(const target& t, const head_object_params& p);
std::error_code parse_head_object(const http_response& resp, head_object_result& out, diagnostics& diag);

// ---- GetObject ----------------------------------------------------------

struct get_object_params {
    std::string key;
    body_sink* sink = nullptr;  // a 2xx body goes there, piece by piece (get_object_result::body stays empty)
};
struct get_object_result {
    std::string body;  // as stored (a gzip file stays gzip)
    std::string etag;
    std::vector<http_header> metadata;  // x-amz-meta-* with the prefix removed, names in lower case
};
http_request build_get_object(const target& t, const get_object_params& p);
std::error_code parse_get_object(const http_response& resp, get_object_result& out, diagnostics& diag);

// ---- CopyObject ---------------------------------------------------------

struct copy_object_params {
    std::string source_bucket;
    std::string source_key;
    std::string source_version_id;      // optional
    std::string key;                    // destination key (bucket comes from the target)
    bool replace_metadata = false;      // x-amz-metadata-directive: REPLACE (else COPY)
    std::vector<http_header> metadata;  // with replace_metadata: x-amz-meta-<name>
    std::string content_type;           // with replace_metadata
    bool replace_tagging = false;       // x-amz-tagging-directive: REPLACE (else COPY)
    std::string tagging;                // "k1=v1&k2=v2" with replace_tagging
    std::string storage_class;          // optional
    std::string sse;                    // "" | "AES256" | "aws:kms"
    std::string sse_kms_key_id;         // optional, with aws:kms
    // x-amz-copy-source-if-match: copy only the listed version of the source
    // (412 PreconditionFailed if it changed since). Quotes added.
    std::string source_if_match;
};
struct copy_object_result {
    std::string etag;
    std::string last_modified;
    std::string version_id;         // x-amz-version-id, if any
    std::string source_version_id;  // x-amz-copy-source-version-id: the source version copied
    friend bool operator==(const copy_object_result&, const copy_object_result&) = default;
};
// x-amz-copy-source is "/<bucket>/<key>" percent-encoded (slashes kept),
// plus "?versionId=<id>" when set.
http_request build_copy_object(const target& t, const copy_object_params& p);
// The CopyObject that build_copy_object makes, signed and written for the
// wire straight from `p` (http::write_signed_parts), with no http_request,
// header list or per-header string made: the same bytes as
// http::write_signed_request(build_copy_object(t, p), ...). False (`out`
// unspecified) for what it does not write that way (metadata or tagging
// replaced, an empty key, anything write_signed_request refuses): the
// caller builds the request and signs it the general way.
bool write_signed_copy_object(const target& t, const copy_object_params& p, sigv4::signer& signer,
                              const credentials& creds, const sigv4::signing_params& params,
                              std::string_view user_agent, std::string& out);
// A 200 whose body is an <Error> document is an error (CopyObject can fail
// after the status line was sent). The body is read by scan_copy_object when
// it takes it, else by the XML document parser (parse_copy_object_document):
// the same result either way.
std::error_code parse_copy_object(const http_response& resp, copy_object_result& out, diagnostics& diag);
std::error_code parse_copy_object_document(const http_response& resp, copy_object_result& out,
                                           diagnostics& diag);
// The fast path, once per copied object: a <CopyObjectResult> in the plain
// shape S3 sends, with an ETag, read without building a document (etag and
// last_modified). false (out empty): it declines, and the document parser
// reads the body — an <Error>, any other shape, and every body it would
// reject are its to judge.
bool scan_copy_object(std::string_view body, copy_object_result& out);

// ---- DeleteObjects ------------------------------------------------------

struct object_identifier {
    std::string key;
    std::string version_id;  // optional
    // Optional: delete only if the object still has this ETag (a conditional
    // delete; S3 answers PreconditionFailed for the key otherwise). Quotes added.
    std::string etag;
};
struct delete_objects_params {
    std::vector<object_identifier> objects;  // 1..1000
    bool quiet = true;
};
struct deleted_object {
    std::string key;
    std::string version_id;
    bool delete_marker = false;
    std::string delete_marker_version_id;
};
struct delete_error {
    std::string key;
    std::string version_id;
    std::string code;
    std::string message;
};
struct delete_objects_result {
    std::vector<deleted_object> deleted;
    std::vector<delete_error> errors;
};
constexpr std::size_t max_delete_objects = 1000;
// POST /?delete with an XML body built by pugixml (keys escaped), and
// Content-MD5. Returns invalid_argument (via ec) for 0 or >1000 objects.
http_request build_delete_objects(const target& t, const delete_objects_params& p, std::error_code& ec);
// As above, and on error diag.key names the offending key and diag.detail
// says why it cannot be sent (count, empty key, invalid UTF-8, or a
// character XML 1.0 cannot carry).
http_request build_delete_objects(const target& t, const delete_objects_params& p, std::error_code& ec,
                                  diagnostics& diag);
std::error_code parse_delete_objects(const http_response& resp, delete_objects_result& out,
                                     diagnostics& diag);

// ---- DeleteObject (one key, in the URL) ---------------------------------

// DELETE /<key>[?versionId=] [If-Match]. For keys that the DeleteObjects XML
// body cannot carry (characters XML 1.0 forbids): the key travels in the URL.
http_request build_delete_object(const target& t, const object_identifier& o);
std::error_code parse_delete_object(const http_response& resp, diagnostics& diag);
// Whether DeleteObjects can carry a key: non-empty, valid UTF-8, and only
// characters XML 1.0 allows.
bool xml_can_carry_key(std::string_view key);

// ---- PutObject ----------------------------------------------------------

struct put_object_params {
    std::string key;
    std::string body;
    std::string content_type;
    std::string content_encoding;
    std::vector<http_header> metadata;  // x-amz-meta-<name>
    std::string storage_class;
    std::string tagging;  // "k=v&k2=v2"
};
struct put_object_result {
    std::string etag;
    std::string version_id;
};
http_request build_put_object(const target& t, put_object_params p);
std::error_code parse_put_object(const http_response& resp, put_object_result& out, diagnostics& diag);

// ---- CreateBucket / DeleteBucket ---------------------------------------

struct create_bucket_params {
    // Empty: no CreateBucketConfiguration body (us-east-1, RGW).
    std::string location_constraint;
};
http_request build_create_bucket(const target& t, const create_bucket_params& p);
std::error_code parse_create_bucket(const http_response& resp, diagnostics& diag);

http_request build_delete_bucket(const target& t);
std::error_code parse_delete_bucket(const http_response& resp, diagnostics& diag);

}  // namespace s3merge::s3
