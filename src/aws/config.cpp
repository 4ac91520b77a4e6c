// Credentials and region resolution, following the AWS CLI v2 (its bundled
// botocore: session.py full_config, credentials.py create_credential_resolver,
// configprovider.py). Pure: everything comes from config_inputs.
//
// Messages name variables, keys, profiles and paths, never a value read
// from a key: diagnostics must not carry a secret or a session token.
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

// `profile` empty: the profile was not named (the CLI would use its default chain).
std::string export_hint(const std::string& profile) {
    return "export static or temporary keys instead (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and, "
           "for temporary keys, AWS_SESSION_TOKEN), for example with: eval \"$(aws configure "
           "export-credentials " +
           (profile.empty() ? std::string() : "--profile " + profile + " ") + "--format env)\"";
}

// Keys that make the AWS CLI obtain credentials in a way s3merge does not
// implement yet. `before_static` is true when the CLI tries that method
// before the profile's static keys, so using the keys would silently give a
// different identity than `aws` does.
struct unsupported_key {
    const char* key;
    const char* what;
    bool before_static;  // before the credentials file's keys
    bool before_config;  // before the config file's keys
};
constexpr unsupported_key unsupported_keys[] = {
    // Before role_arn: a profile with both is web identity, not assume role.
    {"web_identity_token_file", "web identity (web_identity_token_file)", true, true},
    {"role_arn", "assume role (role_arn)", true, true},
    {"sso_session", "IAM Identity Center / SSO (sso_session)", true, true},
    {"sso_start_url", "IAM Identity Center / SSO (sso_start_url)", true, true},
    {"sso_account_id", "IAM Identity Center / SSO (sso_account_id)", true, true},
    {"sso_role_name", "IAM Identity Center / SSO (sso_role_name)", true, true},
    {"sso_region", "IAM Identity Center / SSO (sso_region)", true, true},
    {"credential_process", "an external credential process (credential_process)", false, true},
    {"source_profile", "a source profile (source_profile)", false, false},
    {"credential_source", "a credential source (credential_source)", false, false},
};

std::error_code unsupported(diagnostics& diag, const std::string& profile, const profile_view::hit& h,
                            const unsupported_key& k) {
    return fail(diag, errc::config_error,
                "profile '" + profile + "' in " + h.where + " gets its credentials from " + k.what +
                    ", which s3merge does not support yet; " + export_hint(profile));
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

    // Credentials.
    bool have_creds = false;
    const bool env_allowed = in.cli_profile.empty();  // --profile disables environment keys
    if (env_allowed) {
        const std::string* akid = env_get(in, "AWS_ACCESS_KEY_ID");
        const std::string* secret = env_get(in, "AWS_SECRET_ACCESS_KEY");
        if ((akid == nullptr) != (secret == nullptr)) {
            const char* set = akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY";
            const char* missing = akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID";
            return fail(diag, errc::config_error,
                        std::string(set) + " is set but " + missing + " is not; set both, or unset " + set +
                            " to use a profile");
        }
        if (akid != nullptr) {
            out.creds.access_key_id = *akid;
            out.creds.secret_access_key = *secret;
            out.credentials_source = "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY";
            // botocore's order: the legacy name first.
            for (const char* token_var : {"AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"}) {
                if (const std::string* token = env_get(in, token_var)) {
                    out.creds.session_token = *token;
                    out.credentials_source += std::string(", ") + token_var;
                    break;
                }
            }
            out.credentials_source += ')';
            have_creds = true;
        }
    }

    // Web identity from the environment (EKS IAM roles for service
    // accounts) comes before every profile source in the AWS CLI.
    if (!have_creds && env_allowed && env_get(in, "AWS_WEB_IDENTITY_TOKEN_FILE") != nullptr)
        return fail(diag, errc::config_error,
                    "AWS_WEB_IDENTITY_TOKEN_FILE is set (web identity credentials), which s3merge does not "
                    "support yet; " +
                        export_hint(in.cli_profile));

    if (!have_creds) {
        // The AWS CLI's order inside a profile: assume role, web identity,
        // SSO, then the credentials file's keys, then credential_process,
        // then the config file's keys.
        for (const auto& k : unsupported_keys) {
            if (!k.before_static) continue;
            if (auto h = view.get(k.key); h.value) return unsupported(diag, profile, h, k);
        }
        bool found = false;
        if (auto ec = static_keys(view.creds.values, profile, view.creds.values ? view.where_creds() : "",
                                  out.creds, found, diag))
            return ec;
        if (found) {
            out.credentials_source = view.where_creds();
            have_creds = true;
        }
    }
    if (!have_creds) {
        for (const auto& k : unsupported_keys) {
            if (!k.before_config || k.before_static) continue;
            if (auto h = view.get(k.key); h.value) return unsupported(diag, profile, h, k);
        }
        bool found = false;
        if (auto ec = static_keys(view.cfg.values, profile, view.cfg.values ? view.where_cfg() : "",
                                  out.creds, found, diag))
            return ec;
        if (found) {
            out.credentials_source = view.where_cfg();
            have_creds = true;
        }
    }
    if (!have_creds) {
        // A profile that only points elsewhere (source_profile,
        // credential_source) and has no keys: say why, not just "none".
        for (const auto& k : unsupported_keys) {
            if (auto h = view.get(k.key); h.value) return unsupported(diag, profile, h, k);
        }
        std::string d = "no credentials for profile '" + profile + "': ";
        if (env_allowed)
            d += "AWS_ACCESS_KEY_ID is not set; ";
        else
            d += "environment keys are not used with --profile; ";
        d += "no keys in [" + profile + "] of credentials file " +
             describe_path(in.credentials_path, in.credentials_text.has_value()) + " or in [" +
             (view.cfg.values ? view.cfg.section
                              : (profile == "default" ? std::string("default") : "profile " + profile)) +
             "] of config file " + describe_path(in.config_path, in.config_text.has_value());
        if (env_get(in, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") ||
            env_get(in, "AWS_CONTAINER_CREDENTIALS_FULL_URI"))
            d += "; container credentials (AWS_CONTAINER_CREDENTIALS_*) are not supported yet";
        return fail(diag, errc::no_credentials, std::move(d));
    }

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
    return {};
}

}  // namespace

std::error_code resolve_config(const config_inputs& in, resolved_config& out, diagnostics& diag) {
    out = resolved_config{};
    const auto ec = resolve(in, out, diag);
    // Never hand back half a result (possibly holding keys) with an error.
    if (ec) out = resolved_config{};
    return ec;
}

}  // namespace s3merge::aws
