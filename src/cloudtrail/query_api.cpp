// STS GetCallerIdentity and EC2 DescribeRegions: builders, parsers and the
// Query API error shapes. Pure; pugixml through the S3 layer's helpers.
#include "s3merge/cloudtrail/query_api.hpp"

#include <array>

#include "s3/xml_util.hpp"
#include "s3merge/cloudtrail/naming.hpp"
#include "s3merge/s3/ops.hpp"

namespace s3merge::cloudtrail {

namespace {

namespace xml = s3::detail;

struct code_rule {
    std::string_view code;
    errc error;
};

// Codes of STS and EC2 that s3::classify_error does not know. The
// throttling codes (Throttling, RequestLimitExceeded) and the shared ones
// (SignatureDoesNotMatch, ExpiredToken, AccessDenied) are already there.
constexpr std::array query_code_table = {
    code_rule{"InvalidClientTokenId", errc::invalid_access_key},        // STS: unknown access key
    code_rule{"AuthFailure", errc::invalid_access_key},                 // EC2: credentials not validated
    code_rule{"MissingAuthenticationToken", errc::invalid_access_key},  // no or unknown key
    code_rule{"UnauthorizedOperation", errc::access_denied},            // EC2: no permission
    code_rule{"OptInRequired", errc::access_denied},                    // EC2: not subscribed / region off
    code_rule{"IncompleteSignature", errc::signature_mismatch},
    code_rule{"RequestExpired", errc::request_time_skewed},  // EC2: date too far from the server's
    code_rule{"InternalFailure", errc::server_error},
};

std::string_view trim(std::string_view s) {
    constexpr std::string_view ws = " \t\r\n";
    const std::size_t b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string trimmed_child(const pugi::xml_node& parent, std::string_view name, bool* present = nullptr) {
    return std::string(trim(xml::child_text(parent, name, present)));
}

http_request query_request(const s3::target& t, std::string_view action, std::string_view version) {
    http_request req;
    req.method = "GET";
    req.host = t.host_header;
    req.path = "/";
    req.query.push_back({"Action", std::string(action)});
    req.query.push_back({"Version", std::string(version)});
    return req;
}

void request_id_from_headers(const http_response& r, diagnostics& diag) {
    if (!diag.request_id.empty()) return;
    if (const std::string* v = r.find_header("x-amzn-RequestId"))
        diag.request_id = *v;
    else if (const std::string* v2 = r.find_header("x-amz-request-id"))
        diag.request_id = *v2;
}

// Reads an STS <ErrorResponse> or EC2 <Response><Errors> document into diag
// and classifies it. Returns false (diag untouched) for any other root.
bool query_error_document(const pugi::xml_node& root, const http_response& r, diagnostics& diag,
                          std::error_code& ec) {
    pugi::xml_node error;
    std::string request_id;
    if (xml::local_name(root) == "ErrorResponse") {
        error = xml::child(root, "Error");
        request_id = trimmed_child(root, "RequestId");
    } else if (xml::local_name(root) == "Response") {
        error = xml::child(xml::child(root, "Errors"), "Error");
        request_id = trimmed_child(root, "RequestID");
    }
    if (!error) return false;
    diag.http_status = r.status;
    diag.s3_code = trimmed_child(error, "Code");
    diag.message = trimmed_child(error, "Message");
    diag.request_id = request_id;
    diag.host_id.clear();
    request_id_from_headers(r, diag);
    if (diag.s3_code == "RegionDisabledException") {
        if (!diag.detail.empty()) diag.detail += "; ";
        diag.detail +=
            "STS is not activated in this region for the account; activate it in the IAM "
            "console (Account settings) or use another --region";
    }
    ec = classify_query_error(r.status, diag.s3_code);
    return true;
}

bool region_chars_ok(std::string_view name) {
    if (name.empty() || name.size() > 64) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

std::string upper_env_name(std::string_view service) {
    std::string out;
    for (char c : service) {
        if (c >= 'a' && c <= 'z')
            out += static_cast<char>(c - 'a' + 'A');
        else if (c == '-' || c == ' ')
            out += '_';
        else
            out += c;
    }
    return out;
}

}  // namespace

http_request build_get_caller_identity(const s3::target& t) {
    return query_request(t, "GetCallerIdentity", sts_api_version);
}

http_request build_describe_regions(const s3::target& t, bool all_regions) {
    http_request req = query_request(t, "DescribeRegions", ec2_api_version);
    if (all_regions) req.query.push_back({"AllRegions", "true"});
    return req;
}

std::error_code classify_query_error(unsigned http_status, std::string_view code) {
    for (const code_rule& rule : query_code_table)
        if (iequals(rule.code, code)) return make_error_code(rule.error);
    return s3::classify_error(http_status, code);
}

std::error_code check_query_response(const http_response& r, diagnostics& diag) {
    if (r.status >= 200 && r.status < 300) return {};
    if (!r.body.empty()) {
        pugi::xml_document doc;
        std::string why;
        std::error_code ec;
        if (xml::load_xml(r.body, doc, why) && query_error_document(doc.document_element(), r, diag, ec))
            return ec;
    }
    // An S3-style <Error>, a proxy's page or no body: the S3 reading (with a
    // safe excerpt of a foreign body), classified with the Query API codes.
    (void)s3::check_response(r, diag);
    request_id_from_headers(r, diag);
    return classify_query_error(r.status, diag.s3_code);
}

// Loads a 2xx body that must be `<expected_root>`; an error document (either
// shape) is classified, anything else is malformed_response.
std::error_code load_query_result(const http_response& r, std::string_view operation,
                                  std::string_view expected_root, pugi::xml_document& doc,
                                  diagnostics& diag) {
    const std::string op(operation);
    std::string why;
    if (r.body.empty()) return xml::malformed(r, diag, op + " response has an empty body");
    if (!xml::load_xml(r.body, doc, why))
        return xml::malformed(r, diag, op + " response is not well-formed XML: " + why);
    pugi::xml_node root = doc.document_element();
    std::error_code ec;
    if (query_error_document(root, r, diag, ec)) return ec;
    if (xml::local_name(root) == "Error") return xml::error_from_document(root, r, diag);
    if (xml::local_name(root) != expected_root)
        return xml::malformed(r, diag,
                              op + " response has root element <" + std::string(xml::local_name(root)) +
                                  ">, expected <" + std::string(expected_root) + ">");
    return {};
}

std::error_code parse_get_caller_identity(const http_response& r, caller_identity& out, diagnostics& diag) {
    out = caller_identity{};
    if (auto ec = check_query_response(r, diag)) return ec;
    pugi::xml_document doc;
    if (auto ec = load_query_result(r, "GetCallerIdentity", "GetCallerIdentityResponse", doc, diag))
        return ec;
    pugi::xml_node result = xml::child(doc.document_element(), "GetCallerIdentityResult");
    if (!result)
        return xml::malformed(r, diag, "GetCallerIdentity response has no <GetCallerIdentityResult>");
    bool present = false;
    std::string account = trimmed_child(result, "Account", &present);
    if (!present) return xml::malformed(r, diag, "GetCallerIdentity response has no <Account>");
    diagnostics ignored;
    if (validate_account_id(account, ignored))
        return xml::malformed(r, diag,
                              "GetCallerIdentity returned account '" + account.substr(0, 40) +
                                  "', which is not a 12-digit AWS account id");
    out.account = std::move(account);
    out.arn = trimmed_child(result, "Arn");
    out.user_id = trimmed_child(result, "UserId");
    return {};
}

std::error_code parse_describe_regions(const http_response& r, std::vector<region_info>& out,
                                       diagnostics& diag) {
    out.clear();
    if (auto ec = check_query_response(r, diag)) return ec;
    pugi::xml_document doc;
    if (auto ec = load_query_result(r, "DescribeRegions", "DescribeRegionsResponse", doc, diag)) return ec;
    pugi::xml_node info = xml::child(doc.document_element(), "regionInfo");
    if (!info) return xml::malformed(r, diag, "DescribeRegions response has no <regionInfo>");
    std::vector<region_info> regions;
    std::string problem;
    // Only the direct <item> children: each region nests its own
    // <geographySet><item> list, which must not be read as regions.
    xml::for_each_child(info, "item", [&](const pugi::xml_node& item) {
        if (!problem.empty()) return;
        const std::string where = "DescribeRegions response item " + std::to_string(regions.size() + 1);
        bool present = false;
        region_info ri;
        ri.name = trimmed_child(item, "regionName", &present);
        if (!present) {
            problem = where + " has no <regionName>";
            return;
        }
        if (!region_chars_ok(ri.name)) {
            problem = where + " has region name '" + ri.name.substr(0, 40) +
                      "', which is not made of a-z, 0-9 and '-'";
            return;
        }
        ri.endpoint = trimmed_child(item, "regionEndpoint");
        ri.opt_in_status = trimmed_child(item, "optInStatus");
        regions.push_back(std::move(ri));
    });
    if (!problem.empty()) return xml::malformed(r, diag, problem);
    out = std::move(regions);
    return {};
}

std::error_code resolve_query_target(std::string_view service, std::string_view endpoint_url,
                                     std::string_view region, s3::target& out, diagnostics& diag) {
    out = s3::target{};
    if (!region_chars_ok(service)) {
        diag.detail = "service name '" + std::string(service.substr(0, 40)) + "' is not valid";
        return make_error_code(errc::invalid_argument);
    }
    const std::string reg = region.empty() ? std::string("us-east-1") : std::string(region);
    if (!endpoint_url.empty()) {
        s3::endpoint_options opts;
        opts.endpoint_url = std::string(endpoint_url);
        opts.style = s3::addressing_style::path;
        auto ec = s3::resolve_target(opts, reg, "", out, diag);
        // Say which service the endpoint was for: the S3 wording alone would
        // point at --endpoint-url.
        if (ec) diag.detail = upper_env_name(service) + " " + diag.detail;
        return ec;
    }
    if (auto ec = validate_region_name(reg, diag)) return ec;
    out.scheme = "https";
    out.host = s3::default_service_host(service, reg);
    out.port = 443;
    out.host_header = out.host;
    out.region = reg;
    return {};
}

std::string service_endpoint_from_env(std::string_view service,
                                      const std::function<const char*(const char*)>& getenv_fn) {
    if (!getenv_fn) return {};
    auto get = [&](const std::string& name) {
        const char* v = getenv_fn(name.c_str());
        return v ? std::string(v) : std::string();
    };
    std::string ignore = get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
    if (iequals(trim(ignore), "true")) return {};
    if (std::string v = get("AWS_ENDPOINT_URL_" + upper_env_name(service)); !v.empty()) return v;
    return get("AWS_ENDPOINT_URL");
}

}  // namespace s3merge::cloudtrail
