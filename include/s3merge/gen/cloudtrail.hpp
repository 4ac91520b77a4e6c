// Synthetic CloudTrail log objects, pure and deterministic: object i of a
// (seed, account, region) series always has the same key and content. Keys
// follow CloudTrail's layout:
//   AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
//     <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 hex>.json.gz
// Bodies are gzip'd JSON {"Records":[...]} with unique eventIDs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace s3merge::gen {

struct cloudtrail_series {
    std::string account = "123456789012";
    std::string region = "us-east-1";
    std::string prefix;  // prepended to every key ("" or ending in '/')
    std::uint64_t seed = 1;
    int start_year = 2024, start_month = 1, start_day = 1;
    int files_per_day = 288;  // CloudTrail writes about one file per 5 minutes
    int records_per_file = 4;
};

struct generated_object {
    std::string key;
    std::string body;  // gzip
};

// The i-th object of the series.
generated_object cloudtrail_object(const cloudtrail_series& s, std::uint64_t i);

// CloudTrail's digest files for objects [0, count) of a series: one per hour
// that holds objects, each listing that hour's files with the SHA-256 of
// their uncompressed content, chained to the one before (the first has null
// previous fields), signed SHA256withRSA with `private_key_pem` over the
// documented signing string. Keys:
//   <prefix>AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/
//     <account>_CloudTrail-Digest_<region>_<trail>_<region>_<YYYYMMDDTHH5959Z>.json.gz
struct digest_options {
    std::string bucket;  // where the logs and digests are delivered (named inside each digest)
    std::string trail = "s3merge-test";
    std::string private_key_pem;
};
struct generated_digest {
    std::string key;
    std::string body;           // gzip
    std::string signature_hex;  // for x-amz-meta-signature
};
// False when the key does not parse. public_key_der: the key to verify
// with (PKCS#1); fingerprint: its MD5, hex, as named in the digests.
bool cloudtrail_digests(const cloudtrail_series& s, std::uint64_t count, const digest_options& d,
                        std::vector<generated_digest>& out, std::string& public_key_der,
                        std::string& fingerprint);

// An overlap: what an all-region trail running beside the regional one
// delivered on `days` ("YYYY/MM/DD"): per day one file, under
//   <dest_prefix>AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/
//     <account>_CloudTrail_<region>_<YYYYMMDD>T2359Z_allregion.json.gz
// holding every event of the day's even-numbered regional files and the
// first half of the odd-numbered ones'. The ground truth comes with it.
struct overlap_truth {
    std::uint64_t full_files = 0, partial_files = 0, duplicate_events = 0;
};
std::vector<generated_object> all_region_overlap(const cloudtrail_series& s, std::uint64_t count,
                                                 const std::vector<std::string>& days,
                                                 const std::string& dest_prefix, overlap_truth& truth);

// gzip (RFC 1952) of `data`, deterministic (mtime 0).
std::string gzip(std::string_view data);
// Inflates a gzip member; returns false on corrupt input or if the output
// would exceed max_out.
bool gunzip(std::string_view data, std::string& out, std::size_t max_out = 64u << 20);

}  // namespace s3merge::gen
