// S3 Batch Operations through the S3 Control API, sans-io: the job's
// manifest (CSV), CreateJob / DescribeJob / UpdateJobStatus requests
// (unsigned; sign them for service "s3") and their parsers, the completion
// report (manifest.json and its CSV files), whether a key mapping can be
// expressed as the service's TargetKeyPrefix, and a cost estimate.
//
// S3 Control: https://{account}.s3-control.{region}.amazonaws.com, path
// /v20180820/jobs..., header x-amz-account-id, XML in the namespace
// http://awss3control.amazonaws.com/doc/2018-08-20/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "s3merge/error.hpp"
#include "s3merge/http_message.hpp"
#include "s3merge/s3/endpoint.hpp"

namespace s3merge::batch {

// Where S3 Control is: the endpoint URL when given (a test's fake), else
// {account}.s3-control.{region}.{suffix}. invalid_argument for an account
// id that is not 12 digits.
std::error_code resolve_control_target(std::string_view endpoint_url, std::string_view region,
                                       std::string_view account, s3::target& out, diagnostics& diag);

// One manifest line, "bucket,key\n", the key URL-encoded as the service
// requires (every byte but A-Z a-z 0-9 - _ . ~ and '/' as %XX).
void append_manifest_line(std::string& out, std::string_view bucket, std::string_view key);

// S3PutObjectCopy writes TargetKeyPrefix + "/" + the source key (or the
// source key itself without one): it can add a prefix, never remove one.
// True with the prefix (without its '/') when dest key = dest_prefix +
// (key - src_prefix) is that; false otherwise.
bool target_key_prefix_for(std::string_view src_prefix, std::string_view dest_prefix, std::string& out);

struct create_job_params {
    std::string account;
    std::string client_request_token;  // at most 64 characters: a retried submit finds the same job
    bool confirmation_required = true;
    std::string description;
    std::string manifest_arn;   // arn:aws:s3:::bucket/key
    std::string manifest_etag;  // the uploaded manifest's ETag (unquoted)
    std::string target_bucket;  // the destination bucket
    std::string target_key_prefix;
    std::string storage_class;
    std::string report_bucket;  // the completion report's bucket
    std::string report_prefix;
    int priority = 10;
    std::string role_arn;
};

http_request build_create_job(const s3::target& t, const create_job_params& p);
// <CreateJobResult><JobId>. Errors: S3 Control's <ErrorResponse><Error>
// (or a bare <Error>) with Code and Message, classified as S3's are.
std::error_code parse_create_job(const http_response& r, std::string& job_id, diagnostics& diag);

struct job_status {
    std::string job_id;
    std::string status;  // New Preparing Suspended Ready Active Pausing Paused Complete Cancelling Cancelled
                         // Failing Failed
    std::uint64_t total = 0, succeeded = 0, failed = 0;
    std::string report_bucket, report_prefix;                          // from the job's Report
    std::vector<std::pair<std::string, std::string>> failure_reasons;  // (code, reason)
    // The job is over: Complete, Failed or Cancelled.
    bool finished() const { return status == "Complete" || status == "Failed" || status == "Cancelled"; }
};

http_request build_describe_job(const s3::target& t, std::string_view account, std::string_view job_id);
std::error_code parse_describe_job(const http_response& r, job_status& out, diagnostics& diag);

// POST /v20180820/jobs/{id}/status?requestedJobStatus=Ready|Cancelled.
http_request build_update_job_status(const s3::target& t, std::string_view account, std::string_view job_id,
                                     std::string_view requested);
std::error_code parse_update_job_status(const http_response& r, std::string& status, diagnostics& diag);

// The completion report: {prefix}/job-{id}/manifest.json lists CSV files by
// TaskExecutionStatus; each CSV line is bucket,key(URL-encoded),versionId,
// taskStatus,errorCode,httpStatusCode,resultMessage (RFC 4180 quoting).
struct report_file {
    std::string status;  // "succeeded" / "failed"
    std::string bucket, key;
};
std::error_code parse_report_manifest(std::string_view json, std::vector<report_file>& out,
                                      diagnostics& diag);

struct task_result {
    std::string bucket, key, version_id;
    bool succeeded = false;
    std::string error_code, http_status, message;
};
// Appends the tasks of one CSV file; malformed_response naming the line.
std::error_code parse_report_csv(std::string_view csv, std::vector<task_result>& out, diagnostics& diag);

// What a Batch Operations copy job costs, at us-east-1 list prices as
// published (an estimate: $0.25 a job, $1.00 per million objects processed,
// $0.005 per 1,000 COPY requests, $0.0004 per 1,000 GET of the manifest's
// bytes is negligible and left out).
struct cost_estimate {
    double job_fee = 0, object_fee = 0, request_fee = 0;
    double total() const { return job_fee + object_fee + request_fee; }
};
cost_estimate estimate_cost(std::uint64_t objects, std::uint64_t jobs);

}  // namespace s3merge::batch
