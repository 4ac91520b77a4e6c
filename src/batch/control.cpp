// S3 Batch Operations over S3 Control (pure). See include/s3merge/batch/control.hpp.
#include "s3merge/batch/control.hpp"

#include <simdjson.h>

#include <sstream>

#include "s3/xml_util.hpp"
#include "s3merge/uri.hpp"

namespace s3merge::batch {

namespace {

constexpr const char* control_xmlns = "http://awss3control.amazonaws.com/doc/2018-08-20/";

http_request control_request(const s3::target& t, std::string_view account, const char* method,
                             std::string path) {
    http_request req;
    req.method = method;
    req.host = t.host_header;
    req.path = std::move(path);
    req.headers.reserve(12);
    req.headers.push_back({"x-amz-account-id", std::string(account)});
    return req;
}

void text_child(pugi::xml_node parent, const char* name, std::string_view value) {
    parent.append_child(name).append_child(pugi::node_pcdata).set_value(std::string(value).c_str());
}

std::string xml_string(const pugi::xml_document& doc) {
    std::ostringstream out;
    doc.save(out, "", pugi::format_raw | pugi::format_no_declaration);
    return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" + out.str();
}

// S3 Control errors come as <ErrorResponse><Error>...</Error></ErrorResponse>
// (or a bare <Error>): classified as S3's.
std::error_code control_error(const http_response& r, diagnostics& diag) {
    if (r.status >= 200 && r.status < 300) return {};
    pugi::xml_document doc;
    std::string why;
    if (!r.body.empty() && s3::detail::load_xml(r.body, doc, why)) {
        pugi::xml_node root = doc.document_element();
        if (s3::detail::local_name(root) == "ErrorResponse") {
            pugi::xml_node err = s3::detail::child(root, "Error");
            if (err) {
                auto ec = s3::detail::error_from_document(err, r, diag);
                if (diag.request_id.empty()) diag.request_id = s3::detail::child_text(root, "RequestId");
                return ec;
            }
        }
    }
    return s3::check_response(r, diag);
}

bool load_result(const http_response& r, const char* root_name, pugi::xml_document& doc, pugi::xml_node& root,
                 diagnostics& diag, std::error_code& ec) {
    std::string why;
    if (!s3::detail::load_xml(r.body, doc, why) ||
        s3::detail::local_name(doc.document_element()) != std::string_view(root_name)) {
        ec = s3::detail::malformed(
            r, diag,
            std::string("not a ") + root_name + " document" + (why.empty() ? std::string() : ": " + why));
        return false;
    }
    root = doc.document_element();
    return true;
}

bool is_digits(std::string_view s, std::size_t n) {
    if (s.size() != n) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

std::error_code resolve_control_target(std::string_view endpoint_url, std::string_view region,
                                       std::string_view account, s3::target& out, diagnostics& diag) {
    out = s3::target{};
    diag.operation = "S3 Control";
    if (!is_digits(account, 12)) {
        diag.detail = "the account id '" + std::string(account.substr(0, 40)) +
                      "' is not 12 digits; pass --account ID (S3 Batch Operations jobs belong to an account)";
        return make_error_code(errc::invalid_argument);
    }
    const std::string reg = region.empty() ? std::string("us-east-1") : std::string(region);
    s3::endpoint_options opts;
    opts.style = s3::addressing_style::path;
    if (!endpoint_url.empty()) {
        opts.endpoint_url = std::string(endpoint_url);
        auto ec = s3::resolve_target(opts, reg, "", out, diag);
        if (ec) diag.detail = "S3 Control " + diag.detail;
        return ec;
    }
    out.scheme = "https";
    out.host =
        std::string(account) + ".s3-control." + reg + "." + std::string(s3::dns_suffix_for_region(reg));
    out.port = 443;
    out.host_header = out.host;
    out.region = reg;
    return {};
}

void append_manifest_line(std::string& out, std::string_view bucket, std::string_view key) {
    out += bucket;
    out += ',';
    uri::append_encoded(out, key, false);
    out += '\n';
}

bool target_key_prefix_for(std::string_view src_prefix, std::string_view dest_prefix, std::string& out) {
    out.clear();
    // dest key = dest_prefix + (key - src_prefix) must equal T + "/" + key.
    if (!dest_prefix.ends_with(src_prefix)) return false;
    std::string_view head = dest_prefix.substr(0, dest_prefix.size() - src_prefix.size());
    if (head.empty()) return true;
    if (head.back() != '/' || head.size() < 2) return false;
    out = std::string(head.substr(0, head.size() - 1));
    return true;
}

http_request build_create_job(const s3::target& t, const create_job_params& p) {
    auto req = control_request(t, p.account, "POST", "/v20180820/jobs");
    pugi::xml_document doc;
    auto root = doc.append_child("CreateJobRequest");
    root.append_attribute("xmlns") = control_xmlns;
    text_child(root, "AccountId", p.account);
    text_child(root, "ConfirmationRequired", p.confirmation_required ? "true" : "false");
    auto op = root.append_child("Operation").append_child("S3PutObjectCopy");
    text_child(op, "TargetResource", "arn:aws:s3:::" + p.target_bucket);
    if (!p.target_key_prefix.empty()) text_child(op, "TargetKeyPrefix", p.target_key_prefix);
    text_child(op, "MetadataDirective", "COPY");
    if (!p.storage_class.empty()) text_child(op, "StorageClass", p.storage_class);
    auto report = root.append_child("Report");
    text_child(report, "Bucket", "arn:aws:s3:::" + p.report_bucket);
    text_child(report, "Format", "Report_CSV_20180820");
    text_child(report, "Enabled", "true");
    if (!p.report_prefix.empty()) text_child(report, "Prefix", p.report_prefix);
    text_child(report, "ReportScope", "AllTasks");
    text_child(root, "ClientRequestToken", p.client_request_token);
    auto manifest = root.append_child("Manifest");
    auto spec = manifest.append_child("Spec");
    text_child(spec, "Format", "S3BatchOperations_CSV_20180820");
    auto fields = spec.append_child("Fields");
    text_child(fields, "member", "Bucket");
    text_child(fields, "member", "Key");
    auto loc = manifest.append_child("Location");
    text_child(loc, "ObjectArn", p.manifest_arn);
    text_child(loc, "ETag", p.manifest_etag);
    if (!p.description.empty()) text_child(root, "Description", p.description);
    text_child(root, "Priority", std::to_string(p.priority));
    text_child(root, "RoleArn", p.role_arn);
    req.body = xml_string(doc);
    req.headers.push_back({"Content-Type", "application/xml"});
    return req;
}

std::error_code parse_create_job(const http_response& r, std::string& job_id, diagnostics& diag) {
    if (auto ec = control_error(r, diag)) return ec;
    pugi::xml_document doc;
    pugi::xml_node root;
    std::error_code ec;
    if (!load_result(r, "CreateJobResult", doc, root, diag, ec)) return ec;
    job_id = s3::detail::child_text(root, "JobId");
    if (job_id.empty()) return s3::detail::malformed(r, diag, "CreateJobResult without a JobId");
    return {};
}

http_request build_describe_job(const s3::target& t, std::string_view account, std::string_view job_id) {
    return control_request(t, account, "GET", "/v20180820/jobs/" + std::string(job_id));
}

std::error_code parse_describe_job(const http_response& r, job_status& out, diagnostics& diag) {
    if (auto ec = control_error(r, diag)) return ec;
    pugi::xml_document doc;
    pugi::xml_node root;
    std::error_code ec;
    if (!load_result(r, "DescribeJobResult", doc, root, diag, ec)) return ec;
    pugi::xml_node job = s3::detail::child(root, "Job");
    if (!job) return s3::detail::malformed(r, diag, "DescribeJobResult without a Job");
    out = job_status{};
    out.job_id = s3::detail::child_text(job, "JobId");
    out.status = s3::detail::child_text(job, "Status");
    if (out.status.empty()) return s3::detail::malformed(r, diag, "a Job without a Status");
    if (pugi::xml_node ps = s3::detail::child(job, "ProgressSummary")) {
        (void)s3::detail::parse_u64(s3::detail::child_text(ps, "TotalNumberOfTasks"), out.total);
        (void)s3::detail::parse_u64(s3::detail::child_text(ps, "NumberOfTasksSucceeded"), out.succeeded);
        (void)s3::detail::parse_u64(s3::detail::child_text(ps, "NumberOfTasksFailed"), out.failed);
    }
    if (pugi::xml_node rep = s3::detail::child(job, "Report")) {
        std::string arn = s3::detail::child_text(rep, "Bucket");
        if (arn.starts_with("arn:aws:s3:::")) arn.erase(0, 13);
        out.report_bucket = arn;
        out.report_prefix = s3::detail::child_text(rep, "Prefix");
    }
    if (pugi::xml_node fr = s3::detail::child(job, "FailureReasons"))
        s3::detail::for_each_child(fr, "JobFailure", [&](const pugi::xml_node& f) {
            out.failure_reasons.emplace_back(s3::detail::child_text(f, "FailureCode"),
                                             s3::detail::child_text(f, "FailureReason"));
        });
    return {};
}

http_request build_update_job_status(const s3::target& t, std::string_view account, std::string_view job_id,
                                     std::string_view requested) {
    auto req = control_request(t, account, "POST", "/v20180820/jobs/" + std::string(job_id) + "/status");
    req.query.push_back({"requestedJobStatus", std::string(requested)});
    return req;
}

std::error_code parse_update_job_status(const http_response& r, std::string& status, diagnostics& diag) {
    if (auto ec = control_error(r, diag)) return ec;
    pugi::xml_document doc;
    pugi::xml_node root;
    std::error_code ec;
    if (!load_result(r, "UpdateJobStatusResult", doc, root, diag, ec)) return ec;
    status = s3::detail::child_text(root, "Status");
    return {};
}

std::error_code parse_report_manifest(std::string_view json, std::vector<report_file>& out,
                                      diagnostics& diag) {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(json);
    simdjson::dom::element root;
    simdjson::dom::array results;
    auto bad = [&](std::string what) {
        diag.operation = "completion report";
        diag.detail = "the job's completion report manifest is not as documented: " + what;
        return make_error_code(errc::malformed_response);
    };
    if (parser.parse(padded).get(root) != simdjson::SUCCESS) return bad("not JSON");
    std::string_view format;
    if (root["Format"].get_string().get(format) != simdjson::SUCCESS || format != "Report_CSV_20180820")
        return bad("Format is not Report_CSV_20180820");
    if (root["Results"].get_array().get(results) != simdjson::SUCCESS) return bad("no Results array");
    for (auto e : results) {
        std::string_view status, bucket, key;
        if (e["TaskExecutionStatus"].get_string().get(status) != simdjson::SUCCESS ||
            e["Bucket"].get_string().get(bucket) != simdjson::SUCCESS ||
            e["Key"].get_string().get(key) != simdjson::SUCCESS)
            return bad("a Result without TaskExecutionStatus, Bucket and Key");
        out.push_back({std::string(status), std::string(bucket), std::string(key)});
    }
    return {};
}

std::error_code parse_report_csv(std::string_view csv, std::vector<task_result>& out, diagnostics& diag) {
    std::size_t line_no = 0;
    while (!csv.empty()) {
        ++line_no;
        // One record: fields split at commas, "..." quoted with "" for a quote.
        std::vector<std::string> fields(1);
        bool quoted = false, at_start = true;
        std::size_t i = 0;
        for (; i < csv.size(); ++i) {
            char c = csv[i];
            if (quoted) {
                if (c == '"' && i + 1 < csv.size() && csv[i + 1] == '"') {
                    fields.back() += '"';
                    ++i;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    fields.back() += c;
                }
                continue;
            }
            if (c == '"' && at_start) {
                quoted = true;
                at_start = false;
            } else if (c == ',') {
                fields.emplace_back();
                at_start = true;
            } else if (c == '\n' || c == '\r') {
                break;
            } else {
                fields.back() += c;
                at_start = false;
            }
        }
        if (quoted) {
            diag.operation = "completion report";
            diag.detail = "line " + std::to_string(line_no) + ": an unterminated quoted field";
            return make_error_code(errc::malformed_response);
        }
        while (i < csv.size() && (csv[i] == '\n' || csv[i] == '\r')) ++i;
        csv.remove_prefix(i);
        if (fields.size() == 1 && fields[0].empty()) continue;  // a blank line
        if (fields.size() < 4) {
            diag.operation = "completion report";
            diag.detail =
                "line " + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                " fields, not bucket,key,versionId,taskStatus,errorCode,httpStatusCode,resultMessage";
            return make_error_code(errc::malformed_response);
        }
        fields.resize(std::max<std::size_t>(fields.size(), 7));
        task_result t;
        t.bucket = std::move(fields[0]);
        t.key = uri::decode(fields[1]);
        t.version_id = std::move(fields[2]);
        t.succeeded = fields[3] == "succeeded";
        // The documented schema says ErrorCode, HTTPStatusCode; reports (and
        // the documentation's own examples) write the status code first:
        // the one that is a number is the status.
        const bool status_first =
            !fields[4].empty() && fields[4].find_first_not_of("0123456789") == std::string::npos;
        t.http_status = std::move(fields[status_first ? 4 : 5]);
        t.error_code = std::move(fields[status_first ? 5 : 4]);
        t.message = std::move(fields[6]);
        out.push_back(std::move(t));
    }
    return {};
}

cost_estimate estimate_cost(std::uint64_t objects, std::uint64_t jobs) {
    cost_estimate c;
    c.job_fee = 0.25 * double(jobs);
    c.object_fee = 1.00 * double(objects) / 1e6;
    c.request_fee = 0.005 * double(objects) / 1000.0;
    return c;
}

}  // namespace s3merge::batch
