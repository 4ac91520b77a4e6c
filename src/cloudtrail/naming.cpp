#include "s3merge/cloudtrail/naming.hpp"

#include <algorithm>
#include <array>

namespace s3merge::cloudtrail {

namespace {

constexpr std::string_view known_placeholders = "(known: {region}, {account})";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower(char c) {
    return c >= 'a' && c <= 'z';
}
bool is_lower_alnum(char c) {
    return is_digit(c) || is_lower(c);
}

// A value quoted for a one-line message, cut short when absurdly long.
std::string quoted(std::string_view s) {
    constexpr std::size_t max_len = 80;
    std::string out = "'";
    out += s.substr(0, max_len);
    if (s.size() > max_len) out += "...";
    out += '\'';
    return out;
}

std::error_code invalid(diagnostics& diag, std::string detail) {
    diag.detail = std::move(detail);
    return make_error_code(errc::invalid_argument);
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool is_ipv4(std::string_view s) {
    int parts = 0;
    for (;;) {
        std::size_t dot = s.find('.');
        std::string_view part = s.substr(0, dot);
        if (part.empty() || part.size() > 3 || !std::all_of(part.begin(), part.end(), is_digit)) return false;
        int value = 0;
        for (char c : part) value = value * 10 + (c - '0');
        if (value > 255) return false;
        ++parts;
        if (dot == std::string_view::npos) break;
        s.remove_prefix(dot + 1);
    }
    return parts == 4;
}

// "template" when the caller named no option.
std::string subject(std::string_view option, std::string_view tmpl) {
    return (option.empty() ? std::string("template") : std::string(option)) + " " + quoted(tmpl);
}

}  // namespace

std::error_code validate_account_id(std::string_view account, diagnostics& diag) {
    if (account.size() == 12 && std::all_of(account.begin(), account.end(), is_digit)) return {};
    return invalid(diag, "account id " + quoted(account) +
                             " is not an AWS account id: expected exactly 12 digits, e.g. 123456789012");
}

std::error_code validate_region_name(std::string_view region, diagnostics& diag) {
    auto bad = [&] {
        return invalid(diag, "region " + quoted(region) +
                                 " is not a valid AWS region name (expected e.g. us-east-1, "
                                 "eu-central-2, us-gov-west-1)");
    };
    if (region.empty() || region.size() > 32) return bad();
    // Split on '-': an area of two letters, words of letters, a number.
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        std::size_t dash = region.find('-', start);
        parts.push_back(region.substr(start, dash == std::string_view::npos ? dash : dash - start));
        if (dash == std::string_view::npos) break;
        start = dash + 1;
    }
    if (parts.size() < 3) return bad();
    if (parts.front().size() != 2 || !std::all_of(parts.front().begin(), parts.front().end(), is_lower))
        return bad();
    const std::string_view number = parts.back();
    if (number.empty() || number.size() > 2 || !std::all_of(number.begin(), number.end(), is_digit))
        return bad();
    for (std::size_t i = 1; i + 1 < parts.size(); ++i)
        if (parts[i].empty() || !std::all_of(parts[i].begin(), parts[i].end(), is_lower)) return bad();
    return {};
}

std::error_code parse_region_list(std::string_view text, std::vector<std::string>& out, diagnostics& diag) {
    out.clear();
    if (trim(text).empty()) return invalid(diag, "the region list is empty; pass e.g. us-east-1,eu-west-1");
    std::size_t index = 0;
    for (std::size_t start = 0;;) {
        std::size_t comma = text.find(',', start);
        std::string_view item =
            trim(text.substr(start, comma == std::string_view::npos ? comma : comma - start));
        ++index;
        if (item.empty()) {
            out.clear();
            return invalid(diag, "region list " + quoted(text) + " has an empty item (item " +
                                     std::to_string(index) + "); separate regions with single commas");
        }
        if (auto ec = validate_region_name(item, diag)) {
            out.clear();
            return ec;
        }
        if (std::find(out.begin(), out.end(), item) == out.end()) out.emplace_back(item);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return {};
}

std::error_code expand_template(std::string_view option, std::string_view tmpl, std::string_view region,
                                std::string_view account, std::string& out, diagnostics& diag) {
    out.clear();
    auto fail = [&](std::string why) {
        out.clear();
        return invalid(diag, subject(option, tmpl) + ": " + why + " " + std::string(known_placeholders));
    };
    for (std::size_t i = 0; i < tmpl.size(); ++i) {
        const char c = tmpl[i];
        if (c == '}') return fail("'}' at position " + std::to_string(i + 1) + " has no matching '{'");
        if (c != '{') {
            out += c;
            continue;
        }
        std::size_t close = tmpl.find_first_of("{}", i + 1);
        if (close == std::string_view::npos || tmpl[close] == '{')
            return fail("'{' at position " + std::to_string(i + 1) + " is not closed");
        std::string_view name = tmpl.substr(i + 1, close - i - 1);
        if (name == "region")
            out += region;
        else if (name == "account")
            out += account;
        else
            return fail("unknown placeholder {" + std::string(name) + "}");
        i = close;
    }
    return {};
}

std::error_code check_template(std::string_view option, std::string_view tmpl, bool require_region,
                               diagnostics& diag) {
    if (tmpl.empty()) return invalid(diag, subject(option, tmpl) + ": the template is empty");
    std::string ignored;
    if (auto ec = expand_template(option, tmpl, "us-east-1", "123456789012", ignored, diag)) return ec;
    if (require_region && tmpl.find("{region}") == std::string_view::npos)
        return invalid(diag, subject(option, tmpl) +
                                 " must contain {region}: without it every region maps to the same bucket");
    return {};
}

std::error_code validate_bucket_name(std::string_view name, diagnostics& diag) {
    auto bad = [&](std::string why) {
        diag.bucket = std::string(name);
        return invalid(diag, "bucket name " + quoted(name) + " is not valid: " + why);
    };
    if (name.size() < 3 || name.size() > 63)
        return bad("it must be 3 to 63 characters long (it has " + std::to_string(name.size()) +
                   "); change the name or its template");
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        if (!is_lower_alnum(c) && c != '.' && c != '-')
            return bad("it may contain only lower-case letters, digits, '.' and '-' (found '" +
                       std::string(1, c) + "' at position " + std::to_string(i + 1) +
                       "); use lower case and replace other characters with '-'");
    }
    if (!is_lower_alnum(name.front()) || !is_lower_alnum(name.back()))
        return bad("it must start and end with a lower-case letter or a digit");
    if (name.find("..") != std::string_view::npos) return bad("it must not contain two adjacent periods");
    if (is_ipv4(name)) return bad("it must not be formatted as an IP address");
    constexpr std::array reserved_prefixes = {std::string_view("xn--"), std::string_view("sthree-"),
                                              std::string_view("amzn-s3-demo-")};
    for (std::string_view p : reserved_prefixes)
        if (name.starts_with(p))
            return bad("it must not start with the reserved prefix '" + std::string(p) + "'");
    constexpr std::array reserved_suffixes = {std::string_view("-s3alias"), std::string_view("--ol-s3"),
                                              std::string_view(".mrap"), std::string_view("--x-s3"),
                                              std::string_view("--table-s3")};
    for (std::string_view s : reserved_suffixes)
        if (name.ends_with(s))
            return bad("it must not end with the reserved suffix '" + std::string(s) + "'");
    return {};
}

}  // namespace s3merge::cloudtrail
