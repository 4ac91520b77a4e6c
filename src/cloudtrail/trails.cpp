// CloudTrail DescribeTrails (JSON 1.1): builder, parser, JSON error answers.
#include "s3merge/cloudtrail/trails.hpp"

#include <simdjson.h>

#include <set>

#include "engine/json_writer.hpp"
#include "s3merge/cloudtrail/query_api.hpp"

namespace s3merge::cloudtrail {

namespace {

std::error_code malformed(diagnostics& diag, std::string detail) {
    diag.detail = std::move(detail);
    return make_error_code(errc::malformed_response);
}

void request_id(const http_response& r, diagnostics& diag) {
    if (const std::string* v = r.find_header("x-amzn-RequestId")) diag.request_id = *v;
}

}  // namespace

namespace {

// A JSON 1.1 call: POST / with the operation in X-Amz-Target.
http_request json_request(const s3::target& t, std::string_view target, std::string body) {
    http_request req;
    req.method = "POST";
    req.host = t.host_header;
    req.path = "/";
    req.set_header("X-Amz-Target", std::string(target));
    req.set_header("Content-Type", "application/x-amz-json-1.1");
    req.body = std::move(body);
    return req;
}

}  // namespace

http_request build_describe_trails(const s3::target& t) {
    return json_request(t, describe_trails_target, "{\"includeShadowTrails\":true}");
}

http_request build_list_public_keys(const s3::target& t, std::string_view next_token) {
    std::string body = "{}";
    if (!next_token.empty()) {
        body = "{\"NextToken\":";
        engine::append_json_string(body, next_token);
        body += "}";
    }
    return json_request(t, list_public_keys_target, std::move(body));
}

std::error_code check_json_response(const http_response& r, diagnostics& diag) {
    if (r.status >= 200 && r.status < 300) return {};
    diag.http_status = r.status;
    request_id(r, diag);
    std::string code;
    if (const std::string* t = r.find_header("x-amzn-ErrorType")) code = t->substr(0, t->find(':'));
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    if (p.parse(r.body.data(), r.body.size()).get(doc) == simdjson::SUCCESS) {
        std::string_view v;
        if (code.empty() && doc["__type"].get_string().get(v) == simdjson::SUCCESS) code = std::string(v);
        if (doc["message"].get_string().get(v) == simdjson::SUCCESS ||
            doc["Message"].get_string().get(v) == simdjson::SUCCESS)
            diag.message = std::string(v.substr(0, 300));
    }
    if (auto hash = code.rfind('#'); hash != std::string::npos) code = code.substr(hash + 1);
    diag.s3_code = code;
    if (code == "AccessDeniedException") return make_error_code(errc::access_denied);
    if (code == "UnrecognizedClientException") return make_error_code(errc::invalid_access_key);
    if (code == "InvalidSignatureException") return make_error_code(errc::signature_mismatch);
    return classify_query_error(r.status, code);
}

std::error_code parse_describe_trails(const http_response& r, std::vector<trail>& out, diagnostics& diag) {
    out.clear();
    if (auto ec = check_json_response(r, diag)) return ec;
    request_id(r, diag);
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    simdjson::dom::array list;
    if (p.parse(r.body.data(), r.body.size()).get(doc) != simdjson::SUCCESS)
        return malformed(diag, "DescribeTrails answered something that is not JSON");
    if (doc["trailList"].get_array().get(list) != simdjson::SUCCESS)
        return malformed(diag, "DescribeTrails answered without a trailList array");
    for (simdjson::dom::element e : list) {
        trail t;
        std::string_view v;
        bool b = false;
        if (e["Name"].get_string().get(v) == simdjson::SUCCESS) t.name = std::string(v);
        if (e["TrailARN"].get_string().get(v) == simdjson::SUCCESS) t.arn = std::string(v);
        if (e["HomeRegion"].get_string().get(v) == simdjson::SUCCESS) t.home_region = std::string(v);
        if (e["S3BucketName"].get_string().get(v) == simdjson::SUCCESS) t.bucket = std::string(v);
        if (e["S3KeyPrefix"].get_string().get(v) == simdjson::SUCCESS) t.key_prefix = std::string(v);
        while (t.key_prefix.ends_with('/')) t.key_prefix.pop_back();
        if (e["IsMultiRegionTrail"].get_bool().get(b) == simdjson::SUCCESS) t.multi_region = b;
        if (e["IsOrganizationTrail"].get_bool().get(b) == simdjson::SUCCESS) t.organization = b;
        if (t.name.empty()) {
            out.clear();  // a parser that fails leaves no result
            return malformed(diag, "DescribeTrails answered a trail without a Name");
        }
        // A trail that does not log to S3 (possible for a trail being set
        // up) is not a source or destination: kept with an empty bucket.
        if (t.arn.empty()) t.arn = t.name;
        out.push_back(std::move(t));
    }
    return {};
}

std::vector<trail> unique_trails(const std::vector<trail>& all) {
    std::vector<trail> out;
    std::set<std::string> seen;
    for (const auto& t : all)
        if (seen.insert(t.arn).second) out.push_back(t);
    return out;
}

}  // namespace s3merge::cloudtrail
