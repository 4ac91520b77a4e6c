// The fuzz targets' bodies, shared by the libFuzzer entry points
// (fuzz_main.cpp, built by tests/fuzz/run with clang) and by the unit test
// that replays every seed and regression input (test_fuzz_inputs.cpp), so
// the inputs a fuzzer once broke stay checked in every build.
//
// Each target feeds arbitrary bytes to one parser and checks what must hold
// whatever the input: no crash, no hang, and the parser's own promises
// (an error leaves a described diagnostics; a round trip returns the input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "s3merge/aws/config.hpp"
#include "s3merge/cloudtrail/query_api.hpp"
#include "s3merge/cloudtrail/trails.hpp"
#include "s3merge/engine/journal.hpp"
#include "s3merge/s3/multipart.hpp"
#include "s3merge/s3/ops.hpp"
#include "s3merge/s3/versions.hpp"
#include "s3merge/credentials.hpp"
#include "s3merge/uri.hpp"

namespace s3merge::fuzz {

// A promise broken: abort, so that libFuzzer keeps the input (and a unit
// test run fails loudly).
inline void require(bool ok) {
    if (!ok) std::abort();
}

inline http_response as_response(std::string_view body, unsigned status = 200) {
    http_response r;
    r.status = status;
    r.body = std::string(body);
    r.headers.push_back({"Content-Type", "application/xml"});
    return r;
}

// Every S3 XML parser, on the same bytes, as a 200 answer and as an error.
inline int s3_xml(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    for (unsigned status : {200u, 403u, 503u}) {
        auto resp = as_response(text, status);
        diagnostics d;
        {
            s3::list_objects_v2_result out;
            auto ec = s3::parse_list_objects_v2(resp, out, d);
            require(!ec || !d.to_string().empty());
            // The scan takes a page only when the document parser reads
            // it to the same result.
            s3::list_objects_v2_result scanned, parsed;
            diagnostics pd;
            if (status == 200 && s3::scan_list_objects_v2(text, scanned))
                require(!s3::parse_list_objects_v2_document(resp, parsed, pd) && scanned == parsed);
        }
        {
            s3::delete_objects_result out;
            (void)s3::parse_delete_objects(resp, out, d);
        }
        {
            s3::copy_object_result out;
            auto ec = s3::parse_copy_object(resp, out, d);
            require(ec || !out.etag.empty());  // a success always carries the copy's ETag
            // The scan takes a result only when the document parser reads
            // it to the same result.
            s3::copy_object_result scanned, parsed;
            diagnostics pd;
            if (status == 200 && s3::scan_copy_object(text, scanned)) {
                require(!s3::parse_copy_object_document(resp, parsed, pd));
                scanned.version_id = parsed.version_id;
                scanned.source_version_id = parsed.source_version_id;
                require(scanned == parsed);
            }
        }
        {
            s3::list_object_versions_result out;
            (void)s3::parse_list_object_versions(resp, out, d);
        }
        {
            s3::get_bucket_versioning_result out;
            (void)s3::parse_get_bucket_versioning(resp, out, d);
        }
        {
            s3::list_multipart_uploads_result out;
            (void)s3::parse_list_multipart_uploads(resp, out, d);
        }
        {
            s3::create_multipart_upload_result out;
            (void)s3::parse_create_multipart_upload(resp, out, d);
        }
        {
            s3::upload_part_copy_result out;
            (void)s3::parse_upload_part_copy(resp, out, d);
        }
        {
            s3::complete_multipart_upload_result out;
            (void)s3::parse_complete_multipart_upload(resp, out, d);
        }
        {
            s3::get_object_tagging_result out;
            (void)s3::parse_get_object_tagging(resp, out, d);
        }
        (void)s3::check_response(resp, d);
        {
            cloudtrail::caller_identity out;
            auto ec = cloudtrail::parse_get_caller_identity(resp, out, d);
            require(ec || out.account.size() == 12);
        }
        {
            std::vector<cloudtrail::region_info> out;
            (void)cloudtrail::parse_describe_regions(resp, out, d);
        }
        {
            s3::list_buckets_result out;
            auto ec = s3::parse_list_buckets(resp, out, d);
            for (const auto& n : out.names) require(!ec && !n.empty());  // an error leaves no names
        }
        {
            // DescribeTrails speaks JSON: the same bytes, as JSON 1.1 answers.
            std::vector<cloudtrail::trail> out;
            auto ec = cloudtrail::parse_describe_trails(resp, out, d);
            for (const auto& t : out) require(!ec && !t.name.empty() && !t.key_prefix.ends_with('/'));
        }
    }
    return 0;
}

// The journal decoder: never crashes; what it accepts re-encodes to a
// journal that decodes to the same value.
inline int journal(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    engine::journal j;
    diagnostics d;
    if (engine::decode_journal(text, "", j, d)) {
        require(!d.detail.empty());
        return 0;
    }
    engine::journal back;
    diagnostics d2;
    require(!engine::decode_journal(engine::encode_journal(j), "", back, d2));
    require(back == j);
    return 0;
}

// The shared config/credentials file parser (profile files).
inline int ini(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    aws::ini_file out;
    diagnostics d;
    if (aws::parse_ini(text, out, d)) require(!d.detail.empty() || !d.to_string().empty());
    return 0;
}

// The URI encoder: only unreserved bytes and %XX (upper-case hex) come
// out, decoding gives the input back, and the canonical URI keeps every '/'.
inline int uri(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto upper_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
    for (bool slash : {true, false}) {
        std::string enc = uri::encode(text, slash);
        for (std::size_t i = 0; i < enc.size(); ++i) {
            char c = enc[i];
            if (c == '%') {
                require(i + 2 < enc.size() && upper_hex(enc[i + 1]) && upper_hex(enc[i + 2]));
                i += 2;
                continue;
            }
            bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                              c == '-' || c == '.' || c == '_' || c == '~' || (!slash && c == '/');
            require(unreserved);
        }
        require(uri::decode(enc) == text);
    }
    std::string canon = uri::canonical_path(text);
    std::size_t slashes_in = 0, slashes_out = 0;
    for (char c : text) slashes_in += c == '/';
    for (char c : canon) slashes_out += c == '/';
    require(!canon.empty() && canon.front() == '/');
    require(slashes_out == slashes_in + (text.empty() || text.front() != '/' ? 1 : 0));
    return 0;
}

}  // namespace s3merge::fuzz
