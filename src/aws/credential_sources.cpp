// Requests and answers of the temporary-credential sources. See
// include/s3merge/aws/credential_sources.hpp.
#include "s3merge/aws/credential_sources.hpp"

#include <simdjson.h>

#include <cstdio>

#include "s3/xml_util.hpp"
#include "s3merge/cloudtrail/query_api.hpp"
#include "s3merge/crypto.hpp"
#include "s3merge/uri.hpp"

namespace s3merge::aws {

namespace {

namespace xml = s3::detail;

std::error_code malformed(diagnostics& diag, std::string what) {
    diag.detail = std::move(what);
    return make_error_code(errc::malformed_response);
}

// A form-encoded Query API POST to "/".
http_request query_post(const s3::target& t,
                        std::vector<std::pair<std::string_view, std::string_view>> params) {
    http_request req;
    req.method = "POST";
    req.host = t.host_header;
    req.path = "/";
    for (const auto& [name, value] : params) {
        if (!req.body.empty()) req.body += '&';
        uri::append_encoded(req.body, name);
        req.body += '=';
        uri::append_encoded(req.body, value);
    }
    req.set_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
    return req;
}

// ISO 8601 with "Z", or with a "+00:00" offset as some SDK caches write it.
bool parse_expiration(std::string_view s, sys_time& out) {
    if (parse_iso8601(s, out)) return true;
    if (s.size() > 6 && s.ends_with("+00:00")) {
        std::string z(s.substr(0, s.size() - 6));
        z += 'Z';
        return parse_iso8601(z, out);
    }
    return false;
}

using simdjson::dom::element;
using simdjson::dom::object;

// Reads the key fields of a JSON credentials document. `names`: the field
// names of access key, secret, token, expiration in this shape.
struct json_names {
    std::string_view access, secret, token, expiration;
    bool token_required = true;
    bool expiration_required = true;
};

std::error_code read_json_credentials(object o, const json_names& n, std::string_view what,
                                      temporary_credentials& out, diagnostics& diag) {
    std::string_view v;
    auto field = [&](std::string_view name, std::string& into, bool required) -> bool {
        if (o[name].get_string().get(v) != simdjson::SUCCESS || v.empty()) return !required;
        into = std::string(v);
        return true;
    };
    if (!field(n.access, out.creds.access_key_id, true) ||
        !field(n.secret, out.creds.secret_access_key, true))
        return malformed(
            diag, std::string(what) + " has no " + std::string(n.access) + " or " + std::string(n.secret));
    if (!field(n.token, out.creds.session_token, n.token_required))
        return malformed(diag, std::string(what) + " has no " + std::string(n.token));
    if (n.expiration.empty()) return {};
    if (o[n.expiration].get_string().get(v) == simdjson::SUCCESS) {
        sys_time t;
        if (!parse_expiration(v, t))
            return malformed(
                diag, std::string(what) + ": " + std::string(n.expiration) + " is not an ISO 8601 time");
        out.expiration = t;
    } else if (n.expiration_required) {
        return malformed(diag, std::string(what) + " has no " + std::string(n.expiration));
    }
    return {};
}

std::error_code parse_json_object(std::string_view json, std::string_view what, simdjson::dom::parser& p,
                                  object& o, diagnostics& diag) {
    element doc;
    if (p.parse(json.data(), json.size()).get(doc) != simdjson::SUCCESS ||
        doc.get_object().get(o) != simdjson::SUCCESS)
        return malformed(diag, std::string(what) + " is not a JSON object");
    return {};
}

}  // namespace

http_request build_assume_role(const s3::target& t, const role_step& r, std::string_view session_name,
                               std::string_view mfa_code) {
    std::vector<std::pair<std::string_view, std::string_view>> p{{"Action", "AssumeRole"},
                                                                 {"Version", cloudtrail::sts_api_version},
                                                                 {"RoleArn", r.role_arn},
                                                                 {"RoleSessionName", session_name}};
    const std::string duration = r.duration_seconds > 0 ? std::to_string(r.duration_seconds) : std::string();
    if (!r.external_id.empty()) p.push_back({"ExternalId", r.external_id});
    if (!duration.empty()) p.push_back({"DurationSeconds", duration});
    if (!r.mfa_serial.empty()) {
        p.push_back({"SerialNumber", r.mfa_serial});
        p.push_back({"TokenCode", mfa_code});
    }
    return query_post(t, std::move(p));
}

http_request build_assume_role_with_web_identity(const s3::target& t, const role_step& r,
                                                 std::string_view session_name, std::string_view token) {
    const std::string duration = r.duration_seconds > 0 ? std::to_string(r.duration_seconds) : std::string();
    std::vector<std::pair<std::string_view, std::string_view>> p{{"Action", "AssumeRoleWithWebIdentity"},
                                                                 {"Version", cloudtrail::sts_api_version},
                                                                 {"RoleArn", r.role_arn},
                                                                 {"RoleSessionName", session_name},
                                                                 {"WebIdentityToken", token}};
    if (!duration.empty()) p.push_back({"DurationSeconds", duration});
    return query_post(t, std::move(p));
}

std::error_code parse_sts_credentials(const http_response& r, std::string_view operation,
                                      temporary_credentials& out, diagnostics& diag) {
    out = temporary_credentials{};
    if (auto ec = cloudtrail::check_query_response(r, diag)) return ec;
    pugi::xml_document doc;
    const std::string root_name = std::string(operation) + "Response";
    if (auto ec = cloudtrail::load_query_result(r, operation, root_name, doc, diag)) return ec;
    pugi::xml_node c =
        xml::child(xml::child(doc.document_element(), std::string(operation) + "Result"), "Credentials");
    if (!c) return malformed(diag, std::string(operation) + " response has no <Credentials>");
    out.creds.access_key_id = xml::child_text(c, "AccessKeyId");
    out.creds.secret_access_key = xml::child_text(c, "SecretAccessKey");
    out.creds.session_token = xml::child_text(c, "SessionToken");
    const std::string expiration = xml::child_text(c, "Expiration");
    sys_time t;
    if (out.creds.access_key_id.empty() || out.creds.secret_access_key.empty() ||
        out.creds.session_token.empty() || !parse_expiration(expiration, t)) {
        out = temporary_credentials{};
        return malformed(diag, std::string(operation) +
                                   " response lacks one of AccessKeyId, SecretAccessKey, SessionToken, "
                                   "Expiration (ISO 8601)");
    }
    out.expiration = t;
    return {};
}

std::string default_session_name(sys_time now) {
    return "s3merge-" +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

std::error_code parse_container_credentials(std::string_view json, temporary_credentials& out,
                                            diagnostics& diag) {
    out = temporary_credentials{};
    simdjson::dom::parser p;
    object o;
    if (auto ec = parse_json_object(json, "the container credentials answer", p, o, diag)) return ec;
    auto ec = read_json_credentials(o, {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", true, true},
                                    "the container credentials answer", out, diag);
    if (ec) out = temporary_credentials{};
    return ec;
}

std::error_code parse_imds_credentials(std::string_view json, temporary_credentials& out, diagnostics& diag) {
    out = temporary_credentials{};
    simdjson::dom::parser p;
    object o;
    if (auto ec = parse_json_object(json, "the instance metadata credentials", p, o, diag)) return ec;
    std::string_view code;
    if (o["Code"].get_string().get(code) == simdjson::SUCCESS && code != "Success")
        return malformed(diag, "the instance metadata credentials say Code " +
                                   std::string(code.substr(0, 40)) +
                                   " (the instance profile's role could not be used)");
    auto ec = read_json_credentials(o, {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", true, true},
                                    "the instance metadata credentials", out, diag);
    if (ec) out = temporary_credentials{};
    return ec;
}

std::error_code parse_process_credentials(std::string_view json, temporary_credentials& out,
                                          diagnostics& diag) {
    out = temporary_credentials{};
    simdjson::dom::parser p;
    object o;
    if (auto ec = parse_json_object(json, "the output of credential_process", p, o, diag)) return ec;
    std::int64_t version = 0;
    if (o["Version"].get_int64().get(version) != simdjson::SUCCESS || version != 1)
        return malformed(diag, "the output of credential_process must say \"Version\": 1");
    auto ec = read_json_credentials(
        o, {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", false, false},
        "the output of credential_process", out, diag);
    if (ec) out = temporary_credentials{};
    return ec;
}

std::error_code parse_sso_role_credentials(std::string_view json, temporary_credentials& out,
                                           diagnostics& diag) {
    out = temporary_credentials{};
    simdjson::dom::parser p;
    object o, rc;
    if (auto ec = parse_json_object(json, "the GetRoleCredentials answer", p, o, diag)) return ec;
    if (o["roleCredentials"].get_object().get(rc) != simdjson::SUCCESS)
        return malformed(diag, "the GetRoleCredentials answer has no roleCredentials");
    auto ec = read_json_credentials(rc, {"accessKeyId", "secretAccessKey", "sessionToken", "", true, false},
                                    "the GetRoleCredentials answer", out, diag);
    if (ec) {
        out = temporary_credentials{};
        return ec;
    }
    std::int64_t ms = 0;
    if (rc["expiration"].get_int64().get(ms) != simdjson::SUCCESS || ms <= 0) {
        out = temporary_credentials{};
        return malformed(diag,
                         "the GetRoleCredentials answer has no expiration (milliseconds since the epoch)");
    }
    out.expiration = sys_time(std::chrono::milliseconds(ms));
    return {};
}

std::error_code parse_sso_token(std::string_view json, sso_token& out, diagnostics& diag) {
    out = sso_token{};
    simdjson::dom::parser p;
    object o;
    if (auto ec = parse_json_object(json, "the SSO token cache file", p, o, diag)) return ec;
    std::string_view v;
    if (o["accessToken"].get_string().get(v) != simdjson::SUCCESS || v.empty())
        return malformed(diag, "the SSO token cache file has no accessToken");
    out.access_token = std::string(v);
    if (o["expiresAt"].get_string().get(v) != simdjson::SUCCESS || !parse_expiration(v, out.expires_at)) {
        out = sso_token{};
        return malformed(diag, "the SSO token cache file has no readable expiresAt");
    }
    if (o["startUrl"].get_string().get(v) == simdjson::SUCCESS) out.start_url = std::string(v);
    return {};
}

std::string sso_cache_file_name(std::string_view session_or_start_url) {
    return crypto::sha1_hex(session_or_start_url) + ".json";
}

bool split_command(std::string_view command, std::vector<std::string>& out) {
    out.clear();
    std::string word;
    bool in_word = false;
    for (std::size_t i = 0; i < command.size(); ++i) {
        const char c = command[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            if (in_word) out.push_back(std::move(word));
            word.clear();
            in_word = false;
        } else if (c == '\'') {
            auto end = command.find('\'', i + 1);
            if (end == std::string_view::npos) return false;
            word.append(command.substr(i + 1, end - i - 1));
            i = end;
            in_word = true;
        } else if (c == '"') {
            bool closed = false;
            for (++i; i < command.size(); ++i) {
                if (command[i] == '"') {
                    closed = true;
                    break;
                }
                if (command[i] == '\\' && i + 1 < command.size() &&
                    (command[i + 1] == '"' || command[i + 1] == '\\' || command[i + 1] == '$' ||
                     command[i + 1] == '`')) {
                    word += command[++i];
                } else {
                    word += command[i];
                }
            }
            if (!closed) return false;
            in_word = true;
        } else if (c == '\\') {
            if (i + 1 >= command.size()) return false;
            word += command[++i];
            in_word = true;
        } else {
            word += c;
            in_word = true;
        }
    }
    if (in_word) out.push_back(std::move(word));
    return !out.empty();
}

sys_time refresh_due(sys_time obtained, sys_time expiration) {
    const auto life = expiration - obtained;
    const auto margin = std::chrono::duration_cast<sys_time::duration>(std::chrono::minutes(10));
    if (life <= 2 * margin) return obtained + life / 2;
    return expiration - margin;
}

}  // namespace s3merge::aws
