// S3 Batch Operations over S3 Control: requests against the documented
// shapes, responses and completion reports as the documentation shows them.
#include <doctest/doctest.h>

#include <ostream>

#include <pugixml.hpp>

#include "s3merge/batch/control.hpp"
#include "s3merge/uri.hpp"

using namespace s3merge;
using namespace s3merge::batch;

namespace {

const std::string* header(const http_request& r, std::string_view name) {
    for (const auto& h : r.headers)
        if (h.name == name) return &h.value;
    return nullptr;
}

}  // namespace

TEST_CASE("S3 Control: the account's endpoint, or a given one") {
    s3::target t;
    diagnostics d;
    REQUIRE_FALSE(resolve_control_target("", "eu-west-1", "123456789012", t, d));
    CHECK(t.host == "123456789012.s3-control.eu-west-1.amazonaws.com");
    CHECK(t.tls());
    CHECK(t.region == "eu-west-1");
    REQUIRE_FALSE(resolve_control_target("", "cn-north-1", "123456789012", t, d));
    CHECK(t.host == "123456789012.s3-control.cn-north-1.amazonaws.com.cn");
    REQUIRE_FALSE(resolve_control_target("http://127.0.0.1:9000", "us-east-1", "123456789012", t, d));
    CHECK(t.host == "127.0.0.1");
    CHECK(t.port == 9000);
    CHECK(resolve_control_target("", "us-east-1", "12345", t, d) == errc::invalid_argument);
    CHECK(d.detail.find("--account") != std::string::npos);
}

TEST_CASE("manifest lines: bucket,key with the key URL-encoded") {
    std::string m;
    append_manifest_line(m, "src", "AWSLogs/1/CloudTrail/us-east-1/2024/01/02/a.json.gz");
    append_manifest_line(m, "src", "odd key,with+plus/and%percent/日本");
    CHECK(m ==
          "src,AWSLogs/1/CloudTrail/us-east-1/2024/01/02/a.json.gz\n"
          "src,odd%20key%2Cwith%2Bplus/and%25percent/%E6%97%A5%E6%9C%AC\n");
    CHECK(uri::decode("odd%20key%2Cwith%2Bplus/and%25percent/%E6%97%A5%E6%9C%AC") ==
          "odd key,with+plus/and%percent/日本");
}

TEST_CASE("key mappings the service can do: adding a prefix, never removing one") {
    std::string p;
    CHECK(target_key_prefix_for("", "", p));
    CHECK(p.empty());
    CHECK(target_key_prefix_for("", "archive/", p));
    CHECK(p == "archive");
    CHECK(target_key_prefix_for("AWSLogs/1/CloudTrail/us-east-1/", "AWSLogs/1/CloudTrail/us-east-1/", p));
    CHECK(p.empty());
    CHECK(target_key_prefix_for("AWSLogs/", "old/AWSLogs/", p));
    CHECK(p == "old");
    CHECK_FALSE(target_key_prefix_for("a/", "b/", p));     // removes a/
    CHECK_FALSE(target_key_prefix_for("", "archive", p));  // no '/': the service adds one
    CHECK_FALSE(target_key_prefix_for("a/", "xa/", p));    // "x" + "a/": no '/' between
}

TEST_CASE("CreateJob: the documented request for an S3PutObjectCopy job") {
    s3::target t;
    diagnostics d;
    REQUIRE_FALSE(resolve_control_target("", "us-east-1", "123456789012", t, d));
    create_job_params p;
    p.account = "123456789012";
    p.client_request_token = "tok-1";
    p.confirmation_required = false;
    p.description = "s3merge copy";
    p.manifest_arn = "arn:aws:s3:::manifests/jobs/m1.csv";
    p.manifest_etag = "abc123";
    p.target_bucket = "dest";
    p.target_key_prefix = "archive";
    p.report_bucket = "reports";
    p.report_prefix = "s3merge";
    p.priority = 42;
    p.role_arn = "arn:aws:iam::123456789012:role/batch";
    auto req = build_create_job(t, p);
    CHECK(req.method == "POST");
    CHECK(req.path == "/v20180820/jobs");
    REQUIRE(header(req, "x-amz-account-id"));
    CHECK(*header(req, "x-amz-account-id") == "123456789012");
    pugi::xml_document doc;
    REQUIRE(doc.load_string(req.body.c_str()));
    auto root = doc.child("CreateJobRequest");
    CHECK(std::string(root.attribute("xmlns").value()) ==
          "http://awss3control.amazonaws.com/doc/2018-08-20/");
    CHECK(std::string(root.child_value("ConfirmationRequired")) == "false");
    CHECK(std::string(root.child_value("ClientRequestToken")) == "tok-1");
    CHECK(std::string(root.child_value("Priority")) == "42");
    CHECK(std::string(root.child_value("RoleArn")) == "arn:aws:iam::123456789012:role/batch");
    auto copy = root.child("Operation").child("S3PutObjectCopy");
    CHECK(std::string(copy.child_value("TargetResource")) == "arn:aws:s3:::dest");
    CHECK(std::string(copy.child_value("TargetKeyPrefix")) == "archive");
    auto spec = root.child("Manifest").child("Spec");
    CHECK(std::string(spec.child_value("Format")) == "S3BatchOperations_CSV_20180820");
    auto member = spec.child("Fields").child("member");
    CHECK(std::string(member.child_value()) == "Bucket");
    CHECK(std::string(member.next_sibling("member").child_value()) == "Key");
    CHECK(std::string(root.child("Manifest").child("Location").child_value("ObjectArn")) == p.manifest_arn);
    CHECK(std::string(root.child("Manifest").child("Location").child_value("ETag")) == "abc123");
    auto rep = root.child("Report");
    CHECK(std::string(rep.child_value("Bucket")) == "arn:aws:s3:::reports");
    CHECK(std::string(rep.child_value("Format")) == "Report_CSV_20180820");
    CHECK(std::string(rep.child_value("ReportScope")) == "AllTasks");
}

TEST_CASE("CreateJob and DescribeJob answers, and S3 Control's errors") {
    http_response ok;
    ok.status = 200;
    ok.body =
        R"(<?xml version="1.0" encoding="UTF-8"?><CreateJobResult><JobId>8c4b5a3e-job</JobId></CreateJobResult>)";
    std::string id;
    diagnostics d;
    REQUIRE_FALSE(parse_create_job(ok, id, d));
    CHECK(id == "8c4b5a3e-job");

    http_response err;
    err.status = 400;
    err.body =
        "<ErrorResponse><Error><Code>InvalidRequest</Code><Message>Invalid role ARN</Message></Error>"
        "<RequestId>R1</RequestId></ErrorResponse>";
    CHECK(parse_create_job(err, id, d) == errc::invalid_request);
    CHECK(d.s3_code == "InvalidRequest");
    CHECK(d.message == "Invalid role ARN");
    CHECK(d.request_id == "R1");

    http_response desc;
    desc.status = 200;
    desc.body = R"(<DescribeJobResult><Job><JobId>j1</JobId><Status>Complete</Status>
        <ProgressSummary><TotalNumberOfTasks>10</TotalNumberOfTasks><NumberOfTasksSucceeded>9</NumberOfTasksSucceeded>
        <NumberOfTasksFailed>1</NumberOfTasksFailed></ProgressSummary>
        <Report><Bucket>arn:aws:s3:::reports</Bucket><Prefix>s3merge</Prefix></Report>
        <FailureReasons><JobFailure><FailureCode>X</FailureCode><FailureReason>why</FailureReason></JobFailure></FailureReasons>
        </Job></DescribeJobResult>)";
    job_status js;
    REQUIRE_FALSE(parse_describe_job(desc, js, d));
    CHECK(js.job_id == "j1");
    CHECK(js.status == "Complete");
    CHECK(js.finished());
    CHECK((js.total == 10 && js.succeeded == 9 && js.failed == 1));
    CHECK(js.report_bucket == "reports");
    CHECK(js.report_prefix == "s3merge");
    REQUIRE(js.failure_reasons.size() == 1);
    CHECK(js.failure_reasons[0].second == "why");
    desc.body = "<DescribeJobResult><Job><JobId>j1</JobId></Job></DescribeJobResult>";
    CHECK(parse_describe_job(desc, js, d) == errc::malformed_response);

    auto upd = build_update_job_status(s3::target{}, "123456789012", "j1", "Ready");
    CHECK(upd.path == "/v20180820/jobs/j1/status");
    REQUIRE(upd.query.size() == 1);
    CHECK(upd.query[0].name == "requestedJobStatus");
    CHECK(upd.query[0].value == "Ready");
}

TEST_CASE("completion report: the documented manifest.json and result CSVs") {
    const char* manifest =
        R"({"Format":"Report_CSV_20180820","ReportCreationDate":"2019-04-05T17:48:39.725Z","Results":[)"
        R"({"TaskExecutionStatus":"succeeded","Bucket":"my-job-reports","MD5Checksum":"83b1","Key":"job-f8fb/results/6217.csv"},)"
        R"({"TaskExecutionStatus":"failed","Bucket":"my-job-reports","MD5Checksum":"22ee","Key":"job-f8fb/results/b2dd.csv"}],)"
        R"("ReportSchema":"Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage"})";
    std::vector<report_file> files;
    diagnostics d;
    REQUIRE_FALSE(parse_report_manifest(manifest, files, d));
    REQUIRE(files.size() == 2);
    CHECK(files[0].status == "succeeded");
    CHECK(files[1].key == "job-f8fb/results/b2dd.csv");
    CHECK(parse_report_manifest(R"({"Format":"other","Results":[]})", files, d) == errc::malformed_response);

    std::vector<task_result> tasks;
    const char* csv =
        "example-bucket-1,image_14975,,failed,400,InvalidRequest,Task failed due to missing VersionId\n"
        "example-bucket-1,a%20b%2Cc.json,v1,succeeded,200,,Successful\r\n"
        "\n"
        "example-bucket-1,q.json,,failed,AccessDenied,403,\"Access Denied, \"\"really\"\"\"\n";
    REQUIRE_FALSE(parse_report_csv(csv, tasks, d));
    REQUIRE(tasks.size() == 3);
    CHECK_FALSE(tasks[0].succeeded);
    CHECK(tasks[0].http_status == "400");
    CHECK(tasks[0].error_code == "InvalidRequest");
    CHECK(tasks[1].key == "a b,c.json");
    CHECK(tasks[1].succeeded);
    CHECK(tasks[1].version_id == "v1");
    CHECK(tasks[2].error_code == "AccessDenied");
    CHECK(tasks[2].http_status == "403");
    CHECK(tasks[2].message == "Access Denied, \"really\"");
    CHECK(parse_report_csv("b,k\n", tasks, d) == errc::malformed_response);
    CHECK(parse_report_csv("b,k,,failed,\"open\n", tasks, d) == errc::malformed_response);
}

TEST_CASE("cost estimate: job fee, per-object fee and COPY requests") {
    auto c = estimate_cost(2'000'000, 2);
    CHECK(c.job_fee == doctest::Approx(0.50));
    CHECK(c.object_fee == doctest::Approx(2.00));
    CHECK(c.request_fee == doctest::Approx(10.00));
    CHECK(c.total() == doctest::Approx(12.50));
}
