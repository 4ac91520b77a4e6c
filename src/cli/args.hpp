// Command-line parsing, pure. Options are "--name value", "--name=value" or
// boolean "--flag"; "--" ends options. Unknown options are errors that name
// the option and the command.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace s3merge::cli {

struct option_spec {
    std::string name;  // without the leading "--"
    bool takes_value = false;
    bool repeatable = false;
    std::string value_name;  // for help: "URL", "FILE"
    std::string help;
};

struct parsed_args {
    std::vector<std::string> positional;
    std::map<std::string, std::vector<std::string>> values;  // option -> values (in order)
    std::map<std::string, bool> flags;
    // --include / --exclude in the order given (their order decides).
    std::vector<std::pair<std::string, std::string>> filters;

    bool flag(std::string_view name) const;
    bool has(std::string_view name) const;
    // The last value given, or `fallback`.
    std::string value(std::string_view name, std::string fallback = {}) const;
    const std::vector<std::string>& all(std::string_view name) const;
};

// Returns false and sets `error` to a one-line message on bad input.
bool parse_args(const std::vector<std::string>& args, const std::vector<option_spec>& spec, parsed_args& out,
                std::string& error);

// A whole decimal number from lo to hi (strtoull rules: the entire text
// must be consumed). False on an empty text, trailing characters or a value
// out of range.
bool parse_uint(const std::string& text, std::uint64_t lo, std::uint64_t hi, std::uint64_t& out);

// Help text for a command: usage line, description, options table.
std::string format_help(std::string_view usage, std::string_view description,
                        const std::vector<option_spec>& spec);

}  // namespace s3merge::cli
