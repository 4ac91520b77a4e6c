// Credentials and region resolution, following the AWS CLI v2 (its bundled
// botocore: session.py full_config, credentials.py create_credential_resolver,
// configprovider.py). Pure: everything comes from config_inputs.
//
// Messages name variables, keys, profiles and paths, never a value read
// from a key: diagnostics must not carry a secret or a session token.
#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3merge/aws/config.hpp"
#include "s3merge/ascii.hpp"

namespace s3merge::aws {

namespace {

using section_map = std::map<std::string, std::string>;

std::string_view trim(std::string_view s) {
    const auto blank = [](char c) { return c == ' ' || c == '\t'; };
    while (!s.empty() && blank(s.front())) s.remove_prefix(1);
    while (!s.empty() && blank(s.back())) s.remove_suffix(1);
    return s;
}

// A set, non-empty environment variable (botocore treats "" as unset for
// credentials; we do so everywhere).
const std::string* env_get(const config_inputs& in, const char* name) {
    auto it = in.env.find(name);
    return it == in.env.end() || it->second.empty() ? nullptr : &it->second;
}

const std::string* map_get(const section_map* m, const std::string& key) {
    if (m == nullptr) return nullptr;
    auto it = m->find(key);
    return it == m->end() ? nullptr : &it->second;
}

bool has_value(const section_map* m, const std::string& key) {
    const std::string* v = map_get(m, key);
    return v != nullptr && !v->empty();
}

// The profile a config-file section names: "[default]" and "[profile NAME]"
// ("[profile  NAME]", "[profile \"NAME\"]"); any other section ("[NAME]",
// "[sso-session x]", "[services x]") is not a profile there.
std::optional<std::string> config_profile_name(std::string_view section) {
    if (section == "default") return std::string("default");
    if (!section.starts_with("profile")) return std::nullopt;
    std::string_view rest = section.substr(7);
    if (rest.empty() || (rest.front() != ' ' && rest.front() != '\t')) return std::nullopt;
    rest = trim(rest);
    if (rest.size() >= 2 && (rest.front() == '"' || rest.front() == '\'') && rest.back() == rest.front())
        return std::string(rest.substr(1, rest.size() - 2));
    if (rest.empty() || rest.find_first_of(" \t\"'") != std::string_view::npos) return std::nullopt;
    return std::string(rest);
}

// A "[services NAME]" section of the config file.
const section_map* services_section(const ini_file& cfg, std::string_view name) {
    for (const auto& [section, values] : cfg.sections) {
        std::string_view s = section;
        if (!s.starts_with("services")) continue;
        s.remove_prefix(8);
        if (s.empty() || (s.front() != ' ' && s.front() != '\t')) continue;
        if (trim(s) == name) return &values;
    }
    return nullptr;
}

struct file_profile {
    const section_map* values = nullptr;
    std::string section;  // as written, for messages: "profile prod", "default"
};

// "[profile default]" wins over "[default]" when a file has both (as the
// other AWS SDKs do; botocore takes whichever comes last).
file_profile find_config_profile(const ini_file& cfg, const std::string& profile) {
    file_profile plain_default;
    for (const auto& [section, values] : cfg.sections) {
        auto name = config_profile_name(section);
        if (!name || *name != profile) continue;
        if (section == "default") {
            plain_default = {&values, section};
            continue;
        }
        return {&values, section};
    }
    return plain_default;
}

file_profile find_credentials_profile(const ini_file& creds, const std::string& profile) {
    auto it = creds.sections.find(profile);
    if (it == creds.sections.end()) return {};
    return {&it->second, it->first};
}

// Both files' view of the profile, the credentials file winning key by key
// (botocore's full_config merges the credentials file over the config file).
struct profile_view {
    file_profile cfg;
    file_profile creds;
    std::string config_path;
    std::string credentials_path;

    struct hit {
        const std::string* value = nullptr;
        std::string where;  // "config file PATH [profile x]"
    };
    std::string where_cfg() const { return "config file " + config_path + " [" + cfg.section + "]"; }
    std::string where_creds() const {
        return "credentials file " + credentials_path + " [" + creds.section + "]";
    }

    hit get(const std::string& key) const {
        if (const std::string* v = map_get(creds.values, key)) return {v, where_creds()};
        if (const std::string* v = map_get(cfg.values, key)) return {v, where_cfg()};
        return {};
    }
};

std::error_code fail(diagnostics& diag, errc code, std::string detail) {
    diag.operation = "configuration";
    diag.detail = std::move(detail);
    return make_error_code(code);
}

std::string describe_path(const std::string& path, bool exists) {
    return path + (exists ? "" : " (not found)");
}

// Static keys from one file's profile section. Returns true with `out` set
// when both keys are present; an error when only one is.
std::error_code static_keys(const section_map* values, const std::string& profile, const std::string& where,
                            credentials& out, bool& found, diagnostics& diag) {
    found = false;
    const bool akid = has_value(values, "aws_access_key_id");
    const bool secret = has_value(values, "aws_secret_access_key");
    if (!akid && !secret) return {};
    if (akid != secret)
        return fail(diag, errc::config_error,
                    "profile '" + profile + "' in " + where + " has " +
                        (akid ? "aws_access_key_id but no aws_secret_access_key"
                              : "aws_secret_access_key but no aws_access_key_id") +
                        "; set both");
    out.access_key_id = *map_get(values, "aws_access_key_id");
    out.secret_access_key = *map_get(values, "aws_secret_access_key");
    // botocore's order: the legacy name first.
    if (has_value(values, "aws_security_token"))
        out.session_token = *map_get(values, "aws_security_token");
    else if (has_value(values, "aws_session_token"))
        out.session_token = *map_get(values, "aws_session_token");
    found = true;
    return {};
}

bool has_static_keys(const profile_view& v) {
    // botocore: either key present (a half pair is an error when read).
    for (const char* k : {"aws_access_key_id", "aws_secret_access_key"})
        if (v.get(k).value) return true;
    return false;
}

bool has_role(const profile_view& v) {
    // A profile with web_identity_token_file is web identity, not assume role.
    return v.get("role_arn").value && !v.get("web_identity_token_file").value;
}

// The two files, and any profile's view of them.
struct profile_files {
    const ini_file& creds;
    const ini_file& cfg;
    const config_inputs& in;
    profile_view view(const std::string& name) const {
        return profile_view{find_config_profile(cfg, name), find_credentials_profile(creds, name),
                            in.config_path, in.credentials_path};
    }
    bool exists(const std::string& name) const {
        auto v = view(name);
        return v.cfg.values || v.creds.values;
    }
};

std::string value_or(const profile_view::hit& h) {
    return h.value ? std::string(trim(*h.value)) : std::string();
}

std::error_code role_from(const profile_view& v, const std::string& profile, role_step& r,
                          diagnostics& diag) {
    r.profile = profile;
    r.role_arn = value_or(v.get("role_arn"));
    r.external_id = value_or(v.get("external_id"));
    r.session_name = value_or(v.get("role_session_name"));
    r.mfa_serial = value_or(v.get("mfa_serial"));
    if (auto h = v.get("duration_seconds"); h.value) {
        std::string d(trim(*h.value));
        int n = 0;
        bool ok = !d.empty() && d.size() <= 6 &&
                  std::all_of(d.begin(), d.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (ok) n = std::stoi(d);
        // AWS STS takes 900 and more; other servers may allow shorter
        // sessions: the lower bound is the server's to enforce.
        if (!ok || n < 1 || n > 43200)
            return fail(
                diag, errc::config_error,
                "profile '" + profile + "' in " + h.where +
                    ": duration_seconds must be a number of seconds up to 43200 (AWS STS: 900 or more)");
        r.duration_seconds = n;
    }
    return {};
}

// The profile's own sources, in botocore's ProfileProviderBuilder order:
// web identity, SSO, the credentials file's keys, credential_process, the
// config file's keys. `env_web` lets AWS_WEB_IDENTITY_TOKEN_FILE /
// AWS_ROLE_ARN / AWS_ROLE_SESSION_NAME win over the profile's (not for a
// source profile, nor with --profile).
std::error_code profile_sources(const profile_files& files, const std::string& profile, bool env_web,
                                resolved_config& out, bool& found, diagnostics& diag) {
    found = false;
    const config_inputs& in = files.in;
    auto v = files.view(profile);
    auto& plan = out.plan;
    // Web identity.
    const std::string* env_token = env_web ? env_get(in, "AWS_WEB_IDENTITY_TOKEN_FILE") : nullptr;
    auto token_hit = v.get("web_identity_token_file");
    if (env_token || (token_hit.value && !token_hit.value->empty())) {
        plan.base = credential_source::web_identity;
        plan.token_file = env_token ? *env_token : std::string(trim(*token_hit.value));
        const std::string* env_arn = env_web ? env_get(in, "AWS_ROLE_ARN") : nullptr;
        if (auto ec = role_from(v, profile, plan.web_role, diag)) return ec;
        if (env_arn) plan.web_role.role_arn = *env_arn;
        if (const std::string* n = env_web ? env_get(in, "AWS_ROLE_SESSION_NAME") : nullptr)
            plan.web_role.session_name = *n;
        if (plan.web_role.role_arn.empty())
            return fail(diag, errc::config_error,
                        std::string(env_token ? "AWS_WEB_IDENTITY_TOKEN_FILE is set"
                                              : "profile '" + profile + "' has web_identity_token_file") +
                            " but no role is named: set " +
                            (env_token ? "AWS_ROLE_ARN" : "role_arn in the profile"));
        plan.base_where = env_token ? std::string("web identity (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN)")
                                    : "web identity (" + token_hit.where + ")";
        found = true;
        return {};
    }
    // IAM Identity Center.
    auto sso_session = v.get("sso_session");
    auto sso_url = v.get("sso_start_url");
    if ((sso_session.value && !sso_session.value->empty()) || (sso_url.value && !sso_url.value->empty())) {
        plan.base = credential_source::sso;
        if (sso_session.value && !sso_session.value->empty()) {
            plan.sso_session = std::string(trim(*sso_session.value));
            const section_map* sec = nullptr;
            for (const auto& [name, values] : files.cfg.sections) {
                std::string_view n = name;
                if (!n.starts_with("sso-session")) continue;
                n.remove_prefix(11);
                if (!n.empty() && (n.front() == ' ' || n.front() == '\t') && trim(n) == plan.sso_session)
                    sec = &values;
            }
            if (!sec)
                return fail(diag, errc::config_error,
                            "profile '" + profile + "' names sso_session '" + plan.sso_session +
                                "', but config file " + in.config_path + " has no [sso-session " +
                                plan.sso_session + "] section");
            if (const std::string* u = map_get(sec, "sso_start_url"))
                plan.sso_start_url = std::string(trim(*u));
            if (const std::string* r = map_get(sec, "sso_region")) plan.sso_region = std::string(trim(*r));
        } else {
            plan.sso_start_url = std::string(trim(*sso_url.value));
            plan.sso_region = value_or(v.get("sso_region"));
        }
        plan.sso_account_id = value_or(v.get("sso_account_id"));
        plan.sso_role_name = value_or(v.get("sso_role_name"));
        std::string missing;
        for (auto [key, val] :
             {std::pair<const char*, const std::string*>{"sso_start_url", &plan.sso_start_url},
              {"sso_region", &plan.sso_region},
              {"sso_account_id", &plan.sso_account_id},
              {"sso_role_name", &plan.sso_role_name}})
            if (val->empty()) missing += std::string(missing.empty() ? "" : ", ") + key;
        if (!missing.empty())
            return fail(diag, errc::config_error,
                        "profile '" + profile + "' uses IAM Identity Center (SSO) but lacks " + missing +
                            "; run aws configure sso --profile " + profile);
        plan.base_where = "IAM Identity Center (profile " + profile + ")";
        found = true;
        return {};
    }
    // The credentials file's keys.
    if (auto ec = static_keys(v.creds.values, profile, v.creds.values ? v.where_creds() : "", out.creds,
                              found, diag))
        return ec;
    if (found) {
        plan.base = credential_source::static_keys;
        plan.base_where = v.where_creds();
        return {};
    }
    // credential_process.
    if (auto h = v.get("credential_process"); h.value && !trim(*h.value).empty()) {
        plan.base = credential_source::process;
        plan.process_command = std::string(trim(*h.value));
        plan.base_where = "credential_process (" + h.where + ")";
        found = true;
        return {};
    }
    // The config file's keys.
    if (auto ec =
            static_keys(v.cfg.values, profile, v.cfg.values ? v.where_cfg() : "", out.creds, found, diag))
        return ec;
    if (found) {
        plan.base = credential_source::static_keys;
        plan.base_where = v.where_cfg();
    }
    return {};
}

// Environment keys: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, with
// AWS_SESSION_TOKEN (the legacy AWS_SECURITY_TOKEN first, as botocore).
std::error_code env_keys(const config_inputs& in, resolved_config& out, bool& found, diagnostics& diag) {
    found = false;
    const std::string* akid = env_get(in, "AWS_ACCESS_KEY_ID");
    const std::string* secret = env_get(in, "AWS_SECRET_ACCESS_KEY");
    if ((akid == nullptr) != (secret == nullptr)) {
        const char* set = akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
        const char* missing = akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
        return fail(diag, errc::config_error,
                    std::string(set) + " is set but " + missing + " is not; set both, or unset " + set +
                        " to use a profile");
    }
    if (akid == nullptr) return {};
    out.creds.access_key_id = *akid;
    out.creds.secret_access_key = *secret;
    out.plan.base = credential_source::static_keys;
    out.plan.base_where = "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY";
    for (const char* token_var : {"AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"}) {
        if (const std::string* token = env_get(in, token_var)) {
            out.creds.session_token = *token;
            out.plan.base_where += std::string(", ") + token_var;
            break;
        }
    }
    out.plan.base_where += ')';
    found = true;
    return {};
}

// A host the SDKs let a container credentials URL name over plain HTTP:
// loopback, the ECS (169.254.170.2) and EKS Pod Identity (169.254.170.23,
// fd00:ec2::23) agents.
bool allowed_container_host(std::string_view host) {
    if (host == "localhost" || host == "169.254.170.2" || host == "169.254.170.23" ||
        host == "[fd00:ec2::23]" || host == "[::1]")
        return true;
    return host.starts_with("127.");
}

// Container credentials from the environment (ECS task roles, EKS Pod Identity).
std::error_code container_settings(const config_inputs& in, credential_plan& plan, bool& found,
                                   diagnostics& diag) {
    found = false;
    if (const std::string* rel = env_get(in, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
        plan.container_url = "http://169.254.170.2" + (rel->starts_with("/") ? *rel : "/" + *rel);
        plan.base_where = "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI)";
    } else if (const std::string* full = env_get(in, "AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        std::string_view u = *full;
        const bool https = u.starts_with("https://");
        if (!https && !u.starts_with("http://"))
            return fail(diag, errc::config_error,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http:// or https:// URL");
        std::string_view rest = u.substr(https ? 8 : 7);
        std::string_view hostport = rest.substr(0, rest.find('/'));
        std::string_view host = hostport;
        if (!host.starts_with("["))
            host = host.substr(0, host.rfind(':') == std::string_view::npos ? host.size() : host.rfind(':'));
        else
            host = host.substr(0, host.find(']') + 1);
        if (!https && !allowed_container_host(host))
            return fail(diag, errc::config_error,
                        "AWS_CONTAINER_CREDENTIALS_FULL_URI names host '" + std::string(host) +
                            "': over http only loopback and the ECS/EKS agent addresses (169.254.170.2, "
                            "169.254.170.23, fd00:ec2::23) are allowed; use https");
        plan.container_url = *full;
        plan.base_where = "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)";
    } else {
        return {};
    }
    if (const std::string* f = env_get(in, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"))
        plan.container_token_file = *f;
    else if (const std::string* t = env_get(in, "AWS_CONTAINER_AUTHORIZATION_TOKEN"))
        plan.container_token = *t;
    plan.base = credential_source::container;
    found = true;
    return {};
}

// A role chain: the source of `profile`'s role (a source profile, itself a
// chain, or a credential source), then the role. Cycles are refused, except
// a profile naming itself as source_profile for its own static keys.
std::error_code role_chain(const profile_files& files, const std::string& profile,
                           std::vector<std::string>& visited, resolved_config& out, diagnostics& diag) {
    visited.push_back(profile);
    auto v = files.view(profile);
    role_step role;
    if (auto ec = role_from(v, profile, role, diag)) return ec;
    auto sp = v.get("source_profile");
    auto cs = v.get("credential_source");
    const bool has_sp = sp.value && !trim(*sp.value).empty();
    const bool has_cs = cs.value && !trim(*cs.value).empty();
    if (has_sp && has_cs)
        return fail(
            diag, errc::config_error,
            "profile '" + profile + "' has both source_profile and credential_source; keep one of them");
    if (!has_sp && !has_cs)
        return fail(diag, errc::config_error,
                    "profile '" + profile +
                        "' has role_arn but neither source_profile nor credential_source: "
                        "say where the credentials to assume the role come from");
    if (has_cs) {
        const std::string src(trim(*cs.value));
        if (src == "Environment") {
            bool found = false;
            if (auto ec = env_keys(files.in, out, found, diag)) return ec;
            if (!found)
                return fail(diag, errc::no_credentials,
                            "profile '" + profile +
                                "' has credential_source = Environment, but AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY are not set");
        } else if (src == "Ec2InstanceMetadata") {
            out.plan.base = credential_source::instance_metadata;
            out.plan.base_where = "EC2 instance metadata (credential_source of profile " + profile + ")";
        } else if (src == "EcsContainer") {
            bool found = false;
            if (auto ec = container_settings(files.in, out.plan, found, diag)) return ec;
            if (!found)
                return fail(diag, errc::no_credentials,
                            "profile '" + profile +
                                "' has credential_source = EcsContainer, but neither "
                                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                                "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
        } else {
            return fail(diag, errc::config_error,
                        "profile '" + profile + "' in " + cs.where + ": credential_source '" + src +
                            "' is not one of Environment, Ec2InstanceMetadata, EcsContainer");
        }
    } else {
        const std::string source(trim(*sp.value));
        if (!files.exists(source))
            return fail(
                diag, errc::config_error,
                "the source_profile '" + source + "' named in profile '" + profile + "' does not exist");
        auto sv = files.view(source);
        if (std::find(visited.begin(), visited.end(), source) != visited.end() &&
            (source != profile || !has_static_keys(sv))) {
            std::string loop;
            for (const auto& p : visited) loop += p + " -> ";
            return fail(diag, errc::config_error,
                        "source_profile loop: " + loop + source +
                            "; a role chain must end in a profile with keys or a "
                            "credential_source");
        }
        if (has_static_keys(sv) || !has_role(sv)) {
            bool found = false;
            if (auto ec = profile_sources(files, source, false, out, found, diag)) return ec;
            if (!found)
                return fail(
                    diag, errc::no_credentials,
                    "the source_profile '" + source + "' of profile '" + profile + "' has no credentials");
        } else if (auto ec = role_chain(files, source, visited, out, diag)) {
            return ec;
        }
    }
    out.plan.roles.push_back(std::move(role));
    return {};
}

bool is_true(const std::string* v) {
    if (v == nullptr) return false;
    return iequals(trim(*v), "true");
}

}  // namespace

namespace {

std::error_code resolve(const config_inputs& in, resolved_config& out, diagnostics& diag) {
    ini_file creds_ini;
    ini_file cfg_ini;
    if (in.credentials_text) {
        if (auto ec = parse_ini(*in.credentials_text, creds_ini, diag)) {
            diag.operation = "configuration";
            diag.detail = "credentials file " + in.credentials_path + ": " + diag.detail;
            return ec;
        }
    }
    if (in.config_text) {
        if (auto ec = parse_ini(*in.config_text, cfg_ini, diag)) {
            diag.operation = "configuration";
            diag.detail = "config file " + in.config_path + ": " + diag.detail;
            return ec;
        }
    }

    // Which profile: --profile, AWS_PROFILE, AWS_DEFAULT_PROFILE (legacy), "default".
    std::string profile = "default";
    std::string profile_origin;  // empty when not named explicitly
    if (!in.cli_profile.empty()) {
        profile = in.cli_profile;
        profile_origin = "--profile";
    } else if (const std::string* p = env_get(in, "AWS_PROFILE")) {
        profile = *p;
        profile_origin = "AWS_PROFILE";
    } else if (const std::string* p = env_get(in, "AWS_DEFAULT_PROFILE")) {
        profile = *p;
        profile_origin = "AWS_DEFAULT_PROFILE";
    }
    out.profile = profile;

    profile_view view{find_config_profile(cfg_ini, profile), find_credentials_profile(creds_ini, profile),
                      in.config_path, in.credentials_path};

    // A named profile must exist in one of the files, even when environment
    // keys would be used (the AWS CLI fails with "The config profile (x)
    // could not be found").
    if (!profile_origin.empty() && view.cfg.values == nullptr && view.creds.values == nullptr) {
        std::string d = "profile '" + profile + "' (from " + profile_origin + ") not found: no [" + profile +
                        "] in credentials file " +
                        describe_path(in.credentials_path, in.credentials_text.has_value()) + " and no [" +
                        (profile == "default" ? std::string("default") : "profile " + profile) +
                        "] in config file " + describe_path(in.config_path, in.config_text.has_value());
        if (cfg_ini.sections.count(profile) != 0 && profile != "default")
            d += "; the config file has a section [" + profile +
                 "], but there profiles are written [profile " + profile + "]";
        if (creds_ini.sections.count("profile " + profile) != 0)
            d += "; the credentials file has [profile " + profile + "], but there profiles are written [" +
                 profile + "] without the 'profile' prefix";
        return fail(diag, errc::config_error, std::move(d));
    }

    // Credentials, in the AWS CLI's order: environment keys (not with
    // --profile), the profile's role (role_arn with source_profile or
    // credential_source), web identity, IAM Identity Center, the
    // credentials file's keys, credential_process, the config file's keys,
    // container credentials, EC2 instance metadata.
    bool have_creds = false;
    const bool env_allowed = in.cli_profile.empty();  // --profile disables environment keys
    if (env_allowed)
        if (auto ec = env_keys(in, out, have_creds, diag)) return ec;
    profile_files files{creds_ini, cfg_ini, in};
    if (!have_creds && has_role(view)) {
        std::vector<std::string> visited;
        if (auto ec = role_chain(files, profile, visited, out, diag)) return ec;
        have_creds = true;
    }
    if (!have_creds)
        if (auto ec = profile_sources(files, profile, env_allowed, out, have_creds, diag)) return ec;
    if (!have_creds)
        if (auto ec = container_settings(in, out.plan, have_creds, diag)) return ec;
    if (!have_creds && !is_true(env_get(in, "AWS_EC2_METADATA_DISABLED"))) {
        out.plan.base = credential_source::instance_metadata;
        out.plan.imds_endpoint = "http://169.254.169.254";
        if (const std::string* e = env_get(in, "AWS_EC2_METADATA_SERVICE_ENDPOINT"))
            out.plan.imds_endpoint = *e;
        else if (auto h = view.get("ec2_metadata_service_endpoint"); h.value && !h.value->empty())
            out.plan.imds_endpoint = std::string(trim(*h.value));
        while (out.plan.imds_endpoint.ends_with("/")) out.plan.imds_endpoint.pop_back();
        std::string tried =
            env_allowed ? "no AWS_ACCESS_KEY_ID" : "environment keys are not used with --profile";
        tried += ", no keys or other source in profile '" + profile + "' (credentials file " +
                 describe_path(in.credentials_path, in.credentials_text.has_value()) + ", config file " +
                 describe_path(in.config_path, in.config_text.has_value()) + "), no container credentials";
        out.plan.base_where = "EC2 instance metadata (" + out.plan.imds_endpoint + ")";
        out.plan.tried = std::move(tried);
        have_creds = true;
    }
    if (!have_creds) {
        std::string d = "no credentials for profile '" + profile + "': ";
        if (env_allowed)
            d += "AWS_ACCESS_KEY_ID is not set; ";
        else
            d += "environment keys are not used with --profile; ";
        d += "no keys in [" + profile + "] of credentials file " +
             describe_path(in.credentials_path, in.credentials_text.has_value()) + " or in [" +
             (view.cfg.values ? view.cfg.section
                              : (profile == "default" ? std::string("default") : "profile " + profile)) +
             "] of config file " + describe_path(in.config_path, in.config_text.has_value()) +
             "; no container credentials; EC2 instance metadata is off (AWS_EC2_METADATA_DISABLED)";
        return fail(diag, errc::no_credentials, std::move(d));
    }
    out.credentials_source = out.plan.base_where;
    if (!out.plan.roles.empty())
        out.credentials_source = "role " + out.plan.roles.back().role_arn + " (profile " +
                                 out.plan.roles.back().profile + ") via " + out.plan.base_where;

    // Region: --region, AWS_REGION, AWS_DEFAULT_REGION, the profile.
    if (!in.cli_region.empty()) {
        out.region = in.cli_region;
        out.region_source = "--region";
    } else if (const std::string* r = env_get(in, "AWS_REGION")) {
        out.region = *r;
        out.region_source = "AWS_REGION";
    } else if (const std::string* r2 = env_get(in, "AWS_DEFAULT_REGION")) {
        out.region = *r2;
        out.region_source = "AWS_DEFAULT_REGION";
    } else if (auto h = view.get("region"); h.value && !h.value->empty()) {
        out.region = *h.value;
        out.region_source = h.where;
    }

    // CA bundle: AWS_CA_BUNDLE, then the profile.
    if (const std::string* ca = env_get(in, "AWS_CA_BUNDLE"))
        out.ca_bundle = *ca;
    else if (auto h = view.get("ca_bundle"); h.value)
        out.ca_bundle = *h.value;

    // Endpoint (--endpoint-url is the caller's): AWS_ENDPOINT_URL_S3,
    // AWS_ENDPOINT_URL, the profile's [services x] s3 block, the profile's
    // endpoint_url; none when ignore_configured_endpoint_urls is true.
    bool ignore_endpoints = false;
    if (const std::string* ig = env_get(in, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"))
        ignore_endpoints = is_true(ig);
    else
        ignore_endpoints = is_true(view.get("ignore_configured_endpoint_urls").value);
    if (!ignore_endpoints) {
        if (const std::string* e = env_get(in, "AWS_ENDPOINT_URL_S3")) {
            out.endpoint_url = *e;
        } else if (const std::string* e2 = env_get(in, "AWS_ENDPOINT_URL")) {
            out.endpoint_url = *e2;
        } else {
            const std::string* services = view.get("services").value;
            const section_map* svc = services ? services_section(cfg_ini, trim(*services)) : nullptr;
            if (const std::string* e3 = map_get(svc, "s3.endpoint_url"); e3 && !e3->empty())
                out.endpoint_url = *e3;
            else if (auto h = view.get("endpoint_url"); h.value)
                out.endpoint_url = *h.value;
        }
    }
    // STS: regional endpoints (the default of current SDKs), signed for the
    // region in use (us-east-1 when none is set). With
    // AWS_STS_REGIONAL_ENDPOINTS / sts_regional_endpoints = legacy, the
    // regions that used the global endpoint before regional ones existed use
    // it still (sts.amazonaws.com, signed for us-east-1), as botocore does;
    // an endpoint set explicitly wins over both.
    out.plan.sts_region = out.region.empty() ? std::string("us-east-1") : out.region;
    std::string sts_mode = "regional";
    std::string sts_mode_where = "AWS_STS_REGIONAL_ENDPOINTS";
    if (const std::string* m = env_get(in, "AWS_STS_REGIONAL_ENDPOINTS")) {
        sts_mode = std::string(trim(*m));
    } else if (auto h = view.get("sts_regional_endpoints"); h.value && !h.value->empty()) {
        sts_mode = std::string(trim(*h.value));
        sts_mode_where = "sts_regional_endpoints in " + h.where;
    }
    if (sts_mode != "regional" && sts_mode != "legacy")
        return fail(diag, errc::config_error,
                    sts_mode_where + " is '" + sts_mode.substr(0, 40) +
                        "': it must be 'regional' or 'legacy'; fix or unset it");
    if (!ignore_endpoints) {
        if (const std::string* e = env_get(in, "AWS_ENDPOINT_URL_STS")) {
            out.plan.sts_endpoint_url = *e;
        } else {
            const std::string* services = view.get("services").value;
            const section_map* svc = services ? services_section(cfg_ini, trim(*services)) : nullptr;
            if (const std::string* e2 = map_get(svc, "sts.endpoint_url"); e2 && !e2->empty())
                out.plan.sts_endpoint_url = *e2;
            else if (const std::string* e3 = env_get(in, "AWS_ENDPOINT_URL"))
                out.plan.sts_endpoint_url = *e3;
        }
    }
    if (out.plan.sts_endpoint_url.empty() && sts_mode == "legacy" &&
        is_legacy_global_sts_region(out.plan.sts_region)) {
        out.plan.sts_region = "us-east-1";
        out.plan.sts_endpoint_url = "https://sts.amazonaws.com";
    }
    return {};
}

}  // namespace

bool is_legacy_global_sts_region(std::string_view region) {
    // The regions botocore sends to the global endpoint in legacy mode.
    static constexpr std::string_view legacy[] = {
        "ap-northeast-1", "ap-south-1", "ap-southeast-1", "ap-southeast-2", "aws-global", "ca-central-1",
        "eu-central-1",   "eu-north-1", "eu-west-1",      "eu-west-2",      "eu-west-3",  "sa-east-1",
        "us-east-1",      "us-east-2",  "us-west-1",      "us-west-2"};
    for (std::string_view r : legacy)
        if (r == region) return true;
    return false;
}

std::string short_credentials_source(std::string_view source) {
    if (source.starts_with("role ")) {
        std::string_view arn = source.substr(5);
        arn = arn.substr(0, arn.find(' '));
        const auto slash = arn.rfind('/');
        return "role " + std::string(slash == std::string_view::npos ? arn : arn.substr(slash + 1));
    }
    return std::string(source.substr(0, source.find(" (")));
}

const char* to_string(credential_source s) {
    switch (s) {
        case credential_source::static_keys:
            return "keys";
        case credential_source::process:
            return "credential_process";
        case credential_source::web_identity:
            return "web identity";
        case credential_source::sso:
            return "IAM Identity Center";
        case credential_source::container:
            return "container credentials";
        case credential_source::instance_metadata:
            return "EC2 instance metadata";
    }
    return "?";
}

std::error_code resolve_config(const config_inputs& in, resolved_config& out, diagnostics& diag) {
    out = resolved_config{};
    const auto ec = resolve(in, out, diag);
    // Never hand back half a result (possibly holding keys) with an error.
    if (ec) out = resolved_config{};
    return ec;
}

}  // namespace s3merge::aws
